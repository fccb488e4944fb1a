/**
 * Redacts a secret to its first and last 4 characters (`eyJh…Q5fA`), so a report shows which token
 * was used without revealing it. Values of 12 characters or fewer are hidden entirely.
 *
 * @example
 * ```ts
 * redactToken('eyJhbGciOiJSUzI1NiJ9.payload.signature'); // 'eyJh…ture'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-5.3 (do not leak bearer tokens)
 */
export function redactToken(value: string): string {
  if (value.length <= 12) return '*'.repeat(Math.max(value.length, 4));
  return `${value.slice(0, 4)}…${value.slice(-4)}`;
}

/**
 * Replaces every occurrence of each secret in `text` (raw or URL-encoded) by its redacted form.
 * Longest secrets first, so a secret that contains another is redacted as a whole.
 *
 * @example
 * ```ts
 * redactSecrets(`Authorization: Bearer ${token}`, [token]); // 'Authorization: Bearer eyJh…Q5fA'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-5.3
 */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  const list = [...new Set(secrets)]
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of list) {
    if (out.includes(secret)) out = out.split(secret).join(redactToken(secret));
    // Secrets also travel URL-encoded (query strings, form bodies).
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret && out.includes(encoded))
      out = out.split(encoded).join(redactToken(secret));
    // …and inside JSON strings (a `/` or `"` escaped).
    // (replaced by the escaped redaction, so that JSON stays JSON).
    const quoted = JSON.stringify(secret).slice(1, -1);
    if (quoted !== secret && out.includes(quoted))
      out = out.split(quoted).join(JSON.stringify(redactToken(secret)).slice(1, -1));
  }
  return out;
}

/**
 * Names of the parameters and fields whose values are secrets wherever they appear: query strings,
 * fragments, form bodies, `name=value` report lines and JSON bodies.
 */
export const SECRET_PARAMETERS: readonly string[] = [
  'code',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'code_verifier',
  'registration_access_token',
  'device_code',
  'client_assertion',
  'subject_token',
  'actor_token',
  'assertion',
  'password',
];

const NAMES = SECRET_PARAMETERS.join('|');
// `name=value` in a query string, a fragment, a form body or a report line. The name must not be the
// tail of a longer name (`response_type=code` and `code_challenge=` stay).
const PARAM = new RegExp(`(?<![\\w.-])(${NAMES})=([^&#\\s,;"'<>\\\\]+)`, 'gi');
// `"name": "value"` in JSON, also when that JSON is itself inside a JSON string (`\"name\":\"value\"`).
// `code` is not among them: in JSON it is an error code (`{ "code": "ERR_…" }`), and an
// authorization code never travels in JSON (it is redacted by value once the client has seen it).
const JSON_NAMES = SECRET_PARAMETERS.filter((n) => n !== 'code').join('|');
const JSON_FIELD = new RegExp(
  `(\\\\?"(?:${JSON_NAMES})\\\\?"\\s*:\\s*\\\\?")((?:[^"\\\\]|\\\\[^"])+)`,
  'gi',
);
// The credentials of an `Authorization` (or `Proxy-Authorization`) header, whatever the scheme.
const AUTHORIZATION_HEADER =
  /\b((?:proxy-)?authorization\s*:\s*(?:(?:Bearer|Basic|DPoP|MAC|Negotiate|Token)\s+)?)([^\s,;"'\\]+)/gi;
// A credential after an auth scheme anywhere else (`Bearer eyJ…`): a token68 long enough not to be a
// word, and not an auth-param (`Bearer error="invalid_token"` stays).
const SCHEME_CREDENTIAL = /\b((?:Bearer|Basic|DPoP)\s+)([A-Za-z0-9\-._~+/]{16,}=*)(?![\w"=~+/.-])/g;
// `Cookie:` / `Set-Cookie:` values carry sessions.
const COOKIE_HEADER = /\b((?:set-)?cookie\s*:\s*)([^\r\n]+)/gi;

/** True for a value this module already produced (`eyJh…Q5fA`, `****`), or the `…` placeholder. */
function isRedacted(value: string): boolean {
  return (value.length === 9 && value[4] === '…') || /^\*{4,}$/.test(value) || value === '…';
}

/** A value as found in the text (still URL-encoded: decoding could create new structure). */
function redactValue(value: string): string {
  return isRedacted(value) ? value : redactToken(value);
}

/**
 * The one redaction every line of a report goes through (text and `--json`): each registered secret
 * (raw, URL-encoded or JSON-escaped), and — registered or not — the value of every secret parameter
 * (authorization `code`, `access_token`, `refresh_token`, `id_token`, `client_secret`,
 * `code_verifier`, `registration_access_token`, …) in URLs' query strings and fragments, form bodies,
 * JSON bodies and `name=value` lines, the credentials of `Authorization` headers and of `Bearer` /
 * `Basic` / `DPoP` credentials, and cookies. Secrets keep their first and last 4 characters; values
 * of 12 characters or fewer are hidden entirely. Redacting a line this function produced again
 * changes nothing.
 *
 * @example
 * ```ts
 * redact('302 Location: http://127.0.0.1:8976/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj');
 * // '302 Location: http://127.0.0.1:8976/callback?code=Splx…SbIA&state=af0ifjsldkj'
 * redact(`Authorization: Bearer ${token}`); // 'Authorization: Bearer eyJh…Q5fA'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-5.3 (do not leak bearer tokens)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.5 (authorization codes are secrets)
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1 (the code_verifier)
 */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let out = redactSecrets(text, secrets);
  if (!out) return out;
  out = out.replace(PARAM, (_m, name: string, value: string) => `${name}=${redactValue(value)}`);
  out = out.replace(JSON_FIELD, (m, prefix: string, value: string) => {
    if (isRedacted(value)) return m;
    // A value with escapes could be cut in the middle of one: hide it entirely, JSON stays JSON.
    return `${prefix}${value.includes('\\') ? '********' : redactToken(value)}`;
  });
  out = out.replace(AUTHORIZATION_HEADER, (_m, prefix: string, value: string) =>
    isRedacted(value) ? `${prefix}${value}` : `${prefix}${redactToken(value)}`,
  );
  out = out.replace(SCHEME_CREDENTIAL, (_m, prefix: string, value: string) =>
    isRedacted(value) ? `${prefix}${value}` : `${prefix}${redactToken(value)}`,
  );
  out = out.replace(COOKIE_HEADER, (_m, prefix: string, value: string) =>
    value
      .split(/;\s*/)
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq <= 0) return pair;
        const k = pair.slice(0, eq);
        const v = pair.slice(eq + 1);
        return /^(path|domain|expires|max-age|samesite|secure|httponly)$/i.test(k.trim()) ||
          v === '' ||
          isRedacted(v)
          ? pair
          : `${k}=${redactToken(v)}`;
      })
      .join('; ')
      .replace(/^/, prefix),
  );
  return out;
}
