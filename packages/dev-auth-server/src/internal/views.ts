/** HTML login and consent pages for interactive mode. Self-contained: no external fonts or scripts. */

// Its own copy: this private test server cannot depend on @mcp-auth/sse-transport (whose tests
// depend on it). The five HTML-significant characters only: its pages put paths in attributes.
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:40px 16px}
main{max-width:360px;margin:0 auto;background:#fff;border-radius:8px;padding:24px 28px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.3em;margin:0 0 12px}label{display:block;margin:12px 0 4px;font-size:.9em}
input{width:100%;box-sizing:border-box;padding:8px;font-size:1em;border:1px solid #bbb;border-radius:4px}
button{margin-top:16px;width:100%;padding:10px;font-size:1em;border:0;border-radius:4px;background:#2563eb;color:#fff;cursor:pointer}
a{color:#2563eb}.error{color:#b91c1c}.note{color:#555;font-size:.85em}
ul{padding-left:20px}code{font-size:.9em;word-break:break-all}`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

export function loginPage(o: {
  action: string;
  abortAction: string;
  clientId: string;
  issuer: string;
  login?: string;
  error?: string;
  hint?: string;
}): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p class="note">to continue to <strong>${escapeHtml(o.clientId)}</strong> (local authorization server <code>${escapeHtml(o.issuer)}</code>)</p>
${o.error ? `<p class="error" id="error" role="alert">${escapeHtml(o.error)}</p>` : ''}
<form method="post" action="${escapeHtml(o.action)}" id="login-form" autocomplete="off">
<label for="login">Username or email</label>
<input id="login" name="login" type="text" required autofocus value="${escapeHtml(o.login ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" required>
<button type="submit" id="submit">Sign in</button>
</form>
<p><a href="${escapeHtml(o.abortAction)}" id="cancel">Cancel</a></p>
${o.hint ? `<p class="note">${escapeHtml(o.hint)}</p>` : ''}`,
  );
}

export function consentPage(o: {
  action: string;
  abortAction: string;
  clientId: string;
  user: string;
  scopes: string[];
  resources: { uri: string; scopes: string[] }[];
}): string {
  const list = (items: string[]) =>
    items.length
      ? `<ul>${items.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('')}</ul>`
      : '';
  const resources = o.resources
    .map((r) => `<p>For <code>${escapeHtml(r.uri)}</code>:</p>${list(r.scopes)}`)
    .join('');
  return page(
    'Authorize',
    `<h1>Authorize ${escapeHtml(o.clientId)}</h1>
<p class="note">Signed in as <strong>${escapeHtml(o.user)}</strong></p>
${o.scopes.length ? `<p>Identity:</p>${list(o.scopes)}` : ''}
${resources}
<form method="post" action="${escapeHtml(o.action)}" id="consent-form">
<button type="submit" id="approve" name="approve" value="1">Allow</button>
</form>
<p><a href="${escapeHtml(o.abortAction)}" id="deny">Deny</a></p>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}
