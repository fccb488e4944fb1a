export {
  DEMO_USER,
  type DemoApp,
  type Logger,
  MCP_PATH,
  MESSAGES_PATH,
  otherResourceFor,
  SSE_PATH,
  type StartDemoAppOptions,
  startDemoApp,
} from './app.js';
export { formatAuthEvent } from './audit.js';
export { type CliOptions, runCli } from './cli.js';
export { type DemoConfig, ENV_VARS, loadConfig, readResourceUri, readScopes } from './config.js';
export { mergeEnv, parseDotEnv, readDotEnvFile } from './dotenv.js';
export { ConfigError, type ConfigErrorCode, isConfigError } from './errors.js';
export {
  checkOrigin,
  type DemoTransport,
  endpointUrl,
  FLOW_STEPS,
  type FlowOptions,
  type FlowResult,
  runCheck,
  runFlow,
  runFlowReport,
} from './flow.js';
export { checkIssuerReachable, type IssuerCheck } from './preflight.js';
export type { ProviderDefinition } from './provider.js';
export {
  type DemoTelemetry,
  readTelemetryChoice,
  startTelemetry,
  type TelemetryChoice,
  type TelemetryMode,
} from './telemetry.js';
export {
  createDemoServer,
  type DemoServerOptions,
  describeCaller,
  STEP_UP_TOOL,
  type WhoAmI,
} from './tools.js';
