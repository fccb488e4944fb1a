import { type CryptoKey, errors } from 'jose';
import { asciiBytes, decodeSegment } from './jws.js';

/**
 * The signature step of the one JWT path: checks that a key may verify an algorithm (jose's
 * rules, with jose's errors) and verifies, on the fastest backend the runtime offers:
 *
 * - Node: `node:crypto`'s `verify` with a `KeyObject` made once per JWKS key (found at run time
 *   with `process.getBuiltinModule`, never imported, so edge bundles never see `node:`).
 *   Synchronously when no other verification is in flight: no thread hop, the new token costs
 *   the signature math plus our parsing. When others are in flight, the same call with a
 *   callback, on libuv's thread pool, so a burst uses every core as WebCrypto would; once
 *   every pool thread has one ({@link POOL_SIZE}), the next runs in place again (a storm of
 *   100,000 tokens never floods the pool that `fs` and `dns` share, and holds no buffers or
 *   native jobs while it waits).
 * - Anywhere else (workerd, Deno, Bun, browsers): `crypto.subtle.verify`, as jose does.
 */

/** What jose's algorithm table says about one JWS algorithm, plus the `node:crypto` spelling. */
interface AlgSpec {
  /** WebCrypto `algorithm.name` the key must have. */
  readonly name: string;
  readonly hash?: string;
  readonly namedCurve?: string;
  /** RSA keys under 2048 bits are refused (jose's `minRsaBits`). */
  readonly minRsaBits?: number;
  /** `crypto.subtle.verify` parameters. */
  readonly signing: Record<string, unknown>;
  /** `node:crypto` digest name (null: Ed25519). */
  readonly nodeHash: string | null;
  /** `node:crypto` key options besides `key`. */
  readonly nodeOptions: Record<string, unknown>;
}

const RSA_PKCS1_PSS_PADDING = 6; // node:crypto constants.RSA_PKCS1_PSS_PADDING

function rsa(bits: number, saltLength?: number): AlgSpec {
  const hash = `SHA-${bits}`;
  const name = saltLength === undefined ? 'RSASSA-PKCS1-v1_5' : 'RSA-PSS';
  return {
    name,
    hash,
    minRsaBits: 2048,
    signing: saltLength === undefined ? { name, hash } : { name, hash, saltLength },
    nodeHash: `sha${bits}`,
    nodeOptions: saltLength === undefined ? {} : { padding: RSA_PKCS1_PSS_PADDING, saltLength },
  };
}

function ecdsa(namedCurve: string, bits: number): AlgSpec {
  return {
    name: 'ECDSA',
    namedCurve,
    signing: { name: 'ECDSA', hash: `SHA-${bits}` },
    nodeHash: `sha${bits}`,
    // JWS carries R || S (RFC 7518 §3.4), not DER.
    nodeOptions: { dsaEncoding: 'ieee-p1363' },
  };
}

const ED25519: AlgSpec = {
  name: 'Ed25519',
  signing: { name: 'Ed25519' },
  nodeHash: null,
  nodeOptions: {},
};

/** The asymmetric algorithms of `SUPPORTED_ALGORITHMS`; nothing else can ever be verified. */
const ALGORITHMS: Readonly<Record<string, AlgSpec | undefined>> = Object.freeze({
  __proto__: null,
  RS256: rsa(256),
  RS384: rsa(384),
  RS512: rsa(512),
  PS256: rsa(256, 32),
  PS384: rsa(384, 48),
  PS512: rsa(512, 64),
  ES256: ecdsa('P-256', 256),
  ES384: ecdsa('P-384', 384),
  ES512: ecdsa('P-521', 512),
  EdDSA: ED25519,
  Ed25519: ED25519,
} as unknown as Record<string, AlgSpec>);

// ---- node:crypto, found at run time ----------------------------------------------------------

type NodeVerify = (
  algorithm: string | null,
  data: Uint8Array,
  key: unknown,
  signature: Uint8Array,
  callback?: (err: Error | null, ok: boolean) => void,
) => boolean;
interface NodeCryptoLike {
  verify: NodeVerify;
  KeyObject: { from(key: CryptoKey): unknown };
}

/**
 * Node's own `node:crypto`, or undefined. Only on Node itself: Bun, Deno and workerd offer a
 * `node:crypto` too, but their WebCrypto is their native path, and `KeyObject.from(CryptoKey)`
 * is not something to rely on there.
 */
