/**
 * Starts the parts of a cluster as real processes on loopback: server instances (src/instance.ts)
 * and HAProxy (round-robin, no stickiness, health checks on /health), each stopped by its caller.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt as ensurePackagesBuilt } from '@mcp-auth/test-utils';

const here = dirname(fileURLToPath(import.meta.url));
const INSTANCE_FILE = join(here, 'instance.ts');

/** The instances import the built `@mcp-auth/sse-transport`, as users do: build it when missing. */
export function ensureBuilt(): void {
  ensurePackagesBuilt(
    ['sse-transport', 'cache', 'validator', 'discovery', 'gate', 'pkce'],
    '@mcp-auth/sse-transport...',
  );
}

export interface InstanceOptions {
  id: string;
  port: number;
  resource: string;
  issuer: string;
  introspector: { clientId: string; clientSecret: string };
  /** Without it: a single instance with no Redis at all. */
  redisUrl?: string;
  heartbeatMs?: number;
}

/** What `GET /__stats` of an instance reports. */
export interface InstanceStats {
  instance: string;
  sessions: number;
  /** CPU time of the process so far (user + system), in µs. */
  cpuMicros: number;
  validator: {
    jwksFetches: number;
    introspections: number;
    jwtVerifications: number;
    discoveries: number;
  };
}

export interface Instance {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGKILL: the instance vanishes mid-flight (no cleanup in Redis). */
  kill(): Promise<void>;
  /** SIGTERM: a clean shutdown. */
  stop(): Promise<void>;
  stats(): Promise<InstanceStats>;
  readonly alive: boolean;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Spawns one instance and resolves once it listens and its cluster is connected. */
export async function startInstance(o: InstanceOptions): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', INSTANCE_FILE], {
    cwd: join(here, '..'),
    env: {
      ...process.env,
      PORT: String(o.port),
      RESOURCE: o.resource,
      ISSUER: o.issuer,
      INSTANCE_ID: o.id,
      INTROSPECTOR_ID: o.introspector.clientId,
      INTROSPECTOR_SECRET: o.introspector.clientSecret,
      HEARTBEAT_MS: String(o.heartbeatMs ?? 500),
      ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : { REDIS_URL: '' }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (process.env['CLUSTER_DEBUG']) process.stderr.write(chunk);
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`instance ${o.id} did not start: ${stderr}`)),
      30_000,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(`ready ${o.port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance ${o.id} exited (${code}): ${stderr}`));
    });
  });
  const url = `http://127.0.0.1:${o.port}`;
  return {
    id: o.id,
    port: o.port,
    url,
    child,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited(child);
      clearTimeout(timer);
    },
    async stats() {
      const res = await fetch(`${url}/__stats`);
      return (await res.json()) as InstanceStats;
    },
  };
}

/** `haproxy` from PATH, else Debian's /usr/sbin (not on a non-root PATH). */
function haproxyPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v haproxy'], { encoding: 'utf8' }).trim();
  } catch {
    if (existsSync('/usr/sbin/haproxy')) return '/usr/sbin/haproxy';
    throw new Error('haproxy is not installed: apt-get install haproxy (scripts/test.sh does)');
  }
}

export interface LoadBalancer {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * HAProxy in front of the instances: round-robin per request, no stickiness, a health check on
 * `/health` every 200 ms (2 failures: out), a request whose connection could not be made is retried
 * on another instance. Config in a temp dir, loopback only, stopped by `stop()`.
 */
export async function startHaproxy(
  port: number,
  backends: { id: string; port: number }[],
): Promise<LoadBalancer> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  const host = `127.0.0.1:${port}`;
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 2048',
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  timeout http-keep-alive 10s',
      '  retries 2',
      '  option redispatch 1',
      '  retry-on conn-failure',
      // SSE frames are small and must not wait for more data (Nagle, delayed ACKs).
      '  option http-no-delay',
      'frontend mcp',
      `  bind 127.0.0.1:${port}`,
      '  default_backend instances',
      'backend instances',
      '  balance roundrobin',
      '  option httpchk',
      `  http-check send meth GET uri /health ver HTTP/1.1 hdr Host ${host}`,
      '  http-check expect status 200',
      ...backends.map((b) => `  server ${b.id} 127.0.0.1:${b.port} check inter 200 fall 2 rise 2`),
      '',
    ].join('\n'),
  );
  const bin = haproxyPath();
  execFileSync(bin, ['-c', '-q', '-f', config]);
  const child = spawn(bin, ['-db', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://${host}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`haproxy did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited(child);
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
