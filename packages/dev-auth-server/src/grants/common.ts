/// <reference path="../internal/oidc-provider.d.ts" />
import type { DpopResult } from 'oidc-provider/lib/helpers/validate_dpop.js';
import type { ServerContext } from '../context.js';
import { JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT } from './names.js';

// biome-ignore lint/suspicious/noExplicitAny: oidc-provider's koa context, untyped
export type Ctx = any;

/** Algorithms accepted on assertions from other issuers: asymmetric only (never `none`, no HMAC). */
export const ASSERTION_ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/** An OAuth error oidc-provider renders as `{ error, error_description }` with status 400. */
export function oauthError(s: ServerContext, error: string, description: string): Error {
  return new s.oidc.errors.CustomOIDCProviderError(error, description);
}

/**
 * Token exchange issues an ID-JAG, not an access token: nothing to bind to a DPoP key, so a request
 * with a proof is refused rather than silently answered without the binding it asked for.
 */
export function refuseDpop(s: ServerContext, ctx: Ctx): void {
  if (ctx.get('DPoP')) {
    throw oauthError(s, 'invalid_dpop_proof', 'DPoP is not supported for this grant type');
  }
}

/**
 * Validates the request's DPoP proof the way oidc-provider's own grants do (signature, `htm`, `htu`,
 * `iat`, server nonce, replay), through its own helper; undefined without a proof. Call it before
 * anything else, as the built-in grants do, so `use_dpop_nonce` comes first.
 */
export async function validateDpopProof(ctx: Ctx): Promise<DpopResult | undefined> {
  const { default: validateDpop, checkDpopReplay } = await import(
    'oidc-provider/lib/helpers/validate_dpop.js'
  );
  const provider = ctx.oidc.provider;
  const dPoP = await validateDpop(provider, ctx);
  if (dPoP) await checkDpopReplay(provider, ctx, dPoP, ctx.oidc.client.clientId);
  return dPoP;
}

/** A space-separated scope parameter as a list (duplicates removed). */
export function scopeList(value: unknown): string[] {
  return typeof value === 'string' ? [...new Set(value.split(' ').filter(Boolean))] : [];
}

/**
 * oidc-provider answers a grant the client is not registered for with `invalid_request`; for the
 * extension grants this answers RFC 6749 §5.2 `unauthorized_client`, which their clients expect.
 */
export function unauthorizedClientForExtensionGrants() {
  return async (ctx: Ctx, next: () => Promise<void>) => {
    await next();
    const body = ctx.body;
    if (
      ctx.status === 400 &&
      body &&
      typeof body === 'object' &&
      body.error === 'invalid_request' &&
      body.error_description === 'requested grant type is not allowed for this client' &&
      [JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT].includes(ctx.oidc?.params?.grant_type)
    ) {
      ctx.body = { ...body, error: 'unauthorized_client' };
    }
  };
}