function findNodeCrypto(): NodeCryptoLike | undefined {
  try {
    const proc = (
      globalThis as {
        process?: {
          getBuiltinModule?: (id: string) => unknown;
          release?: { name?: unknown };
          versions?: Record<string, unknown>;
        };
      }
    ).process;
    if (typeof proc?.getBuiltinModule !== 'function' || proc.release?.name !== 'node') return;
    if (proc.versions?.bun !== undefined || proc.versions?.deno !== undefined) return;
    const c = proc.getBuiltinModule('node:crypto') as Partial<NodeCryptoLike> | undefined;
    if (typeof c?.verify === 'function' && typeof c.KeyObject?.from === 'function') {
      return c as NodeCryptoLike;
    }
  } catch {
    // A runtime that refuses the lookup verifies with WebCrypto.
  }
  return undefined;
}

const nodeCrypto = /* @__PURE__ */ findNodeCrypto();

// ---- keys ------------------------------------------------------------------------------------

/** A key checked for one algorithm, with its `node:crypto` form when there is one. */
interface PreparedKey {
  readonly spec: AlgSpec;
  readonly cryptoKey: CryptoKey;
  /** `{ key: KeyObject, ...nodeOptions }`, or undefined: verify with WebCrypto. */
  readonly node: Record<string, unknown> | undefined;
}

/** Per JWKS key (immutable), per algorithm: the checks are done and the KeyObject made once. */
const prepared = new WeakMap<CryptoKey, Map<string, PreparedKey | TypeError>>();

function unusable(name: unknown, prop = 'algorithm.name'): TypeError {
  return new TypeError(`CryptoKey does not support this operation, its ${prop} must be ${name}`);
}

/** jose's `prepareKey` + `checkCryptoKey` + `checkModulusLength` for a verification key. */
function checkKey(alg: string, spec: AlgSpec, key: CryptoKey): TypeError | undefined {
  if (key.type !== 'public') {
    return new TypeError(`CryptoKey instances must be of type "public" for the ${alg} algorithm`);
  }
  const a = key.algorithm as {
    name: string;
    hash?: { name?: string };
    namedCurve?: string;
    modulusLength?: number;
  };
  if (a.name !== spec.name) return unusable(spec.name);
  if (spec.hash !== undefined && a.hash?.name !== spec.hash) {
    return unusable(spec.hash, 'algorithm.hash');
  }
  if (spec.namedCurve !== undefined && a.namedCurve !== spec.namedCurve) {
    return unusable(spec.namedCurve, 'algorithm.namedCurve');
  }
  if (!key.usages.includes('verify')) {
    return new TypeError(
      'CryptoKey does not support this operation, its usages must include verify.',
    );
  }
  if (
    spec.minRsaBits !== undefined &&
    (typeof a.modulusLength !== 'number' || a.modulusLength < spec.minRsaBits)
  ) {
    return new TypeError(`${alg} requires key modulusLength to be 2048 bits or larger`);
  }
  return undefined;
}

function toNodeKey(spec: AlgSpec, key: CryptoKey): Record<string, unknown> | undefined {
  if (nodeCrypto === undefined) return undefined;
  try {
    return { key: nodeCrypto.KeyObject.from(key), ...spec.nodeOptions };
  } catch {
    return undefined; // this key verifies with WebCrypto
  }
}

/**
 * The key checked for `alg` (jose's rules and errors: a `TypeError` for a key of the wrong
 * kind, `JOSENotSupported` for an unknown algorithm), memoised per key and algorithm.
 * @internal
 */
export function prepareKey(alg: string, key: unknown): PreparedKey {
  const spec = ALGORITHMS[alg];
  if (spec === undefined) {
    throw new errors.JOSENotSupported(
      `alg ${alg} is not supported either by JOSE or your javascript runtime`,
    );
  }
  if ((key as { [Symbol.toStringTag]?: unknown })?.[Symbol.toStringTag] !== 'CryptoKey') {
    throw new TypeError(`Key for the ${alg} algorithm must be of type CryptoKey.`);
  }
  const cryptoKey = key as CryptoKey;
  let byAlg = prepared.get(cryptoKey);
  if (byAlg === undefined) {
    byAlg = new Map();
    prepared.set(cryptoKey, byAlg);
  }
  let p = byAlg.get(alg);
  if (p === undefined) {
    p = checkKey(alg, spec, cryptoKey) ?? { spec, cryptoKey, node: toNodeKey(spec, cryptoKey) };
    byAlg.set(alg, p);
  }
  if (p instanceof TypeError) throw p;
  return p;
}

