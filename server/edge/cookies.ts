// The device-session cookies: HttpOnly (no script can read them), Secure,
// SameSite=Strict (never sent on cross-site requests), Path=/ and no Domain.
// The __Host- prefix makes the browser enforce the last three: a page on a
// sibling host (or plain http) cannot set, overwrite or plant them. Guests and
// clinicians have separate cookies, so a clinician trying a patient link in
// their own browser does not lose the console.

/** The attributes every session cookie carries (a subset of @fastify/cookie's options, so signaling needs no Fastify type). */
export interface SessionCookieOptions {
  httpOnly: true;
  secure: true;
  sameSite: 'strict';
  path: '/';
  maxAge?: number;
}

export const GUEST_COOKIE = '__Host-cr_guest';
export const CLINICIAN_COOKIE = '__Host-cr_clinician';
/** This browser's device credential (`<deviceId>.<secret>`, issued by the server), so the same device resumes its place. */
export const DEVICE_COOKIE = '__Host-cr_device';

export function cookieOptions(maxAgeSeconds: number): SessionCookieOptions {
  return { httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: maxAgeSeconds };
}

/** For clearing: a __Host- cookie is only replaced by one with the same attributes (Secure, Path=/). */
export function clearedCookieOptions(): SessionCookieOptions {
  return { httpOnly: true, secure: true, sameSite: 'strict', path: '/' };
}
