export { CHROMIUM_PATH, launchChromium } from './chromium';
export { type RecordedRequest, startHttpServer, type TestHttpServer } from './http';
export { getFreePort } from './ports';
export { type RedisProcess, startRedis } from './redis';
