// A staff session's rules, as pure functions over the record: its cookie,
// the id it is stored under, and when it ends.
//
// The cookie and the stored id differ on purpose: the cookie carries 32
// random bytes; the store keys the session by a hash of them. The id the
// audit trail, the admin API and the session list show therefore cannot be
// presented as a cookie: an auditor reading auth.signed_in, or an admin
// listing sessions, can revoke a session but never use it.
import { createHash, randomBytes } from 'node:crypto';
import type { SessionId } from '../../core/ids.ts';
import type { StaffSession } from '../model.ts';

const STAFF_COOKIE = /^[A-Za-z0-9_-]{43}$/;

/** The stored id of a staff cookie's session (22 base64url characters, like every id). */
const idOf = (cookie: string): SessionId => createHash('sha256').update(cookie).digest('base64url').slice(0, 22) as SessionId;

export function newStaffCookie(): { cookie: string; id: SessionId } {
  const cookie = randomBytes(32).toString('base64url');
  return { cookie, id: idOf(cookie) };
}

/** The stored id for a value presented as a staff cookie, or null when it cannot be one (a bare id never is). */
export function staffSessionIdOf(cookie: unknown): SessionId | null {
  return typeof cookie === 'string' && STAFF_COOKIE.test(cookie) ? idOf(cookie) : null;
}

/** Why a staff session has ended (the audit record's reason), or null while it lives. */
export type StaffExpiry = 'SESSION_IDLE' | 'SESSION_ABSOLUTE' | 'SESSION_OUTDATED';

/** When it ends if nobody uses it (ms since epoch). */
export const idleEndOf = (s: StaffSession): number => Date.parse(s.lastSeenAt) + s.idleSeconds * 1000;

export function staffExpiry(s: StaffSession, nowMs: number): StaffExpiry | null {
  // A record from before roles and timeouts were kept: it never had a role check, so it ends.
  if (!Array.isArray(s.roles) || !Array.isArray(s.clinics) || typeof s.lastSeenAt !== 'string' || typeof s.idleSeconds !== 'number') return 'SESSION_OUTDATED';
  if (Date.parse(s.expiresAt) <= nowMs) return 'SESSION_ABSOLUTE';
  if (idleEndOf(s) <= nowMs) return 'SESSION_IDLE';
  return null;
}

/**
 * How long the store keeps the record: until it would end, plus a grace so
 * that the first read after the end still finds it, and ends it on the record
 * (session.expired, sockets cut). A session nobody reads again just goes.
 */
export const STORE_GRACE_SECONDS = 300;
export function storeTtlSeconds(s: StaffSession, nowMs: number): number {
  const end = Math.min(Date.parse(s.expiresAt), idleEndOf(s));
  return Math.max(1, Math.ceil((end - nowMs) / 1000)) + STORE_GRACE_SECONDS;
}

/** A use is noted at most this often per session (the stored lastSeenAt is the throttle, so it holds across nodes). */
export const TOUCH_EVERY_MS = 30_000;
