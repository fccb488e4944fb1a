import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevAuthServer, type DevAuthServerError, start } from './index.js';
import { pathOnly } from './internal/http.js';

const MCP = 'http://127.0.0.1:3000/mcp';
const REDIRECT = 'http://127.0.0.1:4545/callback';

/** Every log line of one server, every level, as JSON text. */
const lines: string[] = [];
const record =
  (level: string) =>
  (msg: string, meta?: object): void => {
    lines.push(JSON.stringify({ level, msg, meta }));
    // A broken log sink (it throws) makes the request fail: how a 500 is provoked below.
    if (msg === 'dev-auth-server: failed login' && (meta as { knownUser?: boolean }).knownUser) {
      throw new Error('log sink down');
    }
  };

let as: DevAuthServer;

beforeAll(async () => {
  as = await start({
    interactive: true,
    resources: [{ uri: MCP, scopes: ['mcp:tools'] }],
    logger: {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    },
  });
});
afterAll(async () => {
  await as?.stop();
});

/** Opens /authorize in a cookie-keeping fetch loop and returns the login form's action and cookies. */
async function loginPage(): Promise<{ action: string; cookie: string }> {
  const url = new URL(as.endpoints.authorization);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: 'mcp-public',
    redirect_uri: REDIRECT,
    scope: 'mcp:tools',
    resource: MCP,
    state: 'state-1',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGEhC9X8Vc',
    code_challenge_method: 'S256',
  }).toString();
  const first = await fetch(url, { redirect: 'manual' });
  const cookie = first.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const page = await fetch(new URL(first.headers.get('location') as string, url), {
    headers: { cookie },
  });
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)" id="login-form"/.exec(html)?.[1];
  if (!action) throw new Error('no login form');
  return { action: new URL(action.replaceAll('&amp;', '&'), as.origin).href, cookie };
}

describe('logs carry no credential', () => {
  it('the 500 handler logs the path, not the query holding a code, a token and a secret', async () => {
    const { action, cookie } = await loginPage();
    const target = `${action}?code=LEAKED-CODE&access_token=LEAKED-TOKEN&client_secret=LEAKED-SECRET`;
    const res = await fetch(target, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: 'user-1', password: 'LEAKED-PASSWORD' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'server_error' });
    const failure = lines.map((l) => JSON.parse(l)).find((l) => l.msg.endsWith('request failed'));
    expect(failure).toEqual({
      level: 'error',
      msg: 'dev-auth-server: request failed',
      meta: { err: 'Error: log sink down', path: new URL(action).pathname },
    });
    expect(lines.join('\n')).not.toMatch(/LEAKED/);
  });

  it('a failed login logs neither the login nor the password typed', async () => {
    const { action, cookie } = await loginPage();
    const res = await fetch(action, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: 'LEAKED-PASSWORD-IN-LOGIN', password: 'LEAKED-PW' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(401);
    expect(lines.at(-1)).toBe(
      JSON.stringify({
        level: 'info',
        msg: 'dev-auth-server: failed login',
        meta: { knownUser: false },
      }),
    );
    expect(lines.join('\n')).not.toMatch(/LEAKED/);
  });

  it('no log line of a whole code flow, a failed token request and introspection holds a credential', async () => {
    const before = lines.length;
    const a = await as.authorize({ resource: MCP, user: 'user-1' });
    const tokens = await as.exchangeCode({
      code: a.code,
      codeVerifier: a.codeVerifier,
      redirectUri: a.redirectUri,
      resource: MCP,
    });
    // the code again: invalid_grant, logged by the grant.error listener
    const again = await as
      .exchangeCode({
        code: a.code,
        codeVerifier: a.codeVerifier,
        redirectUri: a.redirectUri,
        resource: MCP,
      })
      .catch((e: unknown) => e);
    expect((again as DevAuthServerError).error).toBe('invalid_grant');
    await as.introspect(tokens.access_token);
    await as.introspect(`${tokens.access_token}x`);
    const logged = lines.slice(before).join('\n');
    expect(logged).toContain('grant.error');
    for (const credential of [
      a.code,
      a.codeVerifier,
      tokens.access_token,
      tokens.refresh_token as string,
      as.clients.introspector.clientSecret,
    ]) {
      expect(logged).not.toContain(credential);
    }
  });
});

describe('pathOnly', () => {
  it.each([
    ['/token?code=abc', '/token'],
    ['/a/b#frag?x', '/a/b'],
    ['/cb?', '/cb'],
    [undefined, '/'],
    [`/${'x'.repeat(300)}`, `/${'x'.repeat(199)}`],
  ])('%s -> %s', (target, path) => {
    expect(pathOnly(target)).toBe(path);
  });
});
