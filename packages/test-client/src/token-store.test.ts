import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTokenStore, type TokenStoreEntry } from './token-store.js';

const entry: TokenStoreEntry = {
  resource: 'http://127.0.0.1:3000/mcp',
  issuer: 'http://127.0.0.1:4000',
  clientId: 'mcp-public',
  tokens: { accessToken: 'at-1234567890abcdef', tokenType: 'bearer', expiresAt: 2_000_000_000 },
  savedAt: 1,
};

describe('FileTokenStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-auth-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes with mode 0600 and reads back', async () => {
    const store = new FileTokenStore(join(dir, 'sub', 'tokens.json'));
    expect(await store.get(entry.resource)).toBeUndefined();
    await store.set(entry);
    const info = await stat(store.path);
    expect(info.mode & 0o777).toBe(0o600);
    expect(await store.get(entry.resource)).toEqual(entry);
    await store.set({ ...entry, resource: 'http://127.0.0.1:3001/mcp' });
    await store.delete(entry.resource);
    expect(await store.get(entry.resource)).toBeUndefined();
    expect(await store.get('http://127.0.0.1:3001/mcp')).toBeDefined();
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a file others can read (reason: POSIX modes only)',
    async () => {
      const path = join(dir, 'tokens.json');
      await writeFile(path, JSON.stringify({ version: 1, entries: {} }));
      await chmod(path, 0o644);
      await expect(new FileTokenStore(path).get('x')).rejects.toMatchObject({
        code: 'ERR_TOKEN_STORE',
        message: expect.stringContaining('chmod 600'),
      });
    },
  );

  it.each([['not json'], ['{"version":2,"entries":{}}'], ['[]'], ['{"version":1,"entries":null}']])(
    'refuses a foreign file %s',
    async (content) => {
      const path = join(dir, 'tokens.json');
      await writeFile(path, content, { mode: 0o600 });
      await expect(new FileTokenStore(path).get('x')).rejects.toMatchObject({
        code: 'ERR_TOKEN_STORE',
      });
      expect(await readFile(path, 'utf8')).toBe(content);
    },
  );

  it('refuses an empty path', () => {
    expect(() => new FileTokenStore('')).toThrow(TypeError);
  });
});
