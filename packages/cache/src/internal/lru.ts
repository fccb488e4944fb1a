/**
 * A bounded map with per-entry expiry and approximate LRU eviction, built on `Map` insertion
 * order. Shared by the memory store, the local tier of a two-level cache and the negative space.
 *
 * Recency: moving an entry to the end of the `Map` on every hit (delete + set) would triple the
 * cost of a hit. Instead a hit only sets a "referenced" flag, and eviction gives referenced entries
 * a second chance (CLOCK): the front entry of the `Map` (least recently inserted or re-queued) is
 * evicted if it was not read since it was queued; otherwise its flag is cleared and it is moved to
 * the end. So an entry read since it was (re-)queued is never evicted while one that was not
 * exists, and a key read at least once per turn of the queue survives any flood of new keys.
 * The cost of re-queueing is paid at eviction (after a miss), once per earlier hit: amortised O(1).
 *
 * Expiry: an expired entry is dropped when it is read, when it reaches the front at eviction time,
 * and by an amortised sweep that inspects {@link SWEEP_STEP} entries per insert through a live
 * `Map` iterator (O(1) per insert, a full pass every `size / SWEEP_STEP` inserts), plus
 * {@link Lru.sweepSome} which the cache calls from an unref'd timer.
 */
const SWEEP_STEP = 2;

/**
 * Keys at least this long are also found through their last {@link TAIL} characters (see
 * {@link Lru.peek}): hashing a fresh 700-character bearer token for `Map.get` costs about 1.5 µs,
 * hashing its last 32 characters almost nothing.
 */
const LONG_KEY = 64;
const TAIL = 32;

class Entry<V> {
  /** False once the entry left the map while still unexpired (deleted, taken, evicted, cleared). */
  live = true;
  constructor(
    public v: V,
    /** Expiry, ms since the epoch. */
    public e: number,
    /** Read since it was (re-)queued. */
    public r: boolean,
    /** The key (compared in full on a hit through the tail index). */
    readonly k: string,
  ) {}
}

export class Lru<V> {
  readonly map = new Map<string, Entry<V>>();
  readonly maxEntries: number;
  /** Time for reads (may be coarse). */
  readonly readNow: () => number;
  /** Time for writes and sweeps (precise). */
  readonly writeNow: () => number;
  hits = 0;
  misses = 0;
  evictions = 0;
  expirations = 0;
  /**
   * A hint index for long keys: last {@link TAIL} characters → entry. Never trusted alone: a hit
   * through it needs the full key equal, the entry live and unexpired; anything else falls back
   * to `map`. Colliding tails just overwrite each other (a slower lookup, never a wrong one).
   * Bounded: cleared when it outgrows twice `maxEntries`, refilled by lookups.
   */
  private readonly tails = new Map<string, Entry<V>>();
  // Live iterators over the values (each entry knows its key): no [key, value] pair per step.
  private sweeper: Iterator<Entry<V>> | undefined;
  private hand: Iterator<Entry<V>> | undefined;
  /** Called once, on the first insert (the owner arms its sweep timer then, not at construction). */
  private onFirstInsert: (() => void) | undefined;

  constructor(
    maxEntries: number,
    readNow: () => number,
    writeNow: () => number,
    onFirstInsert?: () => void,
  ) {
    this.maxEntries = maxEntries;
    this.readNow = readNow;
    this.writeNow = writeNow;
    this.onFirstInsert = onFirstInsert;
  }

  get size(): number {
    return this.map.size;
  }

  /**
   * The hot path: one `Map.get`, one clock read, one comparison, one field write. A long key (a
   * bearer token) is looked up by its tail first, so a freshly received string is not hashed in
   * full; the full key is then compared, which is a memcmp.
   */
  peek(key: string): V | undefined {
    // (peek never throws: a non-string key is simply not found)
    if (typeof key === 'string' && key.length >= LONG_KEY) {
      const en = this.tails.get(key.slice(-TAIL));
      if (en?.live && en.k === key && en.e > this.readNow()) {
        en.r = true;
        this.hits++;
        return en.v;
      }
    }
    const en = this.map.get(key);
    if (en !== undefined) {
      if (en.e > this.readNow()) {
        en.r = true;
        this.hits++;
        if (en.k.length >= LONG_KEY) this.indexTail(en);
        return en.v;
      }
      this.map.delete(key);
      en.live = false;
      this.expirations++;
    }
    this.misses++;
    return undefined;
  }

