import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

// A pending browser sign-in kept with the browser instead of on the server.
//
// `state` = base64url(version ‖ expiry ‖ nonce ‖ tag), 37 bytes, 50 characters:
//   version  1 byte   0x01
//   expiry   4 bytes  seconds since the epoch, big-endian
//   nonce   16 bytes  random
//   tag     16 bytes  HMAC-SHA-256(stateKey, version ‖ expiry ‖ nonce ‖ binding), truncated
// `binding` names the flow's context (issuer, client, redirect URI, resource), so a state minted
// for another configuration never verifies. The PKCE code verifier is not stored anywhere: it is
// HMAC-SHA-256(verifierKey, state), recomputed at the callback, so it never leaves the server.
// Both keys come from the flow secret through HKDF-SHA-256 with distinct labels.

const VERSION = 0x01;
const NONCE_BYTES = 16;
const TAG_BYTES = 16;
const STATE_BYTES = 1 + 4 + NONCE_BYTES + TAG_BYTES;
/** Length of a state in characters (base64url without padding). */
export const FLOW_STATE_LENGTH = Math.ceil((STATE_BYTES * 4) / 3);
/** Shortest flow secret accepted, in bytes. */
export const MIN_FLOW_SECRET_BYTES = 32;

/** The two keys derived from one flow secret. */
export interface FlowKeys {
  readonly stateKey: Buffer;
  readonly verifierKey: Buffer;
}

/** Derives the state and verifier keys from a secret of at least 32 bytes. */
export function deriveFlowKeys(secret: Uint8Array): FlowKeys {
  if (secret.byteLength < MIN_FLOW_SECRET_BYTES) throw new RangeError('flow secret too short');
  const derive = (label: string) =>
    Buffer.from(hkdfSync('sha256', secret, 'mcp-auth/sse-transport', label, 32));
  return {
    stateKey: derive('oauth flow state v1'),
    verifierKey: derive('oauth flow pkce verifier v1'),
  };
}

/** A fresh random flow secret (32 bytes). */
export function randomFlowSecret(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

function tag(keys: FlowKeys, body: Buffer, binding: string): Buffer {
  return createHmac('sha256', keys.stateKey)
    .update(body)
    .update(binding, 'utf8')
    .digest()
    .subarray(0, TAG_BYTES);
}

/** Mints a state valid until `expiresAt` (seconds since the epoch) for `binding`. */
export function mintFlowState(keys: FlowKeys, binding: string, expiresAt: number): string {
  const body = Buffer.alloc(1 + 4 + NONCE_BYTES);
  body[0] = VERSION;
  body.writeUInt32BE(expiresAt >>> 0, 1);
  randomBytes(NONCE_BYTES).copy(body, 5);
  return Buffer.concat([body, tag(keys, body, binding)]).toString('base64url');
}

/** What {@link openFlowState} found: the keys that verified the state, and its expiry. */
export interface OpenedFlowState {
  keys: FlowKeys;
  expiresAt: number;
}

/**
 * Verifies a state against each key set (the first one mints, the others are being retired).
 * Returns undefined for anything this server did not mint for `binding`, including a state with
 * a non-canonical spelling. Expiry is the caller's to check.
 */
export function openFlowState(
  keyring: readonly FlowKeys[],
  binding: string,
  state: string,
): OpenedFlowState | undefined {
  if (state.length !== FLOW_STATE_LENGTH || !/^[A-Za-z0-9_-]+$/.test(state)) return undefined;
  const raw = Buffer.from(state, 'base64url');
  // One spelling per state: the unused low bits of the last character must be zero.
  if (raw.length !== STATE_BYTES || raw.toString('base64url') !== state) return undefined;
  if (raw[0] !== VERSION) return undefined;
  const body = raw.subarray(0, STATE_BYTES - TAG_BYTES);
  const received = raw.subarray(STATE_BYTES - TAG_BYTES);
  for (const keys of keyring) {
    if (timingSafeEqual(tag(keys, body, binding), received)) {
      return { keys, expiresAt: raw.readUInt32BE(1) };
    }
  }
  return undefined;
}

/** The PKCE code verifier of a state: 43 base64url characters (RFC 7636 §4.1), never stored. */
export function flowCodeVerifier(keys: FlowKeys, state: string): string {
  return createHmac('sha256', keys.verifierKey).update(state, 'utf8').digest('base64url');
}
