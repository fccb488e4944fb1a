import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { KeyInfo, KeyManager, SigningAlg } from './types.js';

const generate = promisify(generateKeyPair);

/** A private JWK as oidc-provider's `jwks` configuration takes it. */
export type PrivateJwk = Record<string, unknown> & { kid: string; alg: SigningAlg; kty: string };

export const SIGNING_ALGS: readonly SigningAlg[] = ['RS256', 'ES256', 'EdDSA'];

export function isSigningAlg(value: unknown): value is SigningAlg {
  return typeof value === 'string' && (SIGNING_ALGS as readonly string[]).includes(value);
}

/** Generates a fresh signing key with a random `kid` (prefixed by its algorithm, for readable logs). */
export async function generateSigningKey(alg: SigningAlg): Promise<PrivateJwk> {
  const { privateKey } =
    alg === 'RS256'
      ? await generate('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? await generate('ec', { namedCurve: 'P-256' })
        : await generate('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const kid = `${alg.toLowerCase()}-${randomBytes(9).toString('base64url')}`;
  return { ...jwk, kid, alg, use: 'sig', kty: String(jwk.kty) };
}

/**
 * The signing keys of one server: which exist (all are published in the JWKS) and which one is current
 * for each algorithm. `onChange` rebuilds the provider so its keystore and JWKS follow.
 */
export class KeyRing {
  readonly #keys: PrivateJwk[] = [];
  readonly #current = new Map<SigningAlg, string>();
  readonly #onChange: () => void;

  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  /** Adds a key; the first key of an algorithm becomes current. Does not notify. */
  push(key: PrivateJwk): void {
    this.#keys.push(key);
    if (!this.#current.has(key.alg)) this.#current.set(key.alg, key.kid);
  }

  async add(alg: SigningAlg = 'RS256'): Promise<string> {
    if (!isSigningAlg(alg)) {
      throw new TypeError(`"alg" must be one of ${SIGNING_ALGS.join(', ')}`);
    }
    const key = await generateSigningKey(alg);
    this.push(key);
    this.#onChange();
    return key.kid;
  }

  setCurrent(kid: string): void {
    const key = this.#find(kid);
    this.#current.set(key.alg, key.kid);
    this.#onChange();
  }

  remove(kid: string): void {
    const key = this.#find(kid);
    if (this.#current.get(key.alg) === kid) {
      throw new Error(`key "${kid}" is the current ${key.alg} key; make another key current first`);
    }
    this.#keys.splice(this.#keys.indexOf(key), 1);
    this.#onChange();
  }

  list(): KeyInfo[] {
    return this.#keys.map((k) => ({
      kid: k.kid,
      alg: k.alg,
      current: this.#current.get(k.alg) === k.kid,
    }));
  }

  currentKid(alg: SigningAlg): string | undefined {
    return this.#current.get(alg);
  }

  /** Keys for oidc-provider's `jwks` option: current keys first, so its own default selection agrees. */
  jwks(): { keys: PrivateJwk[] } {
    const current = new Set(this.#current.values());
    const sorted = [...this.#keys].sort(
      (a, b) => Number(current.has(b.kid)) - Number(current.has(a.kid)),
    );
    return { keys: sorted.map((k) => ({ ...k })) };
  }

  /** The public keys, as the JWKS endpoint publishes them. */
  publicJwks(): { keys: Record<string, unknown>[] } {
    return {
      keys: this.#keys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub }) => pub),
    };
  }

  #find(kid: string): PrivateJwk {
    const key = this.#keys.find((k) => k.kid === kid);
    if (!key) throw new Error(`unknown key "${kid}"`);
    return key;
  }
}

/** The `keys` member of a running server: key management over its ring. */
export function keyManager(keys: KeyRing): KeyManager {
  return {
    add: (alg) => keys.add(alg),
    rotate: async (alg) => {
      const kid = await keys.add(alg);
      keys.setCurrent(kid);
      return kid;
    },
    setCurrent: (kid) => keys.setCurrent(kid),
    remove: (kid) => keys.remove(kid),
    list: () => keys.list(),
  };
}
