/**
 * Server nonces (RFC 9449 §8, §9) without shared state: the nonce of a time window is
 * HMAC-SHA-256(secret, window), so every instance holding the secret issues and accepts the same
 * nonces. The current and the previous window are accepted (a nonce lives one to two windows).
 */
export class DpopNonces {
  private readonly key: ReturnType<typeof crypto.subtle.importKey>;
  /** Computed nonces by window index (at most the last three). */
  private readonly byWindow = new Map<number, Promise<string>>();

  constructor(
    secret: Uint8Array,
    private readonly rotationMs: number,
    private readonly now: () => number,
  ) {
    this.key = crypto.subtle.importKey(
      'raw',
      secret as Uint8Array<ArrayBuffer>,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
  }

  private window(): number {
    return Math.floor(this.now() / this.rotationMs);
  }

  private nonceOf(window: number): Promise<string> {
    let nonce = this.byWindow.get(window);
    if (nonce === undefined) {
      nonce = this.key.then((key) =>
        crypto.subtle
          .sign('HMAC', key, new TextEncoder().encode(`mcp-auth dpop nonce ${window}`))
          .then((mac) => base64url(new Uint8Array(mac))),
      );
      this.byWindow.set(window, nonce);
      for (const w of this.byWindow.keys()) if (w < window - 2) this.byWindow.delete(w);
    }
    return nonce;
  }

  /** The nonce to hand out now (`DPoP-Nonce`). */
  current(): Promise<string> {
    return this.nonceOf(this.window());
  }

  /** Whether `nonce` is the current or the previous window's nonce. */
  async accepts(nonce: string): Promise<boolean> {
    const w = this.window();
    const [current, previous] = await Promise.all([this.nonceOf(w), this.nonceOf(w - 1)]);
    return nonce === current || nonce === previous;
  }
}

/** Unpadded base64url of bytes (RFC 4648 §5), on every runtime. */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
