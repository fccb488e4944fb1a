import { isTestClientError } from './errors.js';
import { redact } from './redact.js';

/** The outcome of one step of the flow. */
export type StepStatus = 'ok' | 'fail' | 'skip';

/** One step of the flow as it was run: what was sent and received, redacted. */
export interface StepRecord {
  /** Stable identifier (`probe`, `resource_metadata`, `token`, …). */
  id: string;
  /** Human title, e.g. `Request without a token`. */
  title: string;
  status: StepStatus;
  /** Wall-clock duration in milliseconds. */
  durationMs: number;
  /** What the client sent (request lines, parameters). Tokens redacted. */
  sent: string[];
  /** What the client received (status, headers, fields). Tokens redacted. */
  received: string[];
  /** Extra observations (decisions, warnings). */
  notes: string[];
  /** Present when the step failed. */
  error?: { code: string; message: string };
}

/** What a running step can record. */
export interface StepContext {
  sent(line: string): void;
  received(line: string): void;
  note(line: string): void;
  /** Marks the step as skipped (not failed) with a reason. */
  skip(reason: string): void;
}

/** Called each time a step finishes (the CLI prints it). */
export type StepListener = (step: StepRecord) => void;

/**
 * The ordered record of a run. Secrets registered with {@link Report.secret} never appear in any
 * step: they are replaced by their first and last 4 characters.
 *
 * @example
 * ```ts
 * const report = new Report({ onStep: (step) => console.log(formatStep(step)) });
 * await authorize(serverUrl, { nonInteractive: true, report });
 * console.log(JSON.stringify(report)); // { ok, steps: [...] }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-5.3 (never leak bearer tokens)
 */
export class Report {
  readonly steps: StepRecord[] = [];
  readonly #secrets = new Set<string>();
  readonly #listeners: StepListener[] = [];
  readonly #now: () => number;

  constructor(options: { now?: () => number; onStep?: StepListener } = {}) {
    this.#now = options.now ?? Date.now;
    if (options.onStep) this.#listeners.push(options.onStep);
  }

  /** Registers a secret (token, code, verifier, client secret) to redact from everything recorded. */
  secret(value: string | undefined): void {
    if (value && value.length > 0) this.#secrets.add(value);
  }

