import { auth0Profile } from './auth0.js';
import { cognitoProfile } from './cognito.js';
import { entraProfile } from './entra.js';
import { genericProfile } from './generic.js';
import { keycloakProfile } from './keycloak.js';
import { oktaProfile } from './okta.js';
import type { ProfileName, ValidatorProfile } from './types.js';

/** The built-in profiles by name. */
export const profiles: Readonly<Record<ProfileName, ValidatorProfile>> = Object.freeze({
  generic: genericProfile,
  cognito: cognitoProfile,
  auth0: auth0Profile,
  okta: oktaProfile,
  entra: entraProfile,
  keycloak: keycloakProfile,
});

/** Resolves the `profile` option (a name or a custom profile object); TypeError when invalid. */
export function resolveProfile(
  profile: ProfileName | ValidatorProfile | undefined,
): ValidatorProfile {
  if (profile === undefined) return genericProfile;
  if (typeof profile === 'string') {
    if (!Object.hasOwn(profiles, profile)) {
      throw new TypeError(
        `"profile" must be one of ${Object.keys(profiles).join(', ')} or a profile object`,
      );
    }
    return profiles[profile as ProfileName];
  }
  if (typeof profile !== 'object' || profile === null) {
    throw new TypeError('"profile" must be a profile name or a profile object');
  }
  const p = profile as Partial<ValidatorProfile>;
  const isStringArray = (v: unknown) =>
    Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '');
  if (typeof p.name !== 'string' || p.name === '')
    throw new TypeError('"profile.name" must be a non-empty string');
  if (!isStringArray(p.clientIdClaims))
    throw new TypeError('"profile.clientIdClaims" must be an array of claim names');
  if (!isStringArray(p.extraScopeClaims))
    throw new TypeError('"profile.extraScopeClaims" must be an array of claim names');
  if (typeof p.requireTyp !== 'boolean')
    throw new TypeError('"profile.requireTyp" must be a boolean');
  if (typeof p.strictAudienceValidation !== 'boolean') {
    throw new TypeError('"profile.strictAudienceValidation" must be a boolean');
  }
  if (p.checkClaims !== undefined && typeof p.checkClaims !== 'function') {
    throw new TypeError('"profile.checkClaims" must be a function');
  }
  if (p.checkOptions !== undefined && typeof p.checkOptions !== 'function') {
    throw new TypeError('"profile.checkOptions" must be a function');
  }
  return Object.freeze({
    name: p.name,
    clientIdClaims: Object.freeze([...p.clientIdClaims!]),
    extraScopeClaims: Object.freeze([...p.extraScopeClaims!]),
    requireTyp: p.requireTyp,
    strictAudienceValidation: p.strictAudienceValidation,
    ...(p.checkClaims ? { checkClaims: p.checkClaims } : {}),
    ...(p.checkOptions ? { checkOptions: p.checkOptions } : {}),
  });
}
