import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { getFreePort, startHttpServer, startRedis } from './index.js';

function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.end();
      resolve(data.toString());
    });
    socket.once('error', reject);
  });
}

describe('test-utils', () => {
  it('getFreePort returns a usable port number', async () => {
    const port = await getFreePort();
    expect(port).toBeGreaterThan(1023);
    expect(port).toBeLessThan(65536);
  });

  describe('startRedis', () => {
    let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
    afterAll(async () => redis?.stop());

    it('starts a real redis-server on loopback that survives kill + restart', async () => {
      redis = await startRedis();
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await ping(redis.port)).toBe('+PONG\r\n');
      await redis.kill();
      await expect(ping(redis.port)).rejects.toThrow(/ECONNREFUSED/);
      await redis.restart();
      expect(await ping(redis.port)).toBe('+PONG\r\n');
    });
  });

  it('startHttpServer records requests in order and stops', async () => {
    const server = await startHttpServer((req, res) => {
      res.writeHead(req.url === '/a' ? 200 : 404).end();
    });
    const a = await fetch(`${server.url}/a`);
    const b = await fetch(`${server.url}/b?x=1`, { method: 'POST' });
    expect([a.status, b.status]).toEqual([200, 404]);
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /a', 'POST /b?x=1']);
    await server.stop();
    await expect(fetch(`${server.url}/a`)).rejects.toThrow();
  });
});

describe('launchChromium', () => {
  it('renders a page served on loopback', async () => {
    const { launchChromium } = await import('./chromium.js');
    const server = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<title>ok</title><p id=x>hello</p>');
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      expect(await page.textContent('#x')).toBe('hello');
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});
