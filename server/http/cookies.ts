// The device-session cookies: HttpOnly (no script can read them), Secure,
// SameSite=Strict (never sent on cross-site requests), scoped to the API and
// the socket. Guests and clinicians have separate cookies, so a clinician
// trying a patient link in their own browser does not lose the console.
import type { CookieSerializeOptions } from '@fastify/cookie';

export const GUEST_COOKIE = 'cr_guest';
export const CLINICIAN_COOKIE = 'cr_clinician';
/** Identifies this browser across visits, so the same device resumes its place. */
export const DEVICE_COOKIE = 'cr_device';

export function cookieOptions(maxAgeSeconds: number): CookieSerializeOptions {
  return { httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: maxAgeSeconds };
}
