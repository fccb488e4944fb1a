/** How {@link readAtMost} stops and what it throws. */
export interface ReadAtMostOptions {
  /** Rejects to stop reading (a deadline or an abort); each read races it. */
  stop: Promise<never>;
  /** The error to throw once more than `maxBytes` arrived. */
  tooLarge: () => Error;
  /** The error to throw when a read fails or `stop` rejects (its reason is `cause`). */
  readFailed: (cause: unknown) => Error;
}

/**
 * Reads a byte stream to its end, refusing more than `maxBytes`, and returns the bytes. On any
 * failure the stream is cancelled (without waiting) before the error is thrown.
 *
 * @example
 * const bytes = await readAtMost(response.body, 65_536, {
 *   stop: deadline,
 *   tooLarge: () => new Error('too large'),
 *   readFailed: (cause) => new Error('read failed', { cause }),
 * });
 */
export async function readAtMost(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  o: ReadAtMostOptions,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await Promise.race([reader.read(), o.stop]);
      } catch (cause) {
        throw o.readFailed(cause);
      }
      if (chunk.done) break;
      total += chunk.value.byteLength;
      if (total > maxBytes) throw o.tooLarge();
      chunks.push(chunk.value);
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    throw err;
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
