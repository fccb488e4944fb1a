import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { type CryptoKey, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rejectsWith, serviceToken, startAuthServer, validatorFor } from '../../test/helpers.js';
import * as jwt from '../jwt.js';
import { allowlistedKeys, type JwtSettings, SUPPORTED_ALGORITHMS } from '../jwt.js';
import { type signatureStats, usesNodeCrypto } from './signature.js';
import { schedulerStats } from './verify-scheduler.js';

const SETTINGS: JwtSettings = {
  algorithms: [...SUPPORTED_ALGORITHMS],
  requireTyp: true,
  clockToleranceSeconds: 0,
};
const NOW = Math.floor(Date.now() / 1000);
const CLAIMS = { iss: 'https://as.example', sub: 'u', aud: 'r', iat: NOW, exp: NOW + 600 };

type NodeVerify = (
  algorithm: string | null,
  data: Uint8Array,
  key: unknown,
  signature: Uint8Array,
  callback?: (err: Error | null, ok: boolean) => void,
) => boolean;
type Alg = 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA';
const keyPairs = new Map<Alg, { publicKey: CryptoKey; privateKey: CryptoKey }>();

beforeAll(async () => {
  for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const) {
    keyPairs.set(alg, await generateKeyPair(alg, { extractable: true }));
  }
});

