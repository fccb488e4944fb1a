import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { getFreePort } from './ports.js';

export interface RedisProcess {
  /** `redis://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Graceful shutdown (SIGTERM), waits for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL, for fault tests: the server vanishes mid-flight. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (after kill or stop). */
  restart(): Promise<void>;
}

function redisServerPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'redis-server is not installed. Install it (apt-get install redis-server) or run `bash scripts/test.sh`, which installs it.',
    );
  }
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on ${port}`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts a real `redis-server` on a free loopback port, without persistence. Every test that
 * starts one stops it (`stop()` in `afterAll`).
 */
export async function startRedis(): Promise<RedisProcess> {
  const bin = redisServerPath();
  const port = await getFreePort();
  let child: ChildProcess | undefined;

  const launch = async () => {
    child = spawn(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'yes',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    child.unref();
    await waitForPort(port, 10_000);
  };

  const end = async (signal: NodeJS.Signals) => {
    const current = child;
    if (!current) return;
    child = undefined;
    current.kill(signal);
    await exited(current);
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    restart: async () => {
      await end('SIGTERM');
      await launch();
    },
  };
}
