export type { ClientIdentity, ClientSource, DiscoveredMetadata } from './authorize.js';
export { type AuthorizeResult, authorize, MAX_AUTHORIZATION_ATTEMPTS } from './authorize.js';
export {
  CHECKS,
  type CheckOptions,
  type CheckReport,
  type CheckResult,
  type CheckStatus,
  checkServer,
  formatCheckTable,
  parseOrigin,
} from './check.js';
export { type CliIo, type CliStream, EXIT_CODES, parseCliArgs, runCli, USAGE } from './cli-run.js';
export {
  type ConnectedTransport,
  type ConnectOptions,
  connect,
  getConnectionReport,
} from './connect.js';
export {
  isTestClientError,
  TestClientError,
  type TestClientErrorCode,
  type TestClientErrorDetails,
} from './errors.js';
export { type OpenBrowser, openSystemBrowser } from './open-browser.js';
export type {
  AuthorizeOptions,
  FetchLike,
  TokenEndpointAuthMethod,
  TokenSet,
  TransportKind,
} from './options.js';
export { redact, redactSecrets, redactToken, SECRET_PARAMETERS } from './redact.js';
export {
  type CallbackResult,
  type ExpectedCallback,
  escapeHtml,
  parseRedirectHost,
  REDIRECT_HOSTS,
  type RedirectHost,
  type RedirectListener,
  type RedirectListenerOptions,
  startRedirectListener,
  validateCallback,
} from './redirect-listener.js';
export {
  describeError,
  formatDuration,
  formatStep,
  Report,
  type StepContext,
  type StepListener,
  type StepRecord,
  type StepStatus,
  sanitizeForTerminal,
} from './report.js';
export { type RunOptions, type RunResult, run } from './run.js';
export { parseScope, type ScopeSource, selectScope, unionScopes } from './scope.js';
export { FileTokenStore, type StoredTokens, type TokenStoreEntry } from './token-store.js';
export { assertUrlAllowed, isLoopbackHttp, type UrlPolicyOptions } from './url-policy.js';
