/**
 * oidc-provider storage for one server. oidc-provider's bundled memory adapter shares one 1,000-entry
 * LRU per process, which load tests and several servers in one test file would evict from; this one is
 * per server (so a rebuilt provider, after a key rotation, keeps every session, code and token), bounded
 * by `maxEntries`, and expires entries on their TTL.
 */

type Payload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string };

interface Entry {
  value: unknown;
  expiresAt: number; // ms; Infinity when no TTL
}

const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'ClientCredentials',
]);

export class MemoryStore {
  readonly #map = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(maxEntries = 200_000) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#map.size;
  }

  get<T = unknown>(key: string): T | undefined {
    const entry = this.#map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#map.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  set(key: string, value: unknown, ttlSeconds?: number): void {
    const expiresAt =
      typeof ttlSeconds === 'number' ? Date.now() + ttlSeconds * 1000 : Number.POSITIVE_INFINITY;
    this.#map.delete(key);
    this.#map.set(key, { value, expiresAt });
    if (this.#map.size > this.#maxEntries) this.#evict();
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  #evict(): void {
    const now = Date.now();
    for (const [key, entry] of this.#map) {
      if (entry.expiresAt <= now) this.#map.delete(key);
    }
    // Still full: drop the oldest tenth (Map iterates in insertion order).
    let excess = this.#map.size - Math.floor(this.#maxEntries * 0.9);
    for (const key of this.#map.keys()) {
      if (excess-- <= 0) break;
      this.#map.delete(key);
    }
  }
}

/** An oidc-provider adapter class over `store`. */
export function createAdapter(store: MemoryStore) {
  return class DevAdapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    key(id: string): string {
      return `${this.model}:${id}`;
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const key = this.key(id);
      if (this.model === 'Session' && payload.uid) {
        store.set(`sessionUid:${payload.uid}`, id, expiresIn);
      }
      if (GRANTABLE.has(this.model) && payload.grantId) {
        const grantKey = `grant:${payload.grantId}`;
        const members = store.get<string[]>(grantKey) ?? [];
        members.push(key);
        store.set(grantKey, members, undefined);
      }
      if (payload.userCode) store.set(`userCode:${payload.userCode}`, id, expiresIn);
      store.set(key, payload, expiresIn);
    }

    async find(id: string): Promise<Payload | undefined> {
      return store.get<Payload>(this.key(id));
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      const id = store.get<string>(`sessionUid:${uid}`);
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      const id = store.get<string>(`userCode:${userCode}`);
      return id ? this.find(id) : undefined;
    }

    async consume(id: string): Promise<void> {
      const payload = store.get<Payload>(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      store.delete(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const grantKey = `grant:${grantId}`;
      for (const key of store.get<string[]>(grantKey) ?? []) store.delete(key);
      store.delete(grantKey);
    }
  };
}
