// Time-limited TURN credentials in the coturn "TURN REST API" scheme
// (use-auth-secret): username = "<expiry unix time>:<participant id>",
// password = base64(HMAC-SHA1(shared secret, username)). coturn checks them
// with the same secret and refuses them after the expiry. Only admitted
// participants are ever given any: a waiting patient cannot use the relay.
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

export function turnCredentials(policy: TurnPolicy, participantId: string, nowMs: number): IceServer[] {
  if (policy.urls.length === 0 || !policy.secret) return [];
  const username = `${Math.floor(nowMs / 1000) + policy.ttlSeconds}:${participantId}`;
  const credential = createHmac('sha1', policy.secret).update(username).digest('base64');
  return [{ urls: policy.urls, username, credential }];
}
