import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadTracing } from '../src/internal/tracing.js';
import { serviceToken, startAuthServer, validatorFor } from './helpers.js';

/** @opentelemetry/api installed but no provider registered: no tracer is ever asked for. */
let as: DevAuthServer;
beforeAll(async () => {
  as = await startAuthServer();
});
afterAll(async () => {
  await as?.stop();
});

describe('OpenTelemetry without a provider', () => {
  it('no tracer is taken and validation works as before', async () => {
    const getTracer = vi.spyOn(trace, 'getTracer');
    await loadTracing();
    const v = validatorFor(as);
    await expect(v.validate(await serviceToken(as))).resolves.toMatchObject({
      clientId: 'mcp-service',
    });
    expect(getTracer).not.toHaveBeenCalled();
    await v.close();
  });
});