function sign(alg: Alg, header: Record<string, unknown> = {}, claims: object = CLAIMS) {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg, typ: 'at+jwt', ...header })
    .sign(keyPairs.get(alg)!.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An ES256 token with any header at all (jose refuses to sign most of the hostile ones). */
async function signRawES256(header: Record<string, unknown>, claims: object = CLAIMS) {
  const input = `${b64({ alg: 'ES256', typ: 'at+jwt', ...header })}.${b64(claims)}`;
  const sig = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    keyPairs.get('ES256')!.privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${Buffer.from(sig).toString('base64url')}`;
}

function keysOf(key: CryptoKey) {
  return allowlistedKeys(SUPPORTED_ALGORITHMS, () => key);
}

function tamper(token: string): string {
  const dot = token.lastIndexOf('.');
  const sig = token.slice(dot + 1);
  // Flip a whole character in the middle (keeps the canonical spelling).
  const i = Math.floor(sig.length / 2);
  return `${token.slice(0, dot + 1 + i)}${sig[i] === 'A' ? 'B' : 'A'}${sig.slice(i + 1)}`;
}

/** `verifyJwt` as a promise (it answers, or throws, synchronously when it checked in place). */
const verifyJwt = async (...args: Parameters<typeof jwt.verifyJwt>) => jwt.verifyJwt(...args);

const verify = (token: string, key: CryptoKey) =>
  verifyJwt(token, keysOf(key), SETTINGS, () => Date.now());

describe('signature backends (node:crypto synchronously alone, on the pool in a burst)', () => {
  it('runs on node:crypto in this runtime', () => {
    expect(usesNodeCrypto).toBe(true);
  });

  it.each(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const)(
    '%s: a lone token verifies synchronously; a tampered one is ERR_SIGNATURE_INVALID',
    async (alg) => {
      const key = keyPairs.get(alg)!.publicKey;
      const before = { ...schedulerStats };
      const { claims, header } = await verify(await sign(alg), key);
      expect(claims).toEqual(CLAIMS);
      expect(header.alg).toBe(alg);
      expect(schedulerStats.inPlace - before.inPlace).toBe(1);
      expect(schedulerStats.pool - before.pool).toBe(0);
      await rejectsWith(verify(tamper(await sign(alg)), key), 'ERR_SIGNATURE_INVALID');
    },
  );

  it.each(['RS256', 'ES256', 'EdDSA'] as const)(
    '%s: a burst goes to the thread pool; bad signatures in it are refused',
    async (alg) => {
      const key = keyPairs.get(alg)!.publicKey;
      const good = await Promise.all(Array.from({ length: 8 }, () => sign(alg)));
      const bad = good.map(tamper);
      const before = { ...schedulerStats };
      const results = await Promise.allSettled([...good, ...bad].map((t) => verify(t, key)));
      expect(results.slice(0, 8).map((r) => r.status)).toEqual(Array(8).fill('fulfilled'));
      for (const r of results.slice(8)) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason.code).toBe('ERR_SIGNATURE_INVALID');
      }
      // 16 arrive together: one job per pool thread, the others in place (no queueing there).
      // Every check ran exactly once: the pool filled first, then in place (or queued, then
      // served by either).
      expect(schedulerStats.pool - before.pool).toBeGreaterThanOrEqual(1);
      expect(schedulerStats.pool - before.pool + schedulerStats.inPlace - before.inPlace).toBe(16);
    },
  );

  it('a storm never puts more than 16 jobs per pool thread on the pool, in arrival order', async () => {
    const key = keyPairs.get('EdDSA')!.publicKey;
    const tokens = await Promise.all(
      Array.from({ length: 400 }, (_, jti) => sign('EdDSA', {}, { ...CLAIMS, jti: String(jti) })),
    );
    const nodeCrypto = (process.getBuiltinModule as (id: string) => { verify: NodeVerify })(
      'node:crypto',
    );
    const original = nodeCrypto.verify;
    let outstanding = 0;
    let most = 0;
    const dispatched: string[] = [];
    const spy = vi.spyOn(nodeCrypto, 'verify').mockImplementation((...args) => {
      const callback = args[4];
      if (callback === undefined) return original(...args);
      dispatched.push(Buffer.from(args[1]).toString('latin1'));
      outstanding++;
      most = Math.max(most, outstanding);
      return original(args[0], args[1], args[2], args[3], (err, ok) => {
        outstanding--;
        callback(err, ok);
      });
    });
    try {
      await Promise.all(tokens.map((t) => verify(t, key)));
      expect(most).toBe(schedulerStats.poolJobs);
      // Those handed to the pool went in arrival order, the others ran in place in arrival order.
      const inputs = tokens.map((t) => t.slice(0, t.lastIndexOf('.')));
      expect(dispatched).toEqual(inputs.filter((i) => dispatched.includes(i)));
      // The first token was checked in place, in the caller's own call (nothing else was in
      // flight yet); the next poolJobs went to the pool, in arrival order.
      expect(dispatched).not.toContain(inputs[0]);
      expect(dispatched.slice(0, schedulerStats.poolJobs)).toEqual(
        inputs.slice(1, schedulerStats.poolJobs + 1),
      );
    } finally {
      spy.mockRestore();
    }
  });

  it('a storm keeps the event loop turning and answers in arrival order', async () => {
    const key = keyPairs.get('EdDSA')!.publicKey;
    const tokens = await Promise.all(
      Array.from({ length: 400 }, (_, jti) => sign('EdDSA', {}, { ...CLAIMS, jti: `s${jti}` })),
    );
    const before = { ...schedulerStats };
    const order: number[] = [];
    let doneWhenTimerFired = -1;
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        doneWhenTimerFired = order.length;
        resolve();
      }, 0),
    );
    await Promise.all([...tokens.map((t, i) => verify(t, key).then(() => order.push(i))), timer]);
    // 400 EdDSA checks take far more than one 1 ms budget: most waited in the queue, and a timer
    // set when they arrived ran long before the last one was answered.
    expect(schedulerStats.queued - before.queued).toBeGreaterThan(100);
    expect(doneWhenTimerFired).toBeGreaterThanOrEqual(0);
    expect(doneWhenTimerFired).toBeLessThan(200);
    // First come, first served, give or take the jobs running on the pool together.
    const overtaken = Math.max(...order.map((token, place) => token - place));
    expect(overtaken).toBeLessThanOrEqual(schedulerStats.poolJobs);
  });

  it('decodes and checks a header once per header segment, frozen and shared', async () => {
    const key = keyPairs.get('ES256')!.publicKey;
    const [a, b] = await Promise.all([sign('ES256'), sign('ES256')]);
    const [ja, jb] = [await verify(a, key), await verify(b, key)];
    expect(ja.header).toBe(jb.header);
    expect(Object.isFrozen(ja.header)).toBe(true);
    // A different header segment is decoded and checked on its own.
    await rejectsWith(
      verify(await signRawES256({ crit: ['zip'], zip: 1 }), key),
      'ERR_CRIT_UNSUPPORTED',
    );
  });

  it('a signature of another key of the same algorithm is refused on both backends', async () => {
    const other = (await generateKeyPair('ES256')).publicKey;
    const token = await sign('ES256');
    await rejectsWith(verify(token, other), 'ERR_SIGNATURE_INVALID');
    const burst = await Promise.allSettled(Array.from({ length: 4 }, () => verify(token, other)));
    expect(burst.map((r) => (r as PromiseRejectedResult).reason?.code)).toEqual(
      Array(4).fill('ERR_SIGNATURE_INVALID'),
    );
  });
});

describe('key rules (jose checks, same codes)', () => {
  it('an RSA key under 2048 bits is refused: ERR_ALG_NOT_ALLOWED (key_too_small)', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const input = `${b64({ alg: 'RS256', typ: 'at+jwt' })}.${b64(CLAIMS)}`;
    const token = `${input}.${nodeSign('sha256', Buffer.from(input), small.privateKey).toString('base64url')}`;
    const publicKey = await crypto.subtle.importKey(
      'jwk',
      small.publicKey.export({ format: 'jwk' }),
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      true,
      ['verify'],
    );
    const err = await rejectsWith(verify(token, publicKey), 'ERR_ALG_NOT_ALLOWED');
    expect(err.reason).toBe('key_too_small');
  });

  it.each([
    ['an ES256 token against a P-384 key', 'ES256', 'ES384'],
    ['an ES256 token against an RSA key', 'ES256', 'RS256'],
    ['a PS256 token against an RS256 key', 'PS256', 'RS256'],
    ['an RS256 token against an Ed25519 key', 'RS256', 'EdDSA'],
  ] as const)('%s is refused before any signature check', async (_n, alg, keyAlg) => {
    const before = { ...schedulerStats };
    await rejectsWith(
      verify(await sign(alg), keyPairs.get(keyAlg)!.publicKey),
      'ERR_TOKEN_MALFORMED',
    );
    expect(schedulerStats.inPlace + schedulerStats.pool).toBe(before.inPlace + before.pool);
  });

  it('a private key is never used to verify', async () => {
    await rejectsWith(
      verify(await sign('ES256'), keyPairs.get('ES256')!.privateKey),
      'ERR_TOKEN_MALFORMED',
    );
  });
});

describe('header rules (jose compactVerify, same codes)', () => {
  it.each([
    ['crit naming an unknown extension', { crit: ['exp'], exp: 1 }, 'ERR_CRIT_UNSUPPORTED'],
    ['an empty crit', { crit: [] }, 'ERR_TOKEN_MALFORMED'],
    ['crit with a non-string', { crit: [1] }, 'ERR_TOKEN_MALFORMED'],
    ['crit b64 without b64', { crit: ['b64'] }, 'ERR_TOKEN_MALFORMED'],
    ['crit b64 with a non-boolean b64', { crit: ['b64'], b64: 'no' }, 'ERR_TOKEN_MALFORMED'],
    ['an unencoded payload (b64 false)', { crit: ['b64'], b64: false }, 'ERR_TOKEN_MALFORMED'],
    ['typ JWT where at+jwt is required', { typ: 'JWT' }, 'ERR_TYP_INVALID'],
    ['typ dpop+jwt', { typ: 'dpop+jwt' }, 'ERR_TYP_INVALID'],
  ] as const)('%s → %s', async (_n, header, code) => {
    await rejectsWith(verify(await signRawES256(header), keyPairs.get('ES256')!.publicKey), code);
  });

  it('an algorithm outside the allowlist is refused before the key lookup', async () => {
    const lookup = vi.fn(() => keyPairs.get('ES256')!.publicKey);
    await rejectsWith(
      verifyJwt(await sign('ES256'), allowlistedKeys(['RS256'], lookup), SETTINGS, Date.now),
      'ERR_ALG_NOT_ALLOWED',
    );
    expect(lookup).not.toHaveBeenCalled();
  });

  it.each([
    ['alg missing', { alg: undefined }],
    ['alg empty', { alg: '' }],
    ['alg none', { alg: 'none' }],
    ['alg HS256', { alg: 'HS256' }],
  ])('%s is refused', async (_n, header) => {
    const token = await sign('ES256');
    const [, payload, sig] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ typ: 'at+jwt', ...header })).toString('base64url')}.${payload}.${sig}`;
    const err = await verify(forged, keyPairs.get('ES256')!.publicKey).catch((e: unknown) => e);
    expect(['ERR_TOKEN_MALFORMED', 'ERR_ALG_NOT_ALLOWED']).toContain(
      (err as { code: string }).code,
    );
  });
});

