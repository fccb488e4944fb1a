import { describe, expect, it } from 'vitest';
import { isSseTransportError, SseTransportError } from './errors.js';

describe('isSseTransportError', () => {
  it.each([
    ['an SseTransportError', new SseTransportError('ERR_STATE_INVALID', 'Unknown state'), true],
    [
      'one from another copy of the package (same name and a code)',
      Object.assign(new Error('x'), { name: 'SseTransportError', code: 'ERR_STATE_INVALID' }),
      true,
    ],
    ['a plain Error', new Error('x'), false],
    ['an object that only looks like one', { name: 'SseTransportError', code: 'X' }, false],
    ['null', null, false],
  ])('%s → %s', (_name, value, expected) => {
    expect(isSseTransportError(value)).toBe(expected);
  });

  it('maps each code to the status the callback answers with', () => {
    expect(new SseTransportError('ERR_STATE_INVALID', 'x').status).toBe(400);
    expect(new SseTransportError('ERR_AUTH_SERVER_UNAVAILABLE', 'x').status).toBe(503);
  });
});
