import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

// The package is bundled into the validator, which runs on edge runtimes (Workers, Deno, Bun):
// its sources import nothing, and nothing from node:.
it('sources import nothing but each other', () => {
  const dir = new URL('.', import.meta.url);
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  expect(sources.length).toBeGreaterThan(3);
  for (const file of sources) {
    const text = readFileSync(new URL(file, dir), 'utf8');
    const specifiers = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(
      specifiers.filter((s) => !s?.startsWith('./')),
      file,
    ).toEqual([]);
  }
});
