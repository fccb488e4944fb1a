import type { Server } from 'node:http';
import { createServer } from 'node:net';
import type { DemoConfig } from './config.js';
import { ConfigError } from './errors.js';
import type { ProviderDefinition } from './provider.js';

/** Whether `port` can be bound on `host` right now. */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** A port the OS considers free on `host` (it may be taken again before use; fine for a demo). */
export function pickFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The port to listen on: the configured one, or any free one when the default is busy. */
export async function choosePort(config: DemoConfig, def: ProviderDefinition): Promise<number> {
  if (config.port === 0) return pickFreePort(config.host);
  if (config.portFromEnv && !(await isPortFree(config.port, config.host))) {
    throw portInUse(config.port, config.host);
  }
  if (!config.portFromEnv && !(await isPortFree(config.port, config.host))) {
    // The default port is taken and the user did not ask for it: any free port will do.
    const port = await pickFreePort(config.host);
    config.warnings.push(
      `port ${def.defaultPort} is busy, using ${port} instead (set PORT to choose one)`,
    );
    return port;
  }
  return config.port;
}

export function portInUse(port: number, host: string): ConfigError {
  return new ConfigError(
    'PORT',
    `PORT ${port} is already in use on ${host}: set PORT to a free port, e.g. PORT=${port === 65535 ? 3010 : port + 1} (or PORT=0 for any)`,
    'ERR_PORT_IN_USE',
  );
}

/** A host as it appears in a URL (wildcards become loopback, IPv6 gets brackets). */
export function hostForUrl(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Listens, rejecting on a bind error. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
