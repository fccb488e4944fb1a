import { escapeHtml } from '@mcp-auth/sse-transport';
import type { WhoAmI } from './tools.js';

/** The page the server-side browser flow ends on: who signed in, never a token. */
export function signedInPage(appName: string, who: WhoAmI): string {
  const rows: [string, string][] = [
    ['subject', who.subject ?? '(none)'],
    ['client', who.clientId],
    ['scopes', who.scopes.join(' ') || '(none)'],
    ['issuer', who.issuer ?? ''],
    ['expires', who.expiresAt ?? ''],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(appName)}: signed in</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}td{padding:2px 12px 2px 0}</style>
</head><body><h1>Signed in</h1>
<table>${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td><code>${escapeHtml(v)}</code></td></tr>`).join('')}</table>
<p>The access token was validated for this server and stays on the server: it is never shown in a page. You can close this window.</p>
</body></html>
`;
}
