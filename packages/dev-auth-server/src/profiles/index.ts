import type { ProfileName } from '../types.js';
import { auth0 } from './auth0.js';
import { cognito } from './cognito.js';
import { entra } from './entra.js';
import { generic } from './generic.js';
import { keycloak } from './keycloak.js';
import { okta } from './okta.js';
import type { Profile } from './types.js';

export const PROFILES: Record<ProfileName, Profile> = {
  generic,
  cognito,
  auth0,
  okta,
  entra,
  keycloak,
};
export type { Profile, StructuredToken, TokenShapeInput } from './types.js';
