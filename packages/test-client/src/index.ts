// The public API of @mcp-auth/test-client, one line per export. Everything else is internal.

export type { ClientIdentity, ClientSource, DiscoveredMetadata } from './authorize.js';
// The flow
export { type AuthorizeResult, authorize, MAX_AUTHORIZATION_ATTEMPTS } from './authorize.js';
// Conformance checks
export {
  CHECKS,
  type CheckOptions,
  type CheckReport,
  type CheckResult,
  type CheckStatus,
  checkServer,
} from './check.js';
export { formatCheckTable } from './check-table.js';
// The CLI, programmatically
export { type CliIo, type CliStream, EXIT_CODES, runCli } from './cli-run.js';
export {
  type ConnectedTransport,
  type ConnectOptions,
  connect,
  getConnectionReport,
} from './connect.js';
export {
  isTestClientError,
  TEST_CLIENT_ERROR_CODES,
  TestClientError,
  type TestClientErrorCode,
  type TestClientErrorDetails,
} from './errors.js';
export type {
  AuthorizeOptions,
  FetchLike,
  GrantKind,
  OpenBrowser,
  RedirectHost,
  TokenEndpointAuthMethod,
  TokenSet,
  TransportKind,
} from './options.js';
export { redact } from './redact.js';
// Reports and errors
// Kept public while apps/demo-kit renders report steps with them (it could use formatStep).
export {
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
