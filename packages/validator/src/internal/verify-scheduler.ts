import { errors } from 'jose';
import { asciiBytes, decodeSegment } from './jws.js';

/**
 * Where a `node:crypto` signature check runs, decided per token (see signature.ts):
 *
 * 1. alone (nothing else in flight): in place, synchronously: no thread hop ({@link VerifyScheduler.alone});
 * 2. otherwise, while the pool holds fewer than {@link JOBS_PER_THREAD} jobs per thread: on the
 *    pool, so a burst uses every core;
 * 3. the pool full: in place again, for at most {@link TURN_BUDGET_MS} of each event-loop turn
 *    (a job handed to a full pool only waits, and costs more CPU than the same check in place);
 * 4. beyond that budget: a first-come-first-served queue, served by each pool completion and by
 *    the next turns' budgets. So a storm of 100,000 tokens never blocks the event loop for more
 *    than a millisecond at a time (other requests, timers and I/O keep running), puts at most 64
 *    jobs on the pool (it is shared with `fs` and `dns`), holds only strings while it waits, and
 *    answers in arrival order.
 */

export type NodeVerify = (
  algorithm: string | null,
  data: Uint8Array,
  key: unknown,
  signature: Uint8Array,
  callback?: (err: Error | null, ok: boolean) => void,
) => boolean;

/** One signature check: the digest name, the `{ key: KeyObject, ... }` input, base64url strings. */
export interface NodeJob {
  readonly hash: string | null;
  readonly key: Record<string, unknown>;
  readonly signingInput: string;
  readonly signature: string;
}

interface Waiting {
  readonly job: NodeJob;
  readonly resolve: (ok: true) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * libuv's pool size (`UV_THREADPOOL_SIZE`, default 4). Read only on Node, when the scheduler is
 * made: Deno refuses environment reads without `--allow-env` (it throws), so never at import.
 */
function poolSizeFromEnv(): number {
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
      ?.env;
    const n = Number(env?.UV_THREADPOOL_SIZE);
    return Number.isInteger(n) && n > 0 ? n : 4;
  } catch {
    return 4;
  }
}

/**
 * Jobs queued on libuv per pool thread before checks run in place. With one per thread the
 * threads idled whenever the calling thread was busy with its in-place slice (it alone hands them
 * the next job): at concurrency 64 on a quiet machine 0.82× jose, using 1.2 of 2 cores. Sixteen
 * keep them fed through a slice: 1.09× (quiet) and 1.19× (loaded), at 45 µs of CPU per RS256
 * token instead of 38 µs.
 */
const JOBS_PER_THREAD = 16;

/**
 * In-place checks per event-loop turn while the pool is full, in ms of the calling thread. Measured
 * at concurrency 64 with one pool job per thread (process CPU per RS256 token): every check on the
 * pool 45–47 µs, this budget 40 µs, no budget 35–37 µs; jose 46–50 µs. Without a budget a storm blocks the event loop until
 * every token is checked; 1 ms keeps other requests, timers and I/O running.
 */
const TURN_BUDGET_MS = 1;

/** What ran where (for the benchmark and tests). @internal */
export const schedulerStats = { inPlace: 0, pool: 0, queued: 0, poolJobs: 64 };

export function failed(cause?: unknown): errors.JWSSignatureVerificationFailed {
  return cause === undefined
    ? new errors.JWSSignatureVerificationFailed()
    : new errors.JWSSignatureVerificationFailed(undefined, { cause });
}

export class VerifyScheduler {
  private poolBusy = 0;
  /** Jobs handed to libuv at once: {@link JOBS_PER_THREAD} per pool thread. */
  private readonly poolJobs = poolSizeFromEnv() * JOBS_PER_THREAD;
  /** When this turn's in-place budget started (ms), or -1: not started. */
  private turnStart = -1;
  private turnScheduled = false;
  private waiting: Waiting[] = [];
  private head = 0;

  constructor(
    private readonly verify: NodeVerify,
    private readonly setImmediate: (f: () => void) => unknown,
    private readonly now: () => number,
  ) {
    schedulerStats.poolJobs = this.poolJobs;
  }

  /** A check while others are in flight: the pool, in place within the turn's budget, or queued. */
  run(job: NodeJob): true | Promise<true> {
    if (this.poolBusy < this.poolJobs) return this.onPool(job);
    if (this.head === this.waiting.length && this.budgetLeft()) return this.inPlace(job);
    schedulerStats.queued++;
    return new Promise<true>((resolve, reject) => {
      this.waiting.push({ job, resolve, reject });
    });
  }

  /** A check with nothing else in flight: here and now (no job object, no thread hop). */
  alone(
    hash: string | null,
    key: Record<string, unknown>,
    signingInput: string,
    signature: string,
  ): true {
    schedulerStats.inPlace++;
    let ok: boolean;
    try {
      ok = this.verify(hash, asciiBytes(signingInput), key, decodeSegment(signature));
    } catch (cause) {
      throw failed(cause);
    }
    if (!ok) throw failed();
    return true;
  }

  private inPlace(job: NodeJob): true {
    return this.alone(job.hash, job.key, job.signingInput, job.signature);
  }

  private onPool(job: NodeJob): Promise<true> {
    return new Promise<true>((resolve, reject) => this.startOnPool({ job, resolve, reject }));
  }

  private startOnPool(w: Waiting): void {
    schedulerStats.pool++;
    this.poolBusy++;
    const done = (err: unknown, ok: boolean) => {
      this.poolBusy--;
      const next = this.next();
      if (next !== undefined) this.startOnPool(next);
      if (err) w.reject(failed(err));
      else if (!ok) w.reject(failed());
      else w.resolve(true);
    };
    const { job } = w;
    try {
      this.verify(
        job.hash,
        asciiBytes(job.signingInput),
        job.key,
        decodeSegment(job.signature),
        (err, ok) => done(err, ok),
      );
    } catch (cause) {
      done(cause ?? new Error('verify failed'), false);
    }
  }

  /** Whether this turn may still check in place; starts the turn's budget (and its end). */
  private budgetLeft(): boolean {
    const now = this.now();
    if (this.turnStart < 0) {
      this.turnStart = now;
      if (!this.turnScheduled) {
        this.turnScheduled = true;
        this.setImmediate(this.nextTurn);
      }
      return true;
    }
    return now - this.turnStart < TURN_BUDGET_MS;
  }

  /** A new turn: a fresh budget, spent on the oldest waiting checks first. */
  private readonly nextTurn = (): void => {
    this.turnScheduled = false;
    this.turnStart = -1;
    while (this.head < this.waiting.length && this.budgetLeft()) {
      const w = this.next()!;
      try {
        this.inPlace(w.job);
        w.resolve(true);
      } catch (err) {
        w.reject(err);
      }
    }
  };

  private next(): Waiting | undefined {
    if (this.head === this.waiting.length) return undefined;
    const w = this.waiting[this.head]!;
    this.head++;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head >= 4096 && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head); // drop the served half now and then
      this.head = 0;
    }
    return w;
  }
}
