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

export const randomId = <T extends string>(): T => randomBytes(16).toString('base64url') as T;

// The id pattern and the one id check live apart from randomBytes, for the wire schemas.
export { ID_PATTERN, isId } from './id-pattern.ts';