  private indexTail(en: Entry<V>): void {
    const tails = this.tails;
    if (tails.size >= this.maxEntries * 2) tails.clear();
    tails.set(en.k.slice(-TAIL), en);
  }

  /** Marks an entry that left the map unexpired, and drops its tail hint. */
  private retire(en: Entry<V>): void {
    en.live = false;
    if (en.k.length >= LONG_KEY) {
      const tail = en.k.slice(-TAIL);
      if (this.tails.get(tail) === en) this.tails.delete(tail);
    }
  }

  /** Like {@link peek} but also returns the expiry (ms) and counts nothing. */
  entry(key: string): { value: V; expiresAtMs: number } | undefined {
    const en = this.map.get(key);
    if (en === undefined) return undefined;
    if (en.e <= this.readNow()) {
      this.map.delete(key);
      en.live = false;
      this.expirations++;
      return undefined;
    }
    return { value: en.v, expiresAtMs: en.e };
  }

  /** Stores `value` until `expiresAtMs`; evicts the least recently used entry beyond `maxEntries`. */
  set(key: string, value: V, expiresAtMs: number): void {
    const map = this.map;
    const old = map.get(key);
    if (old !== undefined) {
      map.delete(key);
      old.v = value;
      old.e = expiresAtMs;
      old.r = false;
      map.set(key, old);
      return;
    }
    // Evict before inserting, so the new entry is never the victim.
    if (map.size >= this.maxEntries) this.evictOne();
    // The tail hint is made on the first hit, not here: most entries of a cold burst are never
    // read again soon, and the first hit pays one full-key lookup.
    map.set(key, new Entry(value, expiresAtMs, false, key));
    this.sweepStep();
    const first = this.onFirstInsert;
    if (first !== undefined) {
      this.onFirstInsert = undefined;
      first();
    }
  }

  delete(key: string): boolean {
    const en = this.map.get(key);
    if (en === undefined) return false;
    this.map.delete(key);
    this.retire(en);
    return true;
  }

  /** Removes and returns the live value under `key`. */
  take(key: string): V | undefined {
    const en = this.map.get(key);
    if (en === undefined) return undefined;
    this.map.delete(key);
    this.retire(en);
    if (en.e <= this.writeNow()) {
      this.expirations++;
      return undefined;
    }
    return en.v;
  }

  clear(): void {
    for (const en of this.map.values()) en.live = false;
    this.map.clear();
    this.tails.clear();
    this.sweeper = undefined;
    this.hand = undefined;
  }

  private evictOne(): void {
    const map = this.map;
    const now = this.writeNow();
    // Second chance: re-queue referenced entries until an unreferenced (or expired) one is at the
    // front. Terminates: every re-queued entry loses its flag, so a full turn finds one.
    // The hand is a live iterator, so it never rescans the holes that deletions leave at the
    // front of the Map's backing table (a fresh iterator per eviction would: O(n) per insert).
    let restarted = false;
    for (;;) {
      let it = this.hand;
      if (it === undefined) {
        it = map.values();
        this.hand = it;
      }
      const r = it.next();
      if (r.done) {
        this.hand = undefined;
        if (restarted) return;
        restarted = true;
        continue;
      }
      const en = r.value;
      const key = en.k;
      map.delete(key);
      if (en.e <= now) {
        this.retire(en);
        this.expirations++;
        return;
      }
      if (!en.r) {
        this.retire(en);
        this.evictions++;
        return;
      }
      en.r = false;
      map.set(key, en);
    }
  }

  private sweepStep(): void {
    this.sweepSome(SWEEP_STEP, this.writeNow());
  }

  /**
   * Inspects up to `budget` entries from where the last sweep stopped and drops the expired ones.
   * Returns the number dropped.
   */
  sweepSome(budget: number, now: number): number {
    let dropped = 0;
    let it = this.sweeper;
    let restarted = it === undefined;
    if (it === undefined) {
      if (this.map.size === 0) return 0;
      it = this.map.values();
      this.sweeper = it;
    }
    for (let i = 0; i < budget; i++) {
      let r = it.next();
      if (r.done) {
        // Wrap around once per call, so a large budget covers entries before the old position.
        if (restarted) {
          this.sweeper = undefined;
          break;
        }
        restarted = true;
        it = this.map.values();
        this.sweeper = it;
        r = it.next();
        if (r.done) {
          this.sweeper = undefined;
          break;
        }
      }
      const en = r.value;
      if (en.e <= now) {
        this.map.delete(en.k);
        this.retire(en);
        this.expirations++;
        dropped++;
      }
    }
    return dropped;
  }
}
