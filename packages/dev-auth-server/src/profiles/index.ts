import type { ProfileName } from '../types';
import { auth0 } from './auth0';
import { cognito } from './cognito';
import { generic } from './generic';
import { okta } from './okta';
import type { Profile } from './types';

export const PROFILES: Record<ProfileName, Profile> = { generic, cognito, auth0, okta };
export type { Profile, StructuredToken, TokenShapeInput } from './types';
