// A GOV.UK Notify API key is "{key name}-{service id}-{secret key}", both ids
// UUIDs. Every request carries a fresh JWT (HS256, header {typ: JWT, alg:
// HS256}, claims {iss: service id, iat: now}) signed with the secret key;
// Notify refuses one whose iat is more than 30 seconds from its clock, so a
// token is made per request and never reused or kept.
import jwt from 'jsonwebtoken';

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const KEY = new RegExp(`^(\\S+)-(${UUID})-(${UUID})$`);

export interface NotifyCredentials {
  serviceId: string;
  secretKey: string;
}

/** Splits an API key; the error never repeats the key. */
export function parseApiKey(apiKey: string): NotifyCredentials {
  const m = KEY.exec(apiKey.trim());
  if (!m) throw new Error('The Notify API key is not in the form {key name}-{service id}-{secret key}.');
  return { serviceId: m[2]!.toLowerCase(), secretKey: m[3]! };
}

/** The Authorization header's token for one request made at `nowMs`. */
export function bearerToken(creds: NotifyCredentials, nowMs: number): string {
  return jwt.sign({ iss: creds.serviceId, iat: Math.floor(nowMs / 1000) }, creds.secretKey, { algorithm: 'HS256', header: { typ: 'JWT', alg: 'HS256' } });
}
