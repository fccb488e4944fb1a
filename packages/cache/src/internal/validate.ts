/** Option checks: programmer mistakes are `TypeError`s naming the option. */

export function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`"${name}" must be a positive integer, got ${show(value)}`);
  }
  return value;
}

export function positiveSeconds(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`"${name}" must be a finite number of seconds > 0, got ${show(value)}`);
  }
  return value;
}

export function positiveMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(
      `"${name}" must be a finite number of milliseconds > 0, got ${show(value)}`,
    );
  }
  return value;
}

/** Seconds since the epoch beyond this are almost certainly milliseconds (year 5138). */
const MAX_EPOCH_SECONDS = 1e11;

export function epochSeconds(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(
      `"${name}" must be a finite number of seconds since the epoch, got ${show(value)}`,
    );
  }
  if (value > MAX_EPOCH_SECONDS) {
    throw new TypeError(
      `"${name}" must be in seconds since the epoch (like a JWT "exp"), got ${value}, which looks like milliseconds`,
    );
  }
  return value;
}

export function cacheKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new TypeError(`"key" must be a non-empty string, got ${show(key)}`);
  }
  return key;
}

export function show(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'undefined') {
    return String(value);
  }
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
