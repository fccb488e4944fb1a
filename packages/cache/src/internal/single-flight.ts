import { CacheError } from '../errors.js';
import type { LoadResult } from '../types.js';

/** The longest delay setTimeout honours (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A `getOrLoad` loader: called with the key (one loader function can serve every key). */
export type Loader<V> = (key: string) => Promise<LoadResult<V>> | LoadResult<V>;

/** Turns a loader's result into the flight's value (stores it, or throws its error). */
export type AcceptResult<V> = (key: string, result: LoadResult<V>, flight: Flight<V>) => V;

/**
 * One load in flight. While its loader is pending it is also a link in the FIFO of watched loads
 * (all share one timeout, so start order is deadline order).
 */
export class Flight<V> {
  promise: Promise<V> = undefined as unknown as Promise<V>;
  /** Cleared by a write to the key during the load: the (now stale) result is not stored. */
  store = true;
  /** `performance.now()` past which the load is abandoned. */
  deadline = 0;
  /** Set once the loader settled or the load timed out (whichever came first wins). */
  settled = false;
  reject: (err: unknown) => void = noop;
  prev: Flight<V> | undefined = undefined;
  next: Flight<V> | undefined = undefined;
  constructor(readonly key: string) {}
}

function noop(): void {}

/**
 * Single flight with deadlines: at most one load per key, every load bounded by `timeoutMs`.
 * The timeout costs no timer per load: pending loads sit in an intrusive FIFO watched by one
 * unref'd timer armed for the oldest deadline (see {@link SingleFlight.checkDeadlines}).
 */
export class SingleFlight<V> {
  private readonly flights = new Map<string, Flight<V>>();
  /** Loads waiting for their loader, oldest first: an intrusive list (no hashing per load). */
  private oldest: Flight<V> | undefined;
  private newest: Flight<V> | undefined;
  /** One unref'd timer for the oldest pending load's deadline, armed only while loads are pending. */
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly accept: AcceptResult<V>,
  ) {}

  /** The load in flight for `key`, if any. */
  running(key: string): Flight<V> | undefined {
    return this.flights.get(key);
  }

  /** Registers a new flight before its load starts, so a loader that throws synchronously still cleans up. */
  start(key: string): Flight<V> {
    const flight = new Flight<V>(key);
    this.flights.set(key, flight);
    return flight;
  }

  /** Forgets `flight` if it is still the one registered for its key. */
  end(key: string, flight: Flight<V>): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }

  /** A write to `key` makes a load in flight stale: its result is returned but not stored. */
  invalidate(key: string): void {
    const flight = this.flights.get(key);
    if (flight !== undefined) {
      flight.store = false;
      this.flights.delete(key);
    }
  }

  /** Every load in flight becomes stale (clear, close). Pending callers still get their result. */
  invalidateAll(): void {
    for (const flight of this.flights.values()) flight.store = false;
    this.flights.clear();
  }

  /**
   * Calls the loader (sync or async), bounds it by the timeout, and turns its result into the
   * flight's value (or failure) through `accept`.
   */
  run(key: string, loader: Loader<V>, flight: Flight<V>): Promise<V> {
    let pending: Promise<LoadResult<V>> | LoadResult<V>;
    try {
      pending = loader(key);
    } catch (err) {
      // A loader that throws synchronously is a failed load like any other.
      this.end(key, flight);
      return Promise.reject(err);
    }
    if (
      pending === null ||
      typeof pending !== 'object' ||
      typeof (pending as { then?: unknown }).then !== 'function'
    ) {
      try {
        return Promise.resolve(this.accept(key, pending as LoadResult<V>, flight));
      } catch (err) {
        return Promise.reject(err);
      } finally {
        this.end(key, flight);
      }
    }
    return new Promise<V>((resolve, reject) => {
      flight.deadline = performance.now() + this.timeoutMs;
      flight.reject = reject;
      this.link(flight);
      // Promise.resolve adopts foreign thenables safely (a throwing or double-calling `then`).
      Promise.resolve(pending).then(
        (result) => {
          if (flight.settled) return; // timed out: an abandoned result is never stored
          this.unlink(flight);
          this.end(key, flight);
          let value: V;
          try {
            value = this.accept(key, result, flight);
          } catch (err) {
            reject(err);
            return;
          }
          resolve(value);
        },
        (err: unknown) => {
          if (flight.settled) return;
          this.unlink(flight);
          this.end(key, flight);
          reject(err);
        },
      );
    });
  }

  private link(flight: Flight<V>): void {
    const newest = this.newest;
    if (newest === undefined) {
      this.oldest = flight;
      if (this.deadlineTimer === undefined) this.armDeadlineTimer(this.timeoutMs);
    } else {
      newest.next = flight;
      flight.prev = newest;
    }
    this.newest = flight;
  }

  /** Marks the load settled and takes it out of the watched list. */
  private unlink(flight: Flight<V>): void {
    flight.settled = true;
    const { prev, next } = flight;
    if (prev === undefined) this.oldest = next;
    else prev.next = next;
    if (next === undefined) this.newest = prev;
    else next.prev = prev;
    flight.prev = undefined;
    flight.next = undefined;
  }

  private armDeadlineTimer(ms: number): void {
    // setTimeout treats delays beyond 2^31 - 1 ms as 1 ms: wait at most that long, then look again.
    const timer = setTimeout(
      () => {
        this.deadlineTimer = undefined;
        this.checkDeadlines();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    // Never keep the process alive for a watchdog.
    (timer as { unref?: () => void }).unref?.();
    this.deadlineTimer = timer;
  }

  /** Times out every pending load past its deadline; re-arms for the oldest one left. */
  private checkDeadlines(): void {
    const now = performance.now();
    for (let flight = this.oldest; flight !== undefined; flight = this.oldest) {
      const remaining = flight.deadline - now;
      if (remaining > 0) {
        // Timers may fire a fraction of a millisecond early: never time out a load early.
        this.armDeadlineTimer(Math.max(1, Math.ceil(remaining)));
        return;
      }
      this.unlink(flight);
      this.end(flight.key, flight);
      flight.reject(
        new CacheError(
          'ERR_CACHE_TIMEOUT',
          'load',
          `loader did not settle within ${this.timeoutMs} ms`,
        ),
      );
    }
  }
}
