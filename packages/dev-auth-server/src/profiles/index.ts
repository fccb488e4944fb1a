import type { ProfileName } from '../types';
import { auth0 } from './auth0';
import { cognito } from './cognito';
import { entra } from './entra';
import { generic } from './generic';
import { keycloak } from './keycloak';
import { okta } from './okta';
import type { Profile } from './types';

export const PROFILES: Record<ProfileName, Profile> = {
  generic,
  cognito,
  auth0,
  okta,
  entra,
  keycloak,
};
export type { Profile, StructuredToken, TokenShapeInput } from './types';
