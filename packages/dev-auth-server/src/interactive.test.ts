import { createPkcePair } from '@mcp-auth/pkce';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevAuthServer, start } from './index.js';

const MCP = 'http://127.0.0.1:3000/mcp';
const REDIRECT = 'http://127.0.0.1:4444/callback';

let as: DevAuthServer;

beforeAll(async () => {
  as = await start({
    interactive: true,
    resources: [{ uri: MCP, scopes: ['mcp:tools'] }],
    users: [
      { sub: 'user-1', email: 'user1@example.com', password: 'password' },
      { sub: 'user-2', email: 'user2@example.com', password: 's3cret' },
    ],
  });
});
afterAll(async () => {
  await as?.stop();
});

/** A browser stand-in: keeps cookies, never follows redirects by itself. */
class Browser {
  cookies = new Map<string, string>();

  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}) {
    const res = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form) } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const location = res.headers.get('location');
    return {
      status: res.status,
      headers: res.headers,
      location: location ? new URL(location, url).href : undefined,
      text: await res.text(),
    };
  }

  /** Follows redirects until a page (2xx/4xx) or the client's redirect URI. */
  async follow(url: string, init: { form?: Record<string, string> } = {}) {
    let r = await this.go(url, init);
    for (let i = 0; i < 10 && r.location && !r.location.startsWith(REDIRECT); i++) {
      r = await this.go(r.location);
    }
    return r;
  }
}

async function authorizeUrl(extra: Record<string, string> = {}) {
  const { codeChallenge } = await createPkcePair();
  const url = new URL(as.endpoints.authorization);
  const params = {
    response_type: 'code',
    client_id: 'mcp-public',
    redirect_uri: REDIRECT,
    scope: 'mcp:tools',
    resource: MCP,
    state: 'state-1',
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

function formAction(html: string, id: string): string {
  const m = new RegExp(`<form method="post" action="([^"]+)" id="${id}"`).exec(html);
  if (!m?.[1]) throw new Error(`no form ${id}`);
  return new URL(m[1], as.origin).href;
}

const count = (html: string, needle: string) => html.split(needle).length - 1;

describe('interactive mode', () => {
  it('shows a real login page with stable field names and one submit button', async () => {
    const b = new Browser();
    const page = await b.follow(await authorizeUrl());
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.text).toContain('<input id="login" name="login" type="text"');
    expect(page.text).toContain('<input id="password" name="password" type="password"');
    expect(count(page.text, 'type="submit"')).toBe(1);
    expect(page.text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[a-z]/i); // nothing loaded from elsewhere
  });

  it('refuses a wrong password with 401 and the form again, then signs in and asks consent', async () => {
    const b = new Browser();
    const login = await b.follow(await authorizeUrl());
    const action = formAction(login.text, 'login-form');

    const wrong = await b.go(action, { form: { login: 'user1@example.com', password: 'nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Wrong username or password.');
    expect(wrong.text).toContain('value="user1@example.com"');

    const consent = await b.follow(action, {
      form: { login: 'user1@example.com', password: 'password' },
    });
    expect(consent.status).toBe(200);
    expect(consent.text).toContain('id="consent-form"');
    expect(consent.text).toContain(MCP);
    expect(consent.text).toContain('mcp:tools');
    expect(count(consent.text, 'type="submit"')).toBe(1);

    const done = await b.follow(formAction(consent.text, 'consent-form'), {
      form: { approve: '1' },
    });
    const callback = new URL(done.location ?? '');
    expect(callback.origin + callback.pathname).toBe(REDIRECT);
    expect(callback.searchParams.get('state')).toBe('state-1');
    expect(callback.searchParams.get('iss')).toBe(as.issuer);
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it('signs in with the username typed, whoever login_hint named', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP, user: 'user-2' });
    expect(decodeJwt(t.access_token).sub).toBe('user-2');
  });

  it('authorizationCodeFlow drives the same pages (default user)', async () => {
    const t = await as.authorizationCodeFlow({ resource: MCP });
    expect(decodeJwt(t.access_token)).toMatchObject({ sub: 'user-1', aud: MCP });
  });

  it('cancel on the login page returns access_denied to the client', async () => {
    const b = new Browser();
    const login = await b.follow(await authorizeUrl());
    const cancel = /<a href="([^"]+)" id="cancel"/.exec(login.text)?.[1] ?? '';
    const done = await b.follow(new URL(cancel, as.origin).href);
    const callback = new URL(done.location ?? '');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('state-1');
  });

  it('deny on the consent page returns access_denied to the client', async () => {
    const b = new Browser();
    const login = await b.follow(await authorizeUrl());
    const consent = await b.follow(formAction(login.text, 'login-form'), {
      form: { login: 'user-2', password: 's3cret' },
    });
    const deny = /<a href="([^"]+)" id="deny"/.exec(consent.text)?.[1] ?? '';
    const done = await b.follow(new URL(deny, as.origin).href);
    expect(new URL(done.location ?? '').searchParams.get('error')).toBe('access_denied');
  });

  it('escapes what the request put on the page (login_hint)', async () => {
    const b = new Browser();
    const page = await b.follow(await authorizeUrl({ login_hint: '"><script>alert(1)</script>' }));
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<script>');
    expect(page.text).toContain('&quot;&gt;&lt;script&gt;');
  });

  it('an interaction page without its cookie is a 400 page, not a crash', async () => {
    const b = new Browser();
    const first = await b.go(await authorizeUrl());
    const stranger = await new Browser().go(first.location ?? '');
    expect(stranger.status).toBe(400);
    expect(stranger.text).toContain('expired');
  });

  it.each([
    ['/interaction/%00', 404],
    ['/interaction/abc/unknown', 404],
  ])('GET %s -> %i', async (path, status) => {
    const res = await fetch(as.origin + path);
    expect(res.status).toBe(status);
    await res.body?.cancel();
  });

  it('refuses an oversized login form with 413', async () => {
    const b = new Browser();
    const login = await b.follow(await authorizeUrl());
    const r = await b.go(formAction(login.text, 'login-form'), {
      form: { login: 'x'.repeat(20_000), password: 'y' },
    });
    expect(r.status).toBe(413);
  });
});
