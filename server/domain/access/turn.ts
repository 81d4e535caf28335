// Time-limited TURN credentials in the coturn "TURN REST API" scheme
// (use-auth-secret): username = "<expiry unix time>:<participant id>",
// password = base64(HMAC-SHA1(shared secret, username)). coturn checks them
// with the same secret and refuses them after the expiry. Only admitted
// participants are ever given any, and they last minutes: the page asks for
// fresh ones while it is admitted (each request re-checks admission), so
// someone sent back, denied or removed loses the relay within one lifetime.
import { createHmac } from 'node:crypto';

export interface TurnPolicy {
  /** turn: / turns: URLs of the trust's own relay; empty means no TURN at all. */
  urls: string[];
  secret: string;
  ttlSeconds: number;
}

export interface IceServer {
  urls: string[];
  username: string;
  credential: string;
}

export interface TurnGrant {
  iceServers: IceServer[];
  /** When the credentials stop working (ISO 8601); null when there are none. */
  expiresAt: string | null;
}

export function turnCredentials(policy: TurnPolicy, participantId: string, nowMs: number): TurnGrant {
  if (policy.urls.length === 0 || !policy.secret) return { iceServers: [], expiresAt: null };
  const expiry = Math.floor(nowMs / 1000) + policy.ttlSeconds;
  const username = `${expiry}:${participantId}`;
  const credential = createHmac('sha1', policy.secret).update(username).digest('base64');
  return { iceServers: [{ urls: policy.urls, username, credential }], expiresAt: new Date(expiry * 1000).toISOString() };
}
