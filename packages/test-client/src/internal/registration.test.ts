import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTestClientError } from '../errors.js';
import { processRegistrationResponse } from './registration.js';

const NOW = 1_800_000_000;

describe('processRegistrationResponse on hostile input', () => {
  it('only ever returns a checked client or throws ERR_REGISTRATION_FAILED', async () => {
    const body = fc.oneof(
      fc.json(),
      fc.string(),
      fc
        .record(
          {
            client_id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
            client_secret: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
            client_secret_expires_at: fc.oneof(fc.integer(), fc.double(), fc.string()),
            token_endpoint_auth_method: fc.oneof(
              fc.constantFrom(
                'none',
                'client_secret_basic',
                'client_secret_post',
                'private_key_jwt',
              ),
              fc.string(),
            ),
            registration_access_token: fc.oneof(fc.string(), fc.integer()),
            redirect_uris: fc.oneof(fc.array(fc.string()), fc.array(fc.integer())),
          },
          { requiredKeys: [] },
        )
        .map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(200, 201, 400, 401, 500), async (text, status) => {
        try {
          const c = await processRegistrationResponse(new Response(text, { status }), NOW);
          expect(typeof c.clientId).toBe('string');
          expect(c.clientId.length).toBeGreaterThan(0);
          expect(['none', 'client_secret_basic', 'client_secret_post']).toContain(
            c.tokenEndpointAuthMethod,
          );
          if (c.tokenEndpointAuthMethod !== 'none') expect(typeof c.clientSecret).toBe('string');
          if (c.clientSecret !== undefined) {
            expect(c.clientSecretExpiresAt === 0 || c.clientSecretExpiresAt > NOW).toBe(true);
          }
        } catch (err) {
          expect(isTestClientError(err) && err.code).toBe('ERR_REGISTRATION_FAILED');
          // A refused secret never shows in the message.
          const parsed = (() => {
            try {
              return JSON.parse(text) as { client_secret?: unknown };
            } catch {
              return undefined;
            }
          })();
          const secret = parsed?.client_secret;
          if (typeof secret === 'string' && secret.length > 12) {
            expect((err as Error).message).not.toContain(secret);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
