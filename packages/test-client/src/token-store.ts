import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TestClientError } from './errors.js';
import type { TokenSet } from './options.js';

/** Tokens obtained for one resource: what the token endpoint returned. */
export type StoredTokens = TokenSet;

/** One entry of the token store: the tokens and the client they were issued to. */
export interface TokenStoreEntry {
  resource: string;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  tokenEndpointAuthMethod?: string;
  /** How the client was identified: pre-registered, metadata document or dynamic registration. */
  clientSource?: string;
  tokens: StoredTokens;
  /** Milliseconds since the epoch. */
  savedAt: number;
}

interface TokenStoreFile {
  version: 1;
  entries: Record<string, TokenStoreEntry>;
}

/**
 * A JSON file holding tokens between runs, keyed by canonical resource URI. Written atomically with
 * mode 0600; a file that others can read is refused (like `ssh` does with keys).
 *
 * @example
 * ```ts
 * const store = new FileTokenStore('.mcp-tokens.json');
 * const entry = await store.get('https://mcp.example.com/mcp');
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6819#section-5.1.6 (protect stored tokens)
 */
export class FileTokenStore {
  readonly path: string;

  constructor(path: string) {
    if (typeof path !== 'string' || path.length === 0) {
      throw new TypeError('"tokenStore" must be a non-empty file path');
    }
    this.path = path;
  }

  async get(resource: string): Promise<TokenStoreEntry | undefined> {
    const file = await this.#read();
    return file.entries[resource];
  }

  async set(entry: TokenStoreEntry): Promise<void> {
    const file = await this.#read();
    file.entries[entry.resource] = entry;
    await this.#write(file);
  }

  async delete(resource: string): Promise<void> {
    const file = await this.#read();
    if (!(resource in file.entries)) return;
    delete file.entries[resource];
    await this.#write(file);
  }

  async #read(): Promise<TokenStoreFile> {
    let text: string;
    try {
      if (process.platform !== 'win32') {
        const info = await stat(this.path);
        if ((info.mode & 0o077) !== 0) {
          throw new TestClientError(
            'ERR_TOKEN_STORE',
            `The token store ${this.path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 on it`,
          );
        }
      }
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      if ((err as { name?: string }).name === 'TestClientError') throw err;
      throw new TestClientError('ERR_TOKEN_STORE', `Cannot read the token store ${this.path}`, {
        cause: err,
      });
    }
    try {
      const parsed = JSON.parse(text) as Partial<TokenStoreFile>;
      if (parsed.version !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) {
        throw new Error('unexpected shape');
      }
      return { version: 1, entries: { ...parsed.entries } };
    } catch (err) {
      throw new TestClientError(
        'ERR_TOKEN_STORE',
        `The token store ${this.path} is not a token store file written by this client`,
        { cause: err },
      );
    }
  }

  async #write(file: TokenStoreFile): Promise<void> {
    const tmp = `${this.path}.${process.pid}.${Date.now()}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      await chmod(tmp, 0o600);
      await rename(tmp, this.path);
    } catch (err) {
      throw new TestClientError('ERR_TOKEN_STORE', `Cannot write the token store ${this.path}`, {
        cause: err,
      });
    }
  }
}
