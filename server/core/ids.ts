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

export const randomId = <T extends string>(): T => randomBytes(16).toString('base64url') as T;

/** The shape every random id has; anything else is refused before a store lookup. */
export const ID_PATTERN = '^[A-Za-z0-9_-]{22}$';
const ID_RE = new RegExp(ID_PATTERN);

/** The one id check: true for a string of the shape `randomId` makes (the caller names the brand). */
export const isId = <T extends string = string>(value: unknown): value is T => typeof value === 'string' && ID_RE.test(value);
