const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
  '/': '&#47;',
  '=': '&#61;',
};

// Every C0 control except tab, LF and CR, plus DEL.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/**
 * Escapes text for HTML element content and quoted attribute values. Control characters are
 * dropped (they have no business in a page and confuse some parsers). Exported for pages that
 * `oauth.onCallback` renders itself.
 *
 * @example
 * ```ts
 * escapeHtml('<img src=x onerror=alert(1)>'); // '&lt;img src&#61;x onerror&#61;alert(1)&gt;'
 * ```
 * @see https://html.spec.whatwg.org/multipage/syntax.html#character-references
 */
export function escapeHtml(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return text.replace(CONTROL, '').replace(/[&<>"'`/=]/g, (c) => ESCAPES[c]!);
}

/** Security headers of every HTML page the server renders. */
export const HTML_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // No scripts at all; inline styles only.
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** A minimal page. `title` and `message` are escaped here; nothing else is interpolated. */
export function renderPage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style>
</head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body>
</html>
`;
}
