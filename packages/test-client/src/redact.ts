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
  }
  return out;
}
