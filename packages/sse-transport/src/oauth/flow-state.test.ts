import { isCodeVerifier } from '@mcp-auth/pkce';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFlowSecrets, sharedFlowKeys, staticFlowKeys } from './flow-keys.js';
import {
  deriveFlowKeys,
  FLOW_STATE_LENGTH,
  flowCodeVerifier,
  mintFlowState,
  openFlowState,
} from './flow-state.js';

const keys = deriveFlowKeys(new Uint8Array(32).fill(1));
const other = deriveFlowKeys(new Uint8Array(32).fill(2));
const binding = JSON.stringify(['https://as.example', 'client', 'https://rs/cb', 'https://rs/mcp']);
const EXP = 2_000_000_000;

describe('flow state', () => {
  it('is 50 base64url characters and opens with its key and binding, giving back the expiry', () => {
    const state = mintFlowState(keys, binding, EXP);
    expect(FLOW_STATE_LENGTH).toBe(50);
    expect(state).toMatch(/^[A-Za-z0-9_-]{50}$/);
    expect(openFlowState([keys], binding, state)).toEqual({ keys, expiresAt: EXP });
    expect(mintFlowState(keys, binding, EXP)).not.toBe(state); // a fresh nonce each time
  });

  it('refuses another key, another binding, and a rotated-out key; accepts a retiring key', () => {
    const state = mintFlowState(other, binding, EXP);
    expect(openFlowState([keys], binding, state)).toBeUndefined();
    expect(openFlowState([keys, other], binding, state)).toEqual({ keys: other, expiresAt: EXP });
    const mine = mintFlowState(keys, binding, EXP);
    for (const b of [
      JSON.stringify(['https://as.example', 'client', 'https://rs/cb', 'https://rs/other']),
      JSON.stringify(['https://evil.example', 'client', 'https://rs/cb', 'https://rs/mcp']),
      JSON.stringify(['https://as.example', 'client2', 'https://rs/cb', 'https://rs/mcp']),
    ]) {
      expect(openFlowState([keys], b, mine)).toBeUndefined();
    }
  });

  it('refuses every single-character change (tamper anywhere, including the expiry)', () => {
    const state = mintFlowState(keys, binding, EXP);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let tried = 0;
    for (let i = 0; i < state.length; i++) {
      for (const c of alphabet) {
        if (c === state[i]) continue;
        const tampered = state.slice(0, i) + c + state.slice(i + 1);
        expect(openFlowState([keys], binding, tampered)).toBeUndefined();
        tried++;
      }
    }
    expect(tried).toBe(50 * 63);
  });

  it.each([
    ['empty', ''],
    ['too short', 'A'.repeat(49)],
    ['too long', 'A'.repeat(51)],
    ['padding', `${'A'.repeat(48)}==`],
    ['standard base64', `${'A'.repeat(48)}+/`],
  ])('refuses a malformed state (%s)', (_name, state) => {
    expect(openFlowState([keys], binding, state)).toBeUndefined();
  });

  it('refuses a non-canonical spelling of a valid state (unused low bits set)', () => {
    const state = mintFlowState(keys, binding, EXP);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(state.at(-1)!);
    // 37 bytes: the last character carries 2 bits of data and 4 unused bits (all zero when minted).
    expect(last & 0b1111).toBe(0);
    const spelled = state.slice(0, -1) + alphabet[last | 0b0001];
    expect(Buffer.from(spelled, 'base64url')).toEqual(Buffer.from(state, 'base64url'));
    expect(openFlowState([keys], binding, spelled)).toBeUndefined();
  });

  it('never opens random input (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 80 }), (s) => {
        expect(openFlowState([keys], binding, s)).toBeUndefined();
      }),
    );
  });

  it('derives a 43-character PKCE verifier per state and key, never the same for two states', () => {
    const a = mintFlowState(keys, binding, EXP);
    const b = mintFlowState(keys, binding, EXP);
    const v = flowCodeVerifier(keys, a);
    expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isCodeVerifier(v)).toBe(true);
    expect(flowCodeVerifier(keys, a)).toBe(v);
    expect(flowCodeVerifier(keys, b)).not.toBe(v);
    expect(flowCodeVerifier(other, a)).not.toBe(v);
    expect(v).not.toContain(a.slice(0, 10));
  });

  it('derives distinct state and verifier keys from one secret', () => {
    expect(keys.stateKey.equals(keys.verifierKey)).toBe(false);
    expect(keys.stateKey).toHaveLength(32);
    expect(() => deriveFlowKeys(new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('flowSecret option', () => {
  it.each([
    ['short string', 'x'.repeat(31)],
    ['short bytes', new Uint8Array(31)],
    ['number', 42],
    ['empty list', []],
    ['five secrets', Array(5).fill('x'.repeat(32))],
    ['a bad one in a list', ['x'.repeat(32), 'short']],
  ])('rejects %s with a TypeError naming the option', (_name, value) => {
    expect(() => parseFlowSecrets(value)).toThrow(TypeError);
    expect(() => parseFlowSecrets(value)).toThrow(/"flowSecret" must be/);
  });

  it('accepts a string, bytes, or a list of up to 4', () => {
    expect(parseFlowSecrets(undefined)).toBeUndefined();
    expect(parseFlowSecrets('x'.repeat(32))).toHaveLength(1);
    expect(parseFlowSecrets(new Uint8Array(32))).toHaveLength(1);
    expect(parseFlowSecrets(Array(4).fill('y'.repeat(40)))).toHaveLength(4);
  });

  it('without a secret, each process (source) has its own random key', async () => {
    const [a] = await staticFlowKeys(undefined).keyring();
    const [b] = await staticFlowKeys(undefined).keyring();
    expect(a!.stateKey.equals(b!.stateKey)).toBe(false);
    const [c] = await staticFlowKeys(parseFlowSecrets('z'.repeat(32))).keyring();
    const [d] = await staticFlowKeys(parseFlowSecrets('z'.repeat(32))).keyring();
    expect(c!.stateKey.equals(d!.stateKey)).toBe(true);
  });
});

describe('a flow secret shared through a remote store', () => {
  function fakeStore(fail = { get: false, set: false }) {
    const data = new Map<string, { value: unknown; ttlMs: number }>();
    const calls: string[] = [];
    return {
      data,
      calls,
      fail,
      store: {
        kind: 'remote' as const,
        assertStorable() {},
        async get(key: string, withTtl: boolean) {
          calls.push(`get ${key}`);
          if (fail.get) throw new Error('down');
          const e = data.get(key);
          return e && (withTtl ? { value: e.value, ttlMs: e.ttlMs } : { value: e.value });
        },
        async set(key: string, value: unknown, ttlMs: number) {
          calls.push(`set ${key} ${ttlMs}`);
          if (fail.set) throw new Error('down');
          data.set(key, { value, ttlMs });
        },
        async delete() {},
        async take() {
          return undefined;
        },
        async clear() {},
        async close() {},
      },
    };
  }

  it('is created once, then read by every instance (one read per use, no write)', async () => {
    const s = fakeStore();
    const [a] = await sharedFlowKeys(s.store).keyring();
    expect(s.calls).toEqual([
      'get sse-transport:oauth-flow-secret',
      `set sse-transport:oauth-flow-secret ${400 * 24 * 3600 * 1000}`,
      'get sse-transport:oauth-flow-secret',
    ]);
    s.calls.length = 0;
    const [b] = await sharedFlowKeys(s.store).keyring();
    expect(b!.stateKey.equals(a!.stateKey)).toBe(true);
    expect(s.calls).toEqual(['get sse-transport:oauth-flow-secret']);
  });

  it('follows the store when the secret changes there (no stale copy in a process)', async () => {
    const s = fakeStore();
    const source = sharedFlowKeys(s.store);
    const [a] = await source.keyring();
    s.data.clear();
    const [b] = await source.keyring();
    expect(b!.stateKey.equals(a!.stateKey)).toBe(false);
  });

  it('rewrites the same secret when less than a year of life is left', async () => {
    const s = fakeStore();
    await sharedFlowKeys(s.store).keyring();
    const entry = s.data.get('sse-transport:oauth-flow-secret')!;
    entry.ttlMs = 364 * 24 * 3600 * 1000;
    s.calls.length = 0;
    await sharedFlowKeys(s.store).keyring();
    expect(s.calls).toEqual([
      'get sse-transport:oauth-flow-secret',
      `set sse-transport:oauth-flow-secret ${400 * 24 * 3600 * 1000}`,
    ]);
    expect(s.data.get('sse-transport:oauth-flow-secret')!.value).toBe(entry.value);
  });

  it.each([
    ['the read', { get: true, set: false }],
    ['the first write', { get: false, set: true }],
  ])('rejects when %s fails (the provider fails closed)', async (_name, fail) => {
    const s = fakeStore(fail);
    await expect(sharedFlowKeys(s.store).keyring()).rejects.toThrow();
  });
});
