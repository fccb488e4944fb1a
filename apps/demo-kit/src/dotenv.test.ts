import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeEnv, parseDotEnv, readDotEnvFile } from './dotenv.js';
import type { ConfigError } from './errors.js';

describe('parseDotEnv', () => {
  it.each([
    ['PORT=3000', { PORT: '3000' }],
    ['  PORT = 3000  ', { PORT: '3000' }],
    ['export PORT=3000', { PORT: '3000' }],
    ['EMPTY=', { EMPTY: '' }],
    ['A=1\r\nB=2\r\n', { A: '1', B: '2' }],
    ['\uFEFFA=1', { A: '1' }],
    ['# comment\n\n   # indented comment\nA=1', { A: '1' }],
    ['A=value # trailing comment', { A: 'value' }],
    ['A=http://x/#frag', { A: 'http://x/#frag' }],
    ['A=a=b=c', { A: 'a=b=c' }],
    ["A='single # not a comment'", { A: 'single # not a comment' }],
    ["A='no \\n escapes'", { A: 'no \\n escapes' }],
    ['A="double \\"quoted\\" \\n\\t\\\\"', { A: 'double "quoted" \n\t\\' }],
    ['A="x" # comment', { A: 'x' }],
    ['A="$HOME"', { A: '$HOME' }],
    ['A=1\nA=2', { A: '2' }],
    ['_UNDER_9=ok', { _UNDER_9: 'ok' }],
  ])('%j', (text, expected) => {
    expect(parseDotEnv(text)).toEqual(expected);
  });

  it.each([
    [
      'JUSTAWORD',
      'ERR_DOTENV_SYNTAX',
      '.env line 1 is not a KEY=value assignment (e.g. PORT=3000)',
    ],
    [
      'A=1\n=value',
      'ERR_DOTENV_SYNTAX',
      '.env line 2 is not a KEY=value assignment (e.g. PORT=3000)',
    ],
    ['1ABC=x', 'ERR_DOTENV_SYNTAX', '.env line 1: "1ABC" is not a valid variable name'],
    ['A-B=x', 'ERR_DOTENV_SYNTAX', '.env line 1: "A-B" is not a valid variable name'],
    ['A="unterminated', 'ERR_DOTENV_SYNTAX', '.env line 1: the quoted value has no closing quote'],
    ["A='unterminated", 'ERR_DOTENV_SYNTAX', '.env line 1: the quoted value has no closing quote'],
    ['A="x" y', 'ERR_DOTENV_SYNTAX', '.env line 1: unexpected text after the closing quote'],
  ])('refuses %j', (text, code, message) => {
    let error: ConfigError | undefined;
    try {
      parseDotEnv(text);
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.code).toBe(code);
    expect(error?.variable).toBe('.env');
    expect(error?.message.startsWith(message)).toBe(true);
    expect(error?.message).not.toContain('\n');
  });

  it('never echoes a value in its errors (values may be secrets)', () => {
    expect(() => parseDotEnv('OAUTH_CLIENT_SECRET="topsecret-value')).toThrow(
      /^(?!.*topsecret).*$/,
    );
    expect(() => parseDotEnv("OAUTH_CLIENT_SECRET='topsecret-value' junk")).toThrow(
      /^(?!.*topsecret).*$/,
    );
  });

  it('round-trips any single-line value written double-quoted (property)', () => {
    const value = fc.string({ maxLength: 80 }).filter((v) => !/[\r\n]/.test(v));
    fc.assert(
      fc.property(value, (v) => {
        const escaped = v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
        expect(parseDotEnv(`KEY="${escaped}"`)).toEqual({ KEY: v });
      }),
      { numRuns: 1000 },
    );
  });

  it('throws nothing but a ConfigError on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (text) => {
        try {
          parseDotEnv(text);
        } catch (e) {
          expect((e as ConfigError).name).toBe('ConfigError');
          expect((e as ConfigError).code).toBe('ERR_DOTENV_SYNTAX');
          // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
          expect((e as ConfigError).message).not.toMatch(/[\u0000-\u001f\u2028\u2029]/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('takes a big file in linear time', () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `KEY_${i}="value ${i} \\" quoted"`).join(
      '\n',
    );
    const started = performance.now();
    const parsed = parseDotEnv(text);
    expect(Object.keys(parsed)).toHaveLength(20_000);
    expect(parsed['KEY_19999']).toBe('value 19999 " quoted');
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('readDotEnvFile and mergeEnv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'demo-kit-env-'));

  it('returns {} when the file does not exist', () => {
    expect(readDotEnvFile(join(dir, 'missing.env'))).toEqual({});
  });

  it('reads a file', () => {
    writeFileSync(join(dir, '.env'), 'PORT=4000\nOAUTH_REQUIRED_SCOPES="a b"\n');
    expect(readDotEnvFile(join(dir, '.env'))).toEqual({
      PORT: '4000',
      OAUTH_REQUIRED_SCOPES: 'a b',
    });
  });

  it('refuses a directory with ERR_DOTENV_UNREADABLE', () => {
    mkdirSync(join(dir, 'adir'));
    expect(() => readDotEnvFile(join(dir, 'adir'))).toThrow(
      expect.objectContaining({ code: 'ERR_DOTENV_UNREADABLE' }),
    );
  });

  it('lets the real environment win over the file', () => {
    expect(mergeEnv({ PORT: '4000', A: 'file' }, { PORT: '5000' })).toEqual({
      PORT: '5000',
      A: 'file',
    });
  });
});
