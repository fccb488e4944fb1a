/// <reference path="./internal/oidc-provider.d.ts" />
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InteractionDetails, Provider } from 'oidc-provider';
import { findUser } from './config.js';
import type { ServerContext } from './context.js';
import { equalStrings, readForm, sendHtml } from './internal/http.js';
import { consentPage, loginPage, messagePage } from './internal/views.js';

/** Login and consent: oidc-provider's interactions, answered by this server's pages or directly. */

/**
 * Serves `/interaction/<uid>[/login|/confirm|/abort]`: the login and consent pages in interactive
 * mode, else signs in the default user (or the `login_hint` one) and grants what was asked.
 */
export async function interaction(
  s: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
): Promise<void> {
  const p = s.provider as Provider;
  const { interactive, defaultUser, users, logger, issuerPath } = s.config;
  const match = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|confirm|abort))?$/.exec(rest);
  if (!match) return sendHtml(res, 404, messagePage('Not found', 'No such page.'));
  let details: InteractionDetails;
  try {
    details = await p.interactionDetails(req, res);
  } catch {
    return sendHtml(
      res,
      400,
      messagePage(
        'Sign-in expired',
        'This sign-in request is unknown or expired. Start again from the application.',
      ),
    );
  }
  if (details.uid !== match[1]) {
    return sendHtml(
      res,
      400,
      messagePage('Sign-in mismatch', 'This page belongs to another sign-in request.'),
    );
  }
  const action = match[2];
  const base = `${issuerPath}/interaction/${details.uid}`;
  const clientId = String(details.params.client_id ?? '');
  const promptName = details.prompt.name;

  if (action === 'abort') {
    return p.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
  }

  if (!interactive) {
    if (promptName === 'login') {
      const hint = details.params.login_hint;
      const user = hint === undefined ? defaultUser : findUser(users, hint);
      if (!user) {
        return p.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'unknown login_hint' },
          { mergeWithLastSubmission: false },
        );
      }
      return p.interactionFinished(req, res, { login: { accountId: user.sub } });
    }
    return p.interactionFinished(req, res, { consent: { grantId: await grantAll(p, details) } });
  }

  if (req.method === 'POST' && action === 'login' && promptName === 'login') {
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch {
      res.setHeader('connection', 'close');
      return sendHtml(res, 413, messagePage('Too large', 'The form was too large.'));
    }
    const login = form.get('login') ?? '';
    const password = form.get('password') ?? '';
    const user = findUser(users, login);
    if (!user || !equalStrings(password, user.password)) {
      // Not the login typed: a password pasted into the wrong field would end up in the log.
      logger.info?.('dev-auth-server: failed login', { knownUser: user !== undefined });
      return sendHtml(
        res,
        401,
        loginPage({
          action: `${base}/login`,
          abortAction: `${base}/abort`,
          clientId,
          issuer: s.issuer,
          login,
          error: 'Wrong username or password.',
        }),
      );
    }
    return p.interactionFinished(req, res, { login: { accountId: user.sub } });
  }
  if (req.method === 'POST' && action === 'confirm' && promptName === 'consent') {
    await readForm(req).catch(() => undefined);
    return p.interactionFinished(req, res, { consent: { grantId: await grantAll(p, details) } });
  }
  if (req.method !== 'GET' || action !== undefined) {
    return sendHtml(res, 400, messagePage('Unexpected request', 'Go back and try again.'));
  }
  if (promptName === 'login') {
    const hint = details.params.login_hint;
    return sendHtml(
      res,
      200,
      loginPage({
        action: `${base}/login`,
        abortAction: `${base}/abort`,
        clientId,
        issuer: s.issuer,
        ...(typeof hint === 'string' ? { login: hint } : {}),
        hint: `Local users: ${users.map((u) => u.email ?? u.sub).join(', ')}`,
      }),
    );
  }
  const d = details.prompt.details as {
    missingOIDCScope?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  const accountId = details.session?.accountId ?? '';
  const user = findUser(users, accountId);
  return sendHtml(
    res,
    200,
    consentPage({
      action: `${base}/confirm`,
      abortAction: `${base}/abort`,
      clientId,
      user: user?.email ?? accountId,
      scopes: d.missingOIDCScope ?? [],
      resources: Object.entries(d.missingResourceScopes ?? {}).map(([uri, scopes]) => ({
        uri,
        scopes,
      })),
    }),
  );
}

/** Grants everything the consent prompt asks for (the approve button, or non-interactive mode). */
async function grantAll(p: Provider, details: InteractionDetails): Promise<string> {
  const d = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  const existing = details.grantId ? await p.Grant.find(details.grantId) : undefined;
  const grant =
    existing ??
    new p.Grant({
      accountId: String(details.session?.accountId),
      clientId: String(details.params.client_id),
    });
  if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
  if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}
