import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOUBLE_QUOTED_ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '"': '"',
  '\\': '\\',
  $: '$',
};

/**
 * Parses the text of a `.env` file: `KEY=value` lines, optional `export ` prefix, `#` comments
 * (whole lines, or after whitespace following an unquoted value), single-quoted literals,
 * double-quoted values with `\n`, `\t`, `\"` and `\\` escapes. No variable expansion, no multi-line
 * values: what you see is what you get. A line that is none of these is a {@link ConfigError}
 * naming the file and the line number (never its value, which may be a secret).
 *
 * @example
 * parseDotEnv('PORT=3000\n# comment\nOAUTH_CLIENT_SECRET="s3cr#t"\n', '.env');
 * // → { PORT: '3000', OAUTH_CLIENT_SECRET: 's3cr#t' }
 */
export function parseDotEnv(text: string, fileName = '.env'): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${fileName} line ${i + 1}`;
    const body = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = body.indexOf('=');
    if (eq <= 0) {
      throw new ConfigError(
        fileName,
        `${where} is not a KEY=value assignment (e.g. PORT=3000)`,
        'ERR_DOTENV_SYNTAX',
      );
    }
    const key = body.slice(0, eq).trim();
    if (!KEY.test(key)) {
      throw new ConfigError(
        fileName,
        `${where}: "${printable(key.slice(0, 40))}" is not a valid variable name (letters, digits and _, e.g. OAUTH_CLIENT_ID)`,
        'ERR_DOTENV_SYNTAX',
      );
    }
    out[key] = parseValue(body.slice(eq + 1).trim(), where, fileName);
  }
  return out;
}

function parseValue(rest: string, where: string, fileName: string): string {
  if (rest.startsWith("'")) {
    const end = rest.indexOf("'", 1);
    if (end < 0) throw unterminated(where, fileName);
    assertOnlyComment(rest.slice(end + 1), where, fileName);
    return rest.slice(1, end);
  }
  if (rest.startsWith('"')) {
    let value = '';
    for (let i = 1; i < rest.length; i++) {
      const c = rest[i]!;
      if (c === '\\' && i + 1 < rest.length) {
        const next = rest[i + 1]!;
        value += DOUBLE_QUOTED_ESCAPES[next] ?? `\\${next}`;
        i++;
      } else if (c === '"') {
        assertOnlyComment(rest.slice(i + 1), where, fileName);
        return value;
      } else {
        value += c;
      }
    }
    throw unterminated(where, fileName);
  }
  // Unquoted: a # starts a comment only after whitespace, so URLs with fragments stay intact.
  const comment = rest.search(/\s#/);
  return (comment >= 0 ? rest.slice(0, comment) : rest).trim();
}

function assertOnlyComment(tail: string, where: string, fileName: string): void {
  const t = tail.trim();
  if (t !== '' && !t.startsWith('#')) {
    throw new ConfigError(
      fileName,
      `${where}: unexpected text after the closing quote`,
      'ERR_DOTENV_SYNTAX',
    );
  }
}

function unterminated(where: string, fileName: string): ConfigError {
  return new ConfigError(
    fileName,
    `${where}: the quoted value has no closing quote (values are single-line)`,
    'ERR_DOTENV_SYNTAX',
  );
}

/**
 * Reads and parses a `.env` file when it exists; returns `{}` when it does not. Other read
 * errors (permissions, a directory) are {@link ConfigError}s.
 *
 * @example
 * const fromFile = readDotEnvFile(new URL('../.env', import.meta.url).pathname);
 */
export function readDotEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(
      path,
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'read error'}`,
      'ERR_DOTENV_UNREADABLE',
    );
  }
  return parseDotEnv(text, path.split(/[\\/]/).pop() ?? '.env');
}

/**
 * The effective environment: variables from the `.env` file, overridden by the real environment
 * (so `PORT=4000 pnpm dev` wins over the file, as with every dotenv tool).
 *
 * @example
 * const env = mergeEnv(readDotEnvFile('.env'), process.env);
 */
export function mergeEnv(
  fromFile: Record<string, string>,
  processEnv: Record<string, string | undefined>,
): Record<string, string | undefined> {
  return { ...fromFile, ...processEnv };
}

/** Control characters shown as `?`, so a hostile name cannot break the one-line message. */
function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: neutralising control characters
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}
