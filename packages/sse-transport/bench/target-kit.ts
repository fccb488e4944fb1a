/**
 * What every bench target process shares (bench/target.ts, bench/streamable-target.ts): our server
 * with auth on or off, the jose verifier the SDK stacks use, Express listening, and the IPC with the
 * parent (ready, cpu, memory).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createServer, type SseServerOptions } from '../src/index.js';

export interface TargetArgs {
  kind: string;
  issuer: string;
  resource: string;
  port: number;
}

export function targetArgs(): TargetArgs {
  const [kind, issuer, resource, port] = process.argv.slice(2) as [string, string, string, string];
  return { kind, issuer, resource, port: Number(port) };
}

/** Our server, with the provider's validator (auth) or `insecureNoAuth`; resolves with its port. */
export async function startOurs(
  a: TargetArgs,
  auth: boolean,
  options: Pick<SseServerOptions, 'createMcpServer' | 'streamableHttp'>,
): Promise<number> {
  const common = {
    ...options,
    port: a.port,
    // Every target listens on a port of its own while tokens name one shared resource URI.
    allowedHosts: [`127.0.0.1:${a.port}`],
    maxSessions: 10_000,
    maxSessionsPerPrincipal: 10_000,
  };
  let server: ReturnType<typeof createServer>;
  if (auth) {
    // Imported only here, so an auth-off target does not even load the validator.
    const { OAuthProvider } = await import('../src/oauth/provider.js');
    const provider = new OAuthProvider({
      authorizationServer: a.issuer,
      resourceUri: a.resource,
      requiredScopes: ['mcp:read'],
      allowInsecureHttpForLoopback: true,
    });
    server = createServer({ ...common, auth: { provider } });
  } else {
    server = createServer({ ...common, insecureNoAuth: true });
  }
  return (await server.listen()).port;
}

/**
 * What a typical SDK user writes: jose.jwtVerify against the remote JWKS on every request (no
 * result cache).
 */
export function joseVerifier(a: TargetArgs) {
  const jwks = createRemoteJWKSet(new URL(`${a.issuer}/jwks`));
  return {
    async verifyAccessToken(token: string) {
      const { payload } = await jwtVerify(token, jwks, { issuer: a.issuer, audience: a.resource });
      return {
        token,
        clientId: String(payload['client_id']),
        scopes: typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [],
        expiresAt: payload.exp!,
        extra: { subject: payload.sub },
      };
    },
  };
}

export function listen(app: express.Express, port: number): Promise<number> {
  return new Promise((resolve) => {
    const s: Server = app.listen(port, '127.0.0.1', () =>
      resolve((s.address() as AddressInfo).port),
    );
  });
}

/** Tells the parent the port, answers its cpu and memory questions, exits on SIGTERM. */
export function serveParent(port: number): void {
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'cpu') {
      const c = process.cpuUsage();
      process.send!({ type: 'cpu', micros: c.user + c.system });
    }
    if (msg.type === 'memory') {
      for (let i = 0; i < 3; i++) globalThis.gc?.();
      const m = process.memoryUsage();
      process.send!({ type: 'memory', heapUsed: m.heapUsed, external: m.external, rss: m.rss });
    }
  });
  // Exit normally on SIGTERM, so --cpu-prof (BENCH_PROFILE=1) can write its profile.
  process.on('SIGTERM', () => process.exit(0));
  process.send!({ type: 'ready', port });
}
