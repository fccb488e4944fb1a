/** The bench's server processes: start one (fork + tsx), stop it, read its CPU time and memory. */
import { type ChildProcess, fork } from 'node:child_process';

export interface Target {
  child: ChildProcess;
  port: number;
  url: string;
}

export function startTargetProcess(
  file: string,
  kind: string,
  issuer: string,
  resource: string,
  port: number,
): Promise<Target> {
  const child = fork(file, [kind, issuer, resource, String(port)], {
    execArgv: [
      '--import',
      'tsx',
      '--expose-gc',
      ...(process.env['BENCH_PROFILE'] ? ['--cpu-prof', '--cpu-prof-dir=/tmp/sse-bench-prof'] : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
    child.once('message', (msg: { type: string; port: number }) => {
      if (msg.type === 'ready') {
        resolve({ child, port: msg.port, url: `http://127.0.0.1:${msg.port}` });
      }
    });
  });
}

export async function stopTarget(target: Target): Promise<void> {
  target.child.removeAllListeners('exit');
  const exited = new Promise((r) => target.child.once('exit', r));
  target.child.kill('SIGTERM');
  await exited;
}

export function cpuOf(target: Target): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (msg: { type: string; micros: number }) => {
      if (msg.type !== 'cpu') return;
      target.child.off('message', onMessage);
      resolve(msg.micros);
    };
    target.child.on('message', onMessage);
    target.child.send({ type: 'cpu' });
  });
}

export function memoryOf(
  target: Target,
): Promise<{ heapUsed: number; external: number; rss: number }> {
  return new Promise((resolve) => {
    const onMessage = (msg: { type: string; heapUsed: number; external: number; rss: number }) => {
      if (msg.type !== 'memory') return;
      target.child.off('message', onMessage);
      resolve(msg);
    };
    target.child.on('message', onMessage);
    target.child.send({ type: 'memory' });
  });
}