describe('the WebCrypto backend (runtimes without node:crypto)', () => {
  it('verifies and refuses exactly as the node:crypto one, without touching node:crypto', async () => {
    const proc = process as { getBuiltinModule?: unknown };
    const original = proc.getBuiltinModule;
    vi.resetModules();
    proc.getBuiltinModule = undefined;
    let fresh: typeof import('../jwt.js');
    let stats: typeof signatureStats;
    try {
      fresh = await import('../jwt.js');
      const sig = await import('./signature.js');
      expect(sig.usesNodeCrypto).toBe(false);
      stats = sig.signatureStats;
    } finally {
      proc.getBuiltinModule = original;
    }
    const nodeVerify = vi.spyOn(
      (process.getBuiltinModule as (id: string) => { verify: () => boolean })('node:crypto'),
      'verify',
    );
    try {
      for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
        const key = keyPairs.get(alg)!.publicKey;
        const keys = fresh.allowlistedKeys(SUPPORTED_ALGORITHMS, () => key);
        const ok = await fresh.verifyJwt(await sign(alg), keys, SETTINGS, Date.now); // WebCrypto: a promise
        expect(ok.claims).toEqual(CLAIMS);
        await rejectsWith(
          (async () => fresh.verifyJwt(tamper(await sign(alg)), keys, SETTINGS, Date.now))(),
          'ERR_SIGNATURE_INVALID',
        );
      }
      expect(stats.webCrypto).toBe(6);
      expect(nodeVerify).not.toHaveBeenCalled();
    } finally {
      nodeVerify.mockRestore();
      vi.resetModules();
    }
  });
});

