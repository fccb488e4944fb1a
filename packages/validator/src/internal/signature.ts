import { type CryptoKey, errors } from 'jose';
import { asciiBytes, decodeSegment } from './jws.js';
import { failed, type NodeVerify, VerifyScheduler } from './verify-scheduler.js';

/**
 * The signature step of the one JWT path: checks that a key may verify an algorithm (jose's
 * rules, with jose's errors) and verifies, on the fastest backend the runtime offers:
 *
 * - Node: `node:crypto`'s `verify` with a `KeyObject` made once per JWKS key (found at run time
 *   with `process.getBuiltinModule`, never imported, so edge bundles never see `node:`): in place
 *   when no other verification is in flight (no thread hop: a new token costs the signature math
 *   plus our parsing), on libuv's thread pool in a burst, in place again for a bounded slice of
 *   each event-loop turn when the pool is full, queued first-come-first-served beyond that
 *   (verify-scheduler.ts).
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

/** Where node:crypto checks run (in place, pool, queue): see verify-scheduler.ts. */
const scheduler =
  nodeCrypto === undefined
    ? undefined
    : new VerifyScheduler(
        // Looked up on the module at each call (a test or the benchmark may wrap it).
        (...args) => nodeCrypto.verify(...args),
        (f) => (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate!(f),
        () => performance.now(),
      );

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

/** Whether this synchronous run (until the next microtask checkpoint) used its in-place slot. */
let slotTaken = false;
const freeSlot = (): void => {
  slotTaken = false;
};

/**
 * Whether a verification may run in the caller's own call, with no promise hop: on Node, when no
 * other verification is in flight and none ran that way in this synchronous run. One per run, so
 * a burst started in one loop (`tokens.map(validate)`) is still seen as a burst by the rest of
 * its tokens (counted in flight before their hop: the thread pool, then the budgeted queue of
 * verify-scheduler.ts), while tokens arriving one by one (a request per event-loop callback, or
 * awaited one after another) are each checked at once. Takes the slot when it answers true.
 * @internal
 */
export function claimInPlaceSlot(): boolean {
  if (scheduler === undefined || inFlight !== 0 || slotTaken) return false;
  slotTaken = true;
  queueMicrotask(freeSlot);
  return true;
}

/** Marks a verification as started; pair with {@link endVerification}. @internal */
export function beginVerification(): void {
  inFlight++;
}

/** @internal */
export function endVerification(): void {
  inFlight--;
}

/** WebCrypto verifications (for tests); the node:crypto ones are in `schedulerStats`. @internal */
export const signatureStats = { webCrypto: 0 };

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
  if (node !== undefined && scheduler !== undefined) {
    return inFlight <= SYNC_MAX_IN_FLIGHT
      ? scheduler.alone(key.spec.nodeHash, node, signingInput, signature)
      : scheduler.run({ hash: key.spec.nodeHash, key: node, signingInput, signature });
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
