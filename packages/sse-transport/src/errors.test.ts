import { describe, expect, it } from 'vitest';
import { isSseTransportError, SSE_TRANSPORT_ERROR_CODES, SseTransportError } from './errors.js';

describe('isSseTransportError', () => {
  it.each([
    [
      'an SseTransportError',
      new SseTransportError('ERR_OAUTH_STATE_INVALID', 'Unknown state'),
      true,
    ],
    [
      'one from another copy of the package (same name and a code)',
      Object.assign(new Error('x'), { name: 'SseTransportError', code: 'ERR_OAUTH_STATE_INVALID' }),
      true,
    ],
    ['a plain Error', new Error('x'), false],
    ['an object that only looks like one', { name: 'SseTransportError', code: 'X' }, false],
    [
      'an error named like one with a code it does not have',
      Object.assign(new Error('x'), { name: 'SseTransportError', code: 'ERR_STATE_INVALID' }),
      false,
    ],
    ['null', null, false],
  ])('%s → %s', (_name, value, expected) => {
    expect(isSseTransportError(value)).toBe(expected);
  });

  it('maps each code to the status the callback answers with', () => {
    expect(new SseTransportError('ERR_OAUTH_STATE_INVALID', 'x').status).toBe(400);
    expect(new SseTransportError('ERR_OAUTH_SERVER_UNAVAILABLE', 'x').status).toBe(503);
  });

  it('SSE_TRANSPORT_ERROR_CODES lists every code once, each with the ERR_OAUTH_ prefix', () => {
    expect(Object.isFrozen(SSE_TRANSPORT_ERROR_CODES)).toBe(true);
    expect(SSE_TRANSPORT_ERROR_CODES).toHaveLength(11);
    expect(new Set(SSE_TRANSPORT_ERROR_CODES).size).toBe(11);
    for (const code of SSE_TRANSPORT_ERROR_CODES) expect(code).toMatch(/^ERR_OAUTH_[A-Z_]+$/);
  });
});
