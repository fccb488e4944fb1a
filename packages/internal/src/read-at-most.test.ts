import { describe, expect, it } from 'vitest';
import { isHeaders } from './headers.js';
import { readAtMost } from './read-at-most.js';

function streamOf(chunks: number[][], error?: Error) {
  let i = 0;
  const seen = { cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(new Uint8Array(chunks[i++]!));
      else if (error) controller.error(error);
      else controller.close();
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

const never = new Promise<never>(() => {});
const errors = {
  stop: never,
  tooLarge: () => new Error('too large'),
  readFailed: (cause: unknown) => new Error('failed', { cause }),
};

describe('readAtMost', () => {
  it('joins the chunks, up to exactly maxBytes', async () => {
    const { stream } = streamOf([[1, 2], [3], [4, 5]]);
    const bytes = await readAtMost(stream, 5, errors);
    expect([...bytes]).toEqual([1, 2, 3, 4, 5]);
  });

  it('throws tooLarge past maxBytes and cancels the stream', async () => {
    const { stream, seen } = streamOf([[1, 2], [3, 4], [5]]);
    await expect(readAtMost(stream, 3, errors)).rejects.toThrow('too large');
    await new Promise((resolve) => setTimeout(resolve, 0)); // cancel() is not awaited
    expect(seen.cancelled).toBe(true);
  });

  it('throws readFailed with the cause when the stream errors', async () => {
    const boom = new Error('boom');
    const err = await readAtMost(streamOf([[1]], boom).stream, 10, errors).catch((e: Error) => e);
    expect(err).toEqual(new Error('failed'));
    expect((err as Error).cause).toBe(boom);
  });

  it('throws readFailed with the reason when stop rejects', async () => {
    const reason = new Error('deadline');
    const stop = Promise.reject(reason);
    stop.catch(() => {});
    const stream = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
    const err = await readAtMost(stream, 10, { ...errors, stop }).catch((e: Error) => e);
    expect((err as Error).cause).toBe(reason);
  });
});

describe('isHeaders', () => {
  it.each([
    [new Headers(), true],
    [{ get() {}, has() {} }, true],
    [{ authorization: 'Bearer x' }, false],
    [null, false],
    ['x', false],
  ])('%#', (value, expected) => {
    expect(isHeaders(value)).toBe(expected);
  });
});
