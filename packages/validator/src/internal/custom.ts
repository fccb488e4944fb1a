import { TokenValidationError } from '../errors.js';
import type { CustomValidator, CustomValidatorResult } from '../types.js';
import type { TokenType } from './entry.js';

function rejected(reason: string, message = 'The token was rejected', cause?: unknown) {
  return new TokenValidationError('ERR_CUSTOM_VALIDATION_FAILED', message, {
    reason,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Runs the user's `customValidator`: `false` or a throw rejects (`ERR_CUSTOM_VALIDATION_FAILED`,
 * or the validator's own `TokenValidationError`), anything but an object or nothing is an invalid
 * result. What the result may change is decided by `acceptClaims` (never a weakening).
 */
export async function runCustomValidator(
  custom: CustomValidator,
  token: string,
  context: {
    tokenType: TokenType;
    claims: Record<string, unknown> | undefined;
    header: Record<string, unknown> | undefined;
    issuer: string;
    resource: string;
  },
): Promise<CustomValidatorResult | undefined> {
  let result: CustomValidatorResult | false | undefined;
  try {
    result = await custom(token, context);
  } catch (err) {
    if (err instanceof TokenValidationError) throw err;
    throw rejected('custom_validator', undefined, err);
  }
  if (result === false) throw rejected('custom_validator');
  if (result !== undefined && (typeof result !== 'object' || result === null)) {
    throw rejected('invalid_result', 'The custom validator returned an invalid result');
  }
  return result;
}
