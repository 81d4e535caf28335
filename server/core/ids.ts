// Identifiers that stand between an intruder and a consultation carry 128 bits
// of randomness (base64url, 22 characters), so they cannot be guessed.
import { randomBytes } from 'node:crypto';

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type AppointmentId = Brand<string, 'AppointmentId'>;
export type LinkId = Brand<string, 'LinkId'>;
export type ParticipantId = Brand<string, 'ParticipantId'>;
export type SessionId = Brand<string, 'SessionId'>;
export type DeviceId = Brand<string, 'DeviceId'>;
export type FileId = Brand<string, 'FileId'>;
export type ItemId = Brand<string, 'ItemId'>;
export type ApiKeyId = Brand<string, 'ApiKeyId'>;
/** A clinic's id is a short slug trust IT chooses ("dermatology-north"), not random: it is not a secret. */
export type ClinicId = Brand<string, 'ClinicId'>;

/** Random bytes drawn from the CSPRNG in blocks of this many ids (as crypto.randomUUID caches): one call per 256 ids, not one per id. */
const IDS_PER_DRAW = 256;
let pool = Buffer.alloc(0);
let used = 0;

/** 16 bytes from the CSPRNG, each byte used once, as 22 base64url characters. */
export const randomId = <T extends string>(): T => {
  if (used >= pool.length) {
    pool = randomBytes(16 * IDS_PER_DRAW);
    used = 0;
  }
  const id = pool.toString('base64url', used, used + 16);
  used += 16;
  return id as T;
};

// The id pattern and the one id check live apart from randomBytes, for the wire schemas.
export { ID_PATTERN, isId } from './id-pattern.ts';