describe('with the real authorization server', () => {
  let as: Awaited<ReturnType<typeof startAuthServer>>;
  beforeAll(async () => {
    as = await startAuthServer();
  });
  afterAll(async () => {
    await as?.stop();
  });

  it('1,000 concurrent validations of one new token: one signature check on any backend', async () => {
    const token = await serviceToken(as);
    const validator = validatorFor(as);
    const nodeCrypto = (process.getBuiltinModule as (id: string) => { verify: () => boolean })(
      'node:crypto',
    );
    const nodeVerify = vi.spyOn(nodeCrypto, 'verify');
    const subtleVerify = vi.spyOn(globalThis.crypto.subtle, 'verify');
    try {
      const results = await Promise.all(
        Array.from({ length: 1000 }, () => validator.validate(token)),
      );
      expect(new Set(results).size).toBe(1);
      expect(validator.stats().jwtVerifications).toBe(1);
      expect(nodeVerify.mock.calls.length + subtleVerify.mock.calls.length).toBe(1);
      await validator.validate(token);
      expect(nodeVerify.mock.calls.length + subtleVerify.mock.calls.length).toBe(1);
    } finally {
      nodeVerify.mockRestore();
      subtleVerify.mockRestore();
      await validator.close();
    }
  });

  it('a lone new token is checked within the validate() call; tokens started together are a burst', async () => {
    const validator = validatorFor(as);
    await validator.validate(await serviceToken(as)); // discovery and JWKS
    const [lone, ...burst] = await Promise.all(Array.from({ length: 9 }, () => serviceToken(as)));
    let before = { ...schedulerStats };
    const answer = validator.validate(lone!);
    // Checked before validate() returned: no promise hop between the caller and the signature.
    expect(schedulerStats.inPlace - before.inPlace).toBe(1);
    expect((await answer).token).toBe(lone);
    before = { ...schedulerStats };
    const answers = burst.map((t) => validator.validate(t));
    // Only the first of the loop ran in the caller's call; the other 7 were in flight together
    // when their backend was chosen (the pool, then in place within the turn's budget).
    expect(schedulerStats.inPlace - before.inPlace).toBe(1);
    expect((await Promise.all(answers)).map((a) => a.token)).toEqual(burst);
    expect(schedulerStats.pool - before.pool).toBeGreaterThanOrEqual(1);
    expect(schedulerStats.pool - before.pool + schedulerStats.inPlace - before.inPlace).toBe(8);
    // A refused token is refused the same way on the synchronous path.
    const tampered = tamper(await serviceToken(as));
    await rejectsWith(validator.validate(tampered), 'ERR_SIGNATURE_INVALID');
    await validator.close();
  });
});
