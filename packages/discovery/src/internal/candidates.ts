import { DiscoveryError } from '../errors.js';
import { type FetchLike, fetchWithLimits, type LimitedResponse } from '../fetch-with-limits.js';

/** 64 KiB: no legitimate metadata document comes near it. */
export const DEFAULT_MAX_METADATA_BYTES = 64 * 1024;
export const DEFAULT_TIMEOUT_MS = 5000;

export interface CandidateSettings {
  fetch: FetchLike | undefined;
  timeoutMs: number;
  maxBytes: number;
  allowInsecureHttpForLoopback: boolean;
  /** For messages: "authorization server metadata for https://as". */
  what: string;
}

/** A candidate answered: the parsed JSON object and the raw response. */
export interface CandidateAnswer {
  url: string;
  json: Record<string, unknown>;
  response: LimitedResponse;
}

// A failure that says "the host is unreachable or the time is up": trying the next well-known URL
// on the same host would only repeat it.
const FATAL = new Set(['ERR_TIMEOUT', 'ERR_NETWORK', 'ERR_ABORTED']);

/**
 * Try `urls` in order under one deadline; `accept` validates an answer (throwing a DiscoveryError
 * to move on to the next URL). Returns the first accepted answer with every URL tried.
 */
export async function tryCandidates<T>(
  urls: readonly string[],
  settings: CandidateSettings,
  accept: (answer: CandidateAnswer) => T | Promise<T>,
): Promise<{ result: T; url: string; tried: string[] }> {
  const deadline = performance.now() + settings.timeoutMs;
  const tried: string[] = [];
  const failures: DiscoveryError[] = [];
  for (const url of urls) {
    const remaining = Math.floor(deadline - performance.now());
    if (remaining <= 0) throw timeout(settings, url, tried, failures);
    tried.push(url);
    try {
      const response = await fetchWithLimits(url, {
        timeoutMs: remaining,
        maxBytes: settings.maxBytes,
        accept: 'application/json',
        allowInsecureHttpForLoopback: settings.allowInsecureHttpForLoopback,
        ...(settings.fetch ? { fetch: settings.fetch } : {}),
      });
      if (response.status !== 200) {
        throw new DiscoveryError('ERR_HTTP_STATUS', `${url} answered HTTP ${response.status}`, {
          url,
          status: response.status,
        });
      }
      const json = parseJsonObject(response.body, url);
      const result = await accept({ url, json, response });
      return { result, url: response.url, tried };
    } catch (err) {
      if (!(err instanceof DiscoveryError)) throw err;
      if (err.code === 'ERR_TIMEOUT') throw timeout(settings, url, tried, failures.concat(err));
      if (FATAL.has(err.code)) {
        throw new DiscoveryError(err.code, `${settings.what}: ${err.message}`, {
          url,
          tried,
          failures: failures.concat(err),
          cause: err,
        });
      }
      failures.push(err);
    }
  }
  // Nothing valid. An HTTP error status (usually 404) only says "not here"; anything else (wrong
  // content type, bad JSON, a mismatching document, a refused redirect) is the story to tell.
  const telling = failures.find((f) => f.code !== 'ERR_HTTP_STATUS');
  if (telling) {
    throw new DiscoveryError(telling.code, `${settings.what}: ${telling.message}`, {
      ...(telling.url === undefined ? {} : { url: telling.url }),
      ...(telling.status === undefined ? {} : { status: telling.status }),
      ...(telling.field === undefined ? {} : { field: telling.field }),
      tried,
      failures,
      cause: telling,
    });
  }
  const summary = failures.map((f) => `${f.url} -> HTTP ${f.status}`).join(', ');
  throw new DiscoveryError('ERR_METADATA_NOT_FOUND', `no ${settings.what} found (${summary})`, {
    tried,
    failures,
    ...(failures.length > 0 ? { status: failures[failures.length - 1]!.status! } : {}),
  });
}

function timeout(
  settings: CandidateSettings,
  url: string,
  tried: string[],
  failures: DiscoveryError[],
): DiscoveryError {
  return new DiscoveryError(
    'ERR_TIMEOUT',
    `${settings.what}: no answer within ${settings.timeoutMs} ms (at ${url})`,
    { url, tried, failures },
  );
}

/** @internal */
export function parseJsonObject(body: string, url: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new DiscoveryError('ERR_INVALID_JSON', `${url} did not answer with JSON`, {
      url,
      status: 200,
    });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new DiscoveryError('ERR_INVALID_JSON', `${url} did not answer with a JSON object`, {
      url,
      status: 200,
    });
  }
  return json as Record<string, unknown>;
}

/** A deep-frozen copy of a JSON value: cached results are shared between callers. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
