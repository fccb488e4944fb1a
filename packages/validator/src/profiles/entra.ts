import type { ValidatorProfile } from './types.js';

/** Hosts of Microsoft's own issuers (public cloud; v1 `sts.windows.net`). */
const MICROSOFT_ISSUER_HOSTS = new Set(['login.microsoftonline.com', 'sts.windows.net']);

/** An application (client) id: a GUID. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Entra: the configuration must match what the v2 endpoint really issues.
 *
 * - `aud` is never the MCP server's URL (the v2 endpoint refuses the `resource` parameter; the
 *   API is named by scopes `api://<app>/<scope>`), so without `acceptedAudiences` every token
 *   would fail: demand the API's application id (GUID) or Application ID URI (`api://…`) there.
 * - A Microsoft issuer must be the v2 one, `https://login.microsoftonline.com/<tenant>/v2.0`:
 *   `sts.windows.net/<tid>/` is the v1 issuer (the app manifest lacks
 *   `accessTokenAcceptedVersion: 2`), and `common`/`organizations`/`consumers` are not issuers.
 */
function checkEntraOptions(o: {
  readonly issuer: string;
  readonly acceptedAudiences: readonly string[];
}): void {
  if (o.acceptedAudiences.length === 0) {
    throw new TypeError(
      'profile "entra": "acceptedAudiences" is required: Entra access tokens carry the API\'s application id (a GUID) or its Application ID URI (api://…) in "aud", never the resource URL',
    );
  }
  for (const aud of o.acceptedAudiences) {
    if (!GUID.test(aud) && !/^[a-z][a-z0-9+.-]*:\/\/./i.test(aud)) {
      throw new TypeError(
        `profile "entra": "acceptedAudiences" entry ${JSON.stringify(aud.slice(0, 100))} must be an application id (GUID) or an Application ID URI (api://…)`,
      );
    }
  }
  const url = new URL(o.issuer);
  if (MICROSOFT_ISSUER_HOSTS.has(url.hostname)) {
    const tenant = /^\/([^/]+)\/v2\.0$/.exec(url.pathname)?.[1];
    if (
      url.hostname !== 'login.microsoftonline.com' ||
      tenant === undefined ||
      ['common', 'organizations', 'consumers'].includes(tenant.toLowerCase())
    ) {
      throw new TypeError(
        'profile "entra": "issuer" must be https://login.microsoftonline.com/<tenant id>/v2.0 (the v2 issuer; set accessTokenAcceptedVersion: 2 in the app manifest)',
      );
    }
  }
}

/**
 * Microsoft Entra ID (v2 endpoint), as it really is. Issuer
 * `https://login.microsoftonline.com/<tenantId>/v2.0`.
 *
 * - `aud` is the API's application (client) id GUID or its Application ID URI (`api://…`): list
 *   the one your tenant issues in `acceptedAudiences` (required with this profile). The v2
 *   endpoint refuses the `resource` parameter; clients ask for `api://<app>/<scope>` scopes, or
 *   `api://<app>/.default` for client credentials.
 * - Set `accessTokenAcceptedVersion: 2` in the app manifest, otherwise tokens come from the v1
 *   issuer `https://sts.windows.net/<tid>/` (refused at construction with this profile).
 * - Delegated scopes are a space-separated `scp` string of short names (`mcp.read`, not
 *   `api://<app>/mcp.read`); application permissions (client credentials, `idtyp: "app"`) arrive
 *   as a `roles` array, counted as scopes here.
 * - The client id is `azp` (v2) or `appid` (v1).
 * - No RFC 9068 `typ` header (`typ: "JWT"`).
 */
export const entraProfile: ValidatorProfile = Object.freeze({
  name: 'entra',
  clientIdClaims: Object.freeze(['azp', 'appid']),
  extraScopeClaims: Object.freeze(['roles']),
  requireTyp: false,
  strictAudienceValidation: true,
  checkOptions: checkEntraOptions,
});
