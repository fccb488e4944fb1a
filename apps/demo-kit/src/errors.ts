/** Every way the demo configuration can be wrong, as a stable code. */
export type ConfigErrorCode =
  | 'ERR_CONFIG_MISSING'
  | 'ERR_CONFIG_INVALID'
  | 'ERR_DOTENV_SYNTAX'
  | 'ERR_DOTENV_UNREADABLE'
  | 'ERR_PORT_IN_USE';

/**
 * A configuration mistake the user must fix. Its `message` is the one line the apps print before
 * exiting with status 1: it names the variable and what it should look like, and never contains a
 * secret value.
 *
 * @example
 * try { loadConfig(definition, env); } catch (err) {
 *   if ((err as ConfigError).code === 'ERR_CONFIG_INVALID') console.error((err as Error).message);
 * }
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The variable (or file) at fault, e.g. `OAUTH_RESOURCE_URI` or `.env`. */
  readonly variable: string;
  readonly code: ConfigErrorCode;

  constructor(variable: string, message: string, code: ConfigErrorCode = 'ERR_CONFIG_INVALID') {
    super(message);
    this.variable = variable;
    this.code = code;
  }
}

/** True for a {@link ConfigError}, also across two copies of this module. */
export function isConfigError(err: unknown): err is ConfigError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'ConfigError' &&
    typeof (err as { variable?: unknown }).variable === 'string'
  );
}