// ---- verification ----------------------------------------------------------------------------

/**
 * Verifications started and not yet settled, in this process (the cores are shared by every
 * validator). Counted from before the key lookup, so a burst of tokens arriving together sees
 * itself even when each would otherwise finish synchronously.
 */
let inFlight = 0;

/**
 * At most this many verifications in flight (this one included) and it runs synchronously on
 * the calling thread; beyond, on the thread pool. 1: synchronous only when alone (measured in
 * bench/README.md: a lone token gains the thread hop, a burst keeps every core busy).
 */
const SYNC_MAX_IN_FLIGHT = 1;

/** Marks a verification as started; pair with {@link endVerification}. @internal */
export function beginVerification(): void {
  inFlight++;
}

/** @internal */
export function endVerification(): void {
  inFlight--;
}

function failed(cause?: unknown): errors.JWSSignatureVerificationFailed {
  return cause === undefined
    ? new errors.JWSSignatureVerificationFailed()
    : new errors.JWSSignatureVerificationFailed(undefined, { cause });
}

/** Which backend verified the last signatures (for the benchmark and tests). @internal */
export const signatureStats = { sync: 0, pool: 0, webCrypto: 0 };

/**
 * libuv's thread pool size (`UV_THREADPOOL_SIZE`, default 4), shared with `fs`, `dns` and
 * WebCrypto. Once this many verifications are on it, the next one runs synchronously on the
 * calling thread instead of queueing: it would only wait there, and a job handed to another
 * thread costs more CPU than the same check done in place (measured at concurrency 64: about
 * 48 µs of process CPU per RS256 token with every check on the pool, 35 µs with this rule). A
 * storm therefore never puts more than this many jobs on the pool.
 */
const POOL_SIZE = /* @__PURE__ */ (() => {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  const n = Number(env?.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? n : 4;
})();
let poolBusy = 0;

/** {@link POOL_SIZE}, for tests. @internal */
export const poolSize = POOL_SIZE;

/** One verification on libuv's pool. */
function poolVerify(key: PreparedKey, signingInput: string, signature: string): Promise<true> {
  poolBusy++;
  return new Promise<true>((resolve, reject) => {
    const done = (err: unknown, ok: boolean) => {
      poolBusy--;
      if (err) reject(failed(err));
      else if (!ok) reject(failed());
      else resolve(true);
    };
    try {
      nodeCrypto!.verify(
        key.spec.nodeHash,
        asciiBytes(signingInput),
        key.node!,
        decodeSegment(signature),
        (err, ok) => done(err, ok),
      );
    } catch (cause) {
      done(cause ?? new Error('verify failed'), false);
    }
  });
}

/**
 * Verifies the signature (base64url) over the signing input with a prepared key. Returns `true`
 * synchronously (node, alone), or a promise of `true`; a bad signature throws / rejects with
 * jose's `JWSSignatureVerificationFailed`. Call between {@link beginVerification} and
 * {@link endVerification}.
 * @internal
 */
export function verifySignature(
  key: PreparedKey,
  signingInput: string,
  signature: string,
): true | Promise<true> {
  const node = key.node;
  if (node !== undefined && nodeCrypto !== undefined) {
    // Alone, or the pool is full: in place. Otherwise on the pool, so a burst uses every core.
    if (inFlight <= SYNC_MAX_IN_FLIGHT || poolBusy >= POOL_SIZE) {
      signatureStats.sync++;
      let ok: boolean;
      try {
        ok = nodeCrypto.verify(
          key.spec.nodeHash,
          asciiBytes(signingInput),
          node,
          decodeSegment(signature),
        );
      } catch (cause) {
        throw failed(cause);
      }
      if (!ok) throw failed();
      return true;
    }
    signatureStats.pool++;
    return poolVerify(key, signingInput, signature);
  }
  signatureStats.webCrypto++;
  return crypto.subtle
    .verify(
      key.spec.signing as unknown as Parameters<typeof crypto.subtle.verify>[0],
      key.cryptoKey,
      decodeSegment(signature) as Uint8Array<ArrayBuffer>,
      asciiBytes(signingInput) as Uint8Array<ArrayBuffer>,
    )
    .then(
      (ok) => {
        if (!ok) throw failed();
        return true as const;
      },
      (cause: unknown) => {
        throw failed(cause);
      },
    );
}

/** Whether this runtime verifies with `node:crypto` (for tests and the benchmark). @internal */
export const usesNodeCrypto = nodeCrypto !== undefined;