  /**
   * Redacts `text` with {@link redact}: every registered secret, and the value of every secret
   * parameter, header and JSON field whether registered or not. Everything a report records or the
   * CLI prints goes through here.
   */
  redact(text: string): string {
    return redact(text, this.#secrets);
  }

  onStep(listener: StepListener): void {
    this.#listeners.push(listener);
  }

  /** True when at least one step ran and none failed. */
  get ok(): boolean {
    return this.steps.length > 0 && this.steps.every((s) => s.status !== 'fail');
  }

  /** The first failed step, if any. */
  get failure(): StepRecord | undefined {
    return this.steps.find((s) => s.status === 'fail');
  }

  /**
   * Runs `fn` as a step: times it, records what it sent and received, and records a failure (then
   * rethrows it) when it throws.
   */
  async step<T>(id: string, title: string, fn: (ctx: StepContext) => Promise<T> | T): Promise<T> {
    const started = this.#now();
    const sent: string[] = [];
    const received: string[] = [];
    const notes: string[] = [];
    let skipped: string | undefined;
    const ctx: StepContext = {
      sent: (line) => sent.push(line),
      received: (line) => received.push(line),
      note: (line) => notes.push(line),
      skip: (reason) => {
        skipped = reason;
      },
    };
    const finish = (status: StepStatus, error?: { code: string; message: string }): void => {
      const record: StepRecord = {
        id,
        title,
        status,
        durationMs: Math.max(0, Math.round(this.#now() - started)),
        sent: sent.map((l) => this.redact(l)),
        received: received.map((l) => this.redact(l)),
        notes: (skipped ? [skipped, ...notes] : notes).map((l) => this.redact(l)),
      };
      if (error) record.error = { code: error.code, message: this.redact(error.message) };
      this.steps.push(record);
      for (const listener of this.#listeners) listener(record);
    };
    try {
      const value = await fn(ctx);
      finish(skipped ? 'skip' : 'ok');
      return value;
    } catch (err) {
      finish('fail', describeError(err));
      throw err;
    }
  }

  /** Appends a step recorded elsewhere (e.g. by a sub-flow's report), redacting it again. */
  record(step: StepRecord): void {
    const record = this.#redactStep(step);
    this.steps.push(record);
    for (const listener of this.#listeners) listener(record);
  }

  /**
   * The JSON form of the report, redacted again at this point: a secret registered after a step was
   * recorded (a token that a later response revealed) is removed from the earlier steps too.
   */
  toJSON(): { ok: boolean; steps: StepRecord[] } {
    return { ok: this.ok, steps: this.steps.map((step) => this.#redactStep(step)) };
  }

  #redactStep(step: StepRecord): StepRecord {
    return {
      ...step,
      sent: step.sent.map((l) => this.redact(l)),
      received: step.received.map((l) => this.redact(l)),
      notes: step.notes.map((l) => this.redact(l)),
      ...(step.error
        ? { error: { code: step.error.code, message: this.redact(step.error.message) } }
        : {}),
    };
  }
}

/**
 * `{ code, message }` for any thrown value (the `code` of a typed error, else `ERR_UNEXPECTED`).
 *
 * @example
 * ```ts
 * describeError(new TestClientError('ERR_STATE_MISMATCH', 'bad state')); // { code: 'ERR_STATE_MISMATCH', message: 'bad state' }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (OAuth error codes reported as they came)
 */
export function describeError(err: unknown): { code: string; message: string } {
  if (isTestClientError(err)) return { code: err.code, message: err.message };
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'ERR_UNEXPECTED', message: err.message };
  }
  return { code: 'ERR_UNEXPECTED', message: String(err) };
}

/**
 * Formats a duration for humans: `850 ms`, `1.2 s`.
 *
 * @example
 * ```ts
 * formatDuration(1234); // '1.2 s'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc3339 (not used: durations here are for people)
 */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * One line per step: `✓ Token request (42 ms) · sent: … · received: …`. Text that came from a server
 * is sanitized (no terminal escape sequences, no line breaks).
 *
 * @example
 * ```ts
 * const report = new Report({ onStep: (step) => process.stdout.write(`${formatStep(step)}\n`) });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-5.3 (tokens arrive here already redacted)
 */
export function formatStep(step: StepRecord, options: { color?: boolean } = {}): string {
  const paint = (code: number, s: string): string =>
    options.color ? `\u001b[${code}m${s}\u001b[0m` : s;
  const mark =
    step.status === 'ok'
      ? paint(32, '✓')
      : step.status === 'skip'
        ? paint(33, '-')
        : paint(31, '✗');
  const clean = sanitizeForTerminal;
  const parts = [`${mark} ${clean(step.title)} (${formatDuration(step.durationMs)})`];
  if (step.sent.length > 0) parts.push(`sent: ${clean(step.sent.join('; '))}`);
  if (step.received.length > 0) parts.push(`received: ${clean(step.received.join('; '))}`);
  if (step.notes.length > 0) parts.push(clean(step.notes.join('; ')));
  if (step.error) parts.push(paint(31, clean(`${step.error.code}: ${step.error.message}`)));
  return parts.join(' · ');
}

/**
 * Makes text from servers safe to print: control characters (terminal escape sequences, CR, LF)
 * become visible `\xNN` escapes.
 *
 * @example
 * ```ts
 * sanitizeForTerminal('a\u001b[2Jb'); // 'a\\x1b[2Jb'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-5.5 (field values carry no control characters; bodies can)
 */
export function sanitizeForTerminal(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
