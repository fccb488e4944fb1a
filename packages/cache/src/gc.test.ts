import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('garbage collection', () => {
  // Needs node --expose-gc, which vitest workers do not have: the check runs in a child process.
  it('a cache dropped without close() is collected (the sweep timer holds it weakly)', async () => {
    const script = `
      const { createCache } = await import(${JSON.stringify(new URL('./index.ts', import.meta.url).href)});
      let cache = createCache({ logger: {} });
      await cache.set('k', 'v');
      const ref = new WeakRef(cache);
      cache = undefined;
      for (let i = 0; i < 10 && ref.deref() !== undefined; i++) {
        await new Promise((r) => setTimeout(r, 10));
        globalThis.gc();
      }
      console.log(ref.deref() === undefined ? 'collected' : 'leaked');
    `;
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname },
    );
    expect(out.trim()).toBe('collected');
  });
});
