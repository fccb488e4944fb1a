export { ensureBuilt } from './build.js';
export { CHROMIUM_PATH, launchChromium } from './chromium.js';
export { type RecordedRequest, startHttpServer, type TestHttpServer } from './http.js';
export { openMcpSession } from './mcp-session.js';
export { getFreePort } from './ports.js';
export { type RedisProcess, startRedis } from './redis.js';
