import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, RESOURCE, serviceToken, startAuthServer, validatorFor } from './helpers.js';

let as: DevAuthServer;
beforeAll(async () => {
  as = await startAuthServer();
});
afterAll(async () => {
  await as?.stop();
});

describe('smoke', () => {
  it('validates a real token', async () => {
    const token = await serviceToken(as);
    console.log(decodeJwt(token), as.metadata);
    const v = validatorFor(as, { jwt: { jwksUri: as.jwksUri } });
    const auth = await v.validate(token);
    expect(auth.resource?.href).toBe(RESOURCE);
    console.log(auth);
  });
});
