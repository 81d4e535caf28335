// Device identity, issued by the server. A browser's device credential is
// `<deviceId>.<secret>`: a random id and a 256-bit random secret, both minted
// here; the store keeps only the SHA-256 of the secret, under the id. A
// presented credential names a device only when its secret hashes to what the
// store holds for that id, so a value the client invents (or a stolen id
// without its secret) is a new device, never someone else's.
//
// A stored hash rather than an HMAC under a server key: it needs no new
// secret to provision and rotate, works on every node that shares the store,
// and an issued device can be forgotten (expiry) without touching a key.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isId, randomId, type DeviceId } from '../../core/ids.ts';
import type { SessionStore } from '../stores.ts';

/** How long a device is remembered after its last session (the cookie's Max-Age too). */
export const DEVICE_TTL_SECONDS = 30 * 86_400;

/** `<deviceId>.<secret>`: the id is checked by isId, the secret is 256 bits in base64url. */
const CREDENTIAL = /^([^.]+)\.([A-Za-z0-9_-]{43})$/;

/** A device the server issued: its id, and the credential its cookie carries. */
export interface DeviceCredential {
  deviceId: DeviceId;
  /** The cookie value, `<deviceId>.<secret>`. */
  credential: string;
  ttlSeconds: number;
  /** Minted for this request (the presented cookie was missing, malformed, unknown or forged). */
  issued: boolean;
}

const hashOf = (secret: string): Buffer => createHash('sha256').update(secret).digest();

export class DeviceRegistry {
  readonly #store: SessionStore;

  constructor(store: SessionStore) {
    this.#store = store;
  }

  /**
   * The device a presented credential proves, or a freshly minted one. Nothing
   * is stored: remember() does that once the device gets a session, so
   * refused requests leave nothing behind.
   */
  async identify(presented: string | undefined): Promise<DeviceCredential> {
    const known = await this.#verify(presented);
    if (known) return { deviceId: known, credential: presented!, ttlSeconds: DEVICE_TTL_SECONDS, issued: false };
    const deviceId = randomId<DeviceId>();
    const secret = randomBytes(32).toString('base64url');
    return { deviceId, credential: `${deviceId}.${secret}`, ttlSeconds: DEVICE_TTL_SECONDS, issued: true };
  }

  /** Stores (or refreshes the expiry of) the device's secret hash. */
  async remember(device: DeviceCredential): Promise<void> {
    const secret = CREDENTIAL.exec(device.credential)?.[2];
    if (!secret) throw new Error('not a device credential');
    await this.#store.putDevice(device.deviceId, hashOf(secret).toString('base64url'), device.ttlSeconds);
  }

  async #verify(presented: string | undefined): Promise<DeviceId | null> {
    const m = presented ? CREDENTIAL.exec(presented) : null;
    if (!m || !isId<DeviceId>(m[1])) return null;
    const stored = await this.#store.getDevice(m[1]);
    if (stored === null) return null;
    const expected = Buffer.from(stored, 'base64url');
    const actual = hashOf(m[2]!);
    return expected.length === actual.length && timingSafeEqual(expected, actual) ? m[1] : null;
  }
}
