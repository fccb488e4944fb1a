export { CHROMIUM_PATH, launchChromium } from './chromium.js';
export { type RecordedRequest, startHttpServer, type TestHttpServer } from './http.js';
export { getFreePort } from './ports.js';
export { type RedisProcess, startRedis } from './redis.js';
