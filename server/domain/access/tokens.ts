// Signs and verifies the two kinds of token with ES256 only (the algorithm is
// pinned on both sides, so "alg: none" and HS256-with-the-public-key forgeries
// fail), with audience, issuer, expiry, not-before and jti checked, and a key
// id in the header so keys can be rotated: one signing key, any number of
// verification keys by kid. Link tokens carry no nbf and an exp that is only
// an outer bound: their window is the stored appointment's (it can move).
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError } from '../../core/errors.ts';
import { isId, type AppointmentId, type LinkId } from '../../core/ids.ts';
import type { GuestRole } from '../model.ts';
import { INVITE_ROLES } from '../model.ts';
import { CLINICIAN_AUDIENCE, LINK_AUDIENCE, type ClinicianGrant, type LinkGrant } from './grants.ts';

export const ALGORITHM = 'ES256' as const;
/** Seconds of clock skew allowed on exp and nbf (a ticket's single-use mark is kept this long past its exp). */
export const CLOCK_TOLERANCE_SECONDS = 5;

export interface KeyRing {
  signing: { kid: string; privateKey: KeyObject };
  /** kid -> public key; always includes the signing key's own public key. */
  verification: Map<string, KeyObject>;
}

export function keyRing(signing: { kid: string; privateKey: KeyObject }, older: { kid: string; publicKey: KeyObject }[] = []): KeyRing {
  const verification = new Map<string, KeyObject>(older.map((k) => [k.kid, k.publicKey]));
  verification.set(signing.kid, createPublicKey(signing.privateKey));
  return { signing, verification };
}

/** A throwaway P-256 key for the single-node default (links die with the process). */
export function ephemeralSigningKey(kid: string): { kid: string; privateKey: KeyObject } {
  return { kid, privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey };
}

/** jwt.decode throws on some malformed input (a JWT header over a non-JSON payload). */
function safeDecode(token: string): jwt.Jwt | null {
  try {
    return jwt.decode(token, { complete: true });
  } catch {
    return null;
  }
}
const GUEST_ROLES: readonly string[] = ['patient', ...INVITE_ROLES];

export class TokenService {
  readonly #keys: KeyRing;
  readonly #issuer: string;
  readonly #now: () => number;

  constructor(keys: KeyRing, issuer: string, now: () => number = Date.now) {
    this.#keys = keys;
    this.#issuer = issuer;
    this.#now = now;
  }

  #sign(payload: object, audience: string): string {
    return jwt.sign(payload, this.#keys.signing.privateKey, {
      algorithm: ALGORITHM,
      keyid: this.#keys.signing.kid,
      issuer: this.#issuer,
      audience,
    });
  }

  signLink(g: LinkGrant): string {
    // An nbf only if a caller still asks for one (the window lives in the store now).
    const nbf = g.notBefore === undefined ? {} : { nbf: g.notBefore };
    return this.#sign({ sub: g.linkId, jti: g.linkId, apt: g.appointmentId, role: g.role, ...nbf, exp: g.expiresAt, iat: Math.floor(this.#now() / 1000) }, LINK_AUDIENCE);
  }

  signClinician(g: ClinicianGrant): string {
    return this.#sign({ sub: g.clinicianId, name: g.name, jti: g.tokenId, exp: g.expiresAt, iat: Math.floor(this.#now() / 1000) }, CLINICIAN_AUDIENCE);
  }

  #verify(token: string, audience: string): jwt.JwtPayload {
    if (typeof token !== 'string' || token.length > 4096) throw new AppError('TOKEN_INVALID');
    const decoded = safeDecode(token);
    const kid = decoded?.header.kid;
    const key = kid ? this.#keys.verification.get(kid) : undefined;
    if (!decoded || !key || decoded.header.alg !== ALGORITHM) throw new AppError('TOKEN_INVALID');
    try {
      const payload = jwt.verify(token, key, {
        algorithms: [ALGORITHM],
        audience,
        issuer: this.#issuer,
        clockTimestamp: Math.floor(this.#now() / 1000),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      if (typeof payload === 'string' || typeof payload.jti !== 'string' || typeof payload.sub !== 'string') throw new Error('claims');
      return payload;
    } catch (e) {
      if (e instanceof jwt.TokenExpiredError) throw new AppError('TOKEN_EXPIRED');
      // A token from before the window moved to the store: it says when it opens.
      if (e instanceof jwt.NotBeforeError) throw new AppError('APPOINTMENT_NOT_OPEN', { details: [{ key: 'opensAt', problem: e.date.toISOString() }] });
      throw new AppError('TOKEN_INVALID', { cause: e });
    }
  }

  /** The audience a token claims, read without trusting it, to pick the verifier. */
  audienceOf(token: string): 'clinician' | 'link' {
    const payload = typeof token === 'string' && token.length <= 4096 ? safeDecode(token)?.payload : undefined;
    return typeof payload === 'object' && payload.aud === CLINICIAN_AUDIENCE ? 'clinician' : 'link';
  }

  verifyLink(token: string): LinkGrant {
    const p = this.#verify(token, LINK_AUDIENCE);
    if (p.jti !== p.sub || !isId(p.jti) || typeof p.apt !== 'string' || !isId(p.apt) || !GUEST_ROLES.includes(String(p.role))) {
      throw new AppError('TOKEN_INVALID');
    }
    return { linkId: p.jti as LinkId, appointmentId: p.apt as AppointmentId, role: p.role as GuestRole, ...(p.nbf === undefined ? {} : { notBefore: p.nbf }), expiresAt: p.exp ?? 0 };
  }

  verifyClinician(token: string): ClinicianGrant {
    const p = this.#verify(token, CLINICIAN_AUDIENCE);
    if (typeof p.name !== 'string' || p.sub!.length > 128) throw new AppError('TOKEN_INVALID');
    return { clinicianId: p.sub!, name: p.name, tokenId: p.jti!, expiresAt: p.exp ?? 0 };
  }
}
