// TokenService: what a link or console token grants, and every way a forged,
// stale or mangled one is refused with a typed error (never a raw
// jsonwebtoken error, which would reach the user as a 500).
import { createHmac, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import type { AppError } from '../../../server/core/errors.ts';
import { randomId, type AppointmentId, type LinkId } from '../../../server/core/ids.ts';
import { CLINICIAN_AUDIENCE, LINK_AUDIENCE, type ClinicianGrant, type LinkGrant } from '../../../server/domain/access/grants.ts';
import { ALGORITHM, keyRing, TokenService } from '../../../server/domain/access/tokens.ts';
import { appErrorOf, Clock, expectCode, ISSUER, newP256 } from './harness.ts';

const b64 = (o: unknown): string => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');

interface Setup {
  clock: Clock;
  privateKey: KeyObject;
  publicKey: KeyObject;
  tokens: TokenService;
}

function setup(): Setup {
  const clock = new Clock();
  const { privateKey, publicKey } = newP256();
  const tokens = new TokenService(keyRing({ kid: 'k1', privateKey }), ISSUER, () => clock.now().getTime());
  return { clock, privateKey, publicKey, tokens };
}

const nowS = (c: Clock): number => Math.floor(c.ms / 1000);

function linkGrant(c: Clock, over: Partial<LinkGrant> = {}): LinkGrant {
  return { linkId: randomId<LinkId>(), appointmentId: randomId<AppointmentId>(), role: 'patient', expiresAt: nowS(c) + 3600, ...over };
}

function clinicianGrant(c: Clock, over: Partial<ClinicianGrant> = {}): ClinicianGrant {
  return { clinicianId: 'gp-1', name: 'Dr Asha Patel', tokenId: randomId(), expiresAt: nowS(c) + 3600, ...over };
}

/** The claims signLink would put in a link token, for hand-made tokens. */
function linkClaims(c: Clock, over: Record<string, unknown> = {}): Record<string, unknown> {
  const id = randomId<LinkId>();
  return { sub: id, jti: id, apt: randomId(), role: 'patient', exp: nowS(c) + 3600, iat: nowS(c), iss: ISSUER, aud: LINK_AUDIENCE, ...over };
}

/** Signs claims with a real ES256 key, as an insider with some key would. */
function es256(claims: Record<string, unknown>, key: KeyObject, kid = 'k1'): string {
  return jwt.sign(claims, key, { algorithm: 'ES256', keyid: kid });
}

/** Asserts a typed refusal: an AppError with this code, nothing from jsonwebtoken leaking out as the error itself. */
async function refused(run: () => unknown, code: 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'APPOINTMENT_NOT_OPEN'): Promise<AppError> {
  const e = await appErrorOf(run);
  expect(e.code).toBe(code);
  expect(e).not.toBeInstanceOf(jwt.JsonWebTokenError);
  expect(e.name).toBe('AppError');
  // The message is for the user: no library wording, no claims.
  expect(e.message).not.toMatch(/jwt|signature|audience|issuer|algorithm/i);
  return e;
}

describe('TokenService round trips', () => {
  it('a link token verifies back to the grant it was signed with', () => {
    const { clock, tokens } = setup();
    for (const role of ['patient', 'interpreter', 'family', 'carer', 'other'] as const) {
      const g = linkGrant(clock, { role });
      expect(tokens.verifyLink(tokens.signLink(g))).toEqual(g);
    }
  });

  it('a clinician token verifies back to the grant it was signed with', () => {
    const { clock, tokens } = setup();
    const g = clinicianGrant(clock);
    expect(tokens.verifyClinician(tokens.signClinician(g))).toEqual(g);
  });

  it('signs ES256 with the signing kid in the header and the issuer and audience in the claims', () => {
    const { clock, tokens } = setup();
    const link = jwt.decode(tokens.signLink(linkGrant(clock)), { complete: true })!;
    expect(link.header).toMatchObject({ alg: ALGORITHM, kid: 'k1' });
    expect(link.payload).toMatchObject({ iss: ISSUER, aud: LINK_AUDIENCE });
    const cl = jwt.decode(tokens.signClinician(clinicianGrant(clock)), { complete: true })!;
    expect(cl.header).toMatchObject({ alg: ALGORITHM, kid: 'k1' });
    expect(cl.payload).toMatchObject({ iss: ISSUER, aud: CLINICIAN_AUDIENCE });
  });

  it('a link token carries ids and the role only, no names', () => {
    const { clock, tokens } = setup();
    const payload = jwt.decode(tokens.signLink(linkGrant(clock))) as Record<string, unknown>;
    expect(Object.keys(payload).sort()).toEqual(['apt', 'aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sub']);
  });

  it('a link token has no nbf: when it opens is the stored appointment\'s (it can be rescheduled)', () => {
    const { clock, tokens } = setup();
    const g = linkGrant(clock);
    const payload = jwt.decode(tokens.signLink(g)) as Record<string, unknown>;
    expect(payload).not.toHaveProperty('nbf');
    expect(payload.exp).toBe(g.expiresAt);
    expect(tokens.verifyLink(tokens.signLink(g))).not.toHaveProperty('notBefore');
  });
});

describe('TokenService pins ES256', () => {
  it('refuses an "alg: none" token, with or without a kid', async () => {
    const { clock, tokens } = setup();
    for (const header of [{ alg: 'none', typ: 'JWT', kid: 'k1' }, { alg: 'none', typ: 'JWT' }, { alg: 'none', kid: 'k1' }, { alg: 'NONE', kid: 'k1' }]) {
      const forged = `${b64(header)}.${b64(linkClaims(clock))}.`;
      await refused(() => tokens.verifyLink(forged), 'TOKEN_INVALID');
      const forgedClinician = `${b64(header)}.${b64({ sub: 'gp-1', name: 'Dr X', jti: 'x', exp: nowS(clock) + 60, iss: ISSUER, aud: CLINICIAN_AUDIENCE })}.`;
      await refused(() => tokens.verifyClinician(forgedClinician), 'TOKEN_INVALID');
    }
  });

  it('refuses an HS256 token whose HMAC secret is the PEM of the public key (algorithm confusion)', async () => {
    const { clock, tokens, publicKey } = setup();
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    for (const header of [{ alg: 'HS256', typ: 'JWT', kid: 'k1' }, { alg: 'HS256', kid: 'k1' }]) {
      const signingInput = `${b64(header)}.${b64(linkClaims(clock))}`;
      const forged = `${signingInput}.${createHmac('sha256', pem).update(signingInput).digest('base64url')}`;
      await refused(() => tokens.verifyLink(forged), 'TOKEN_INVALID');
    }
    // The same forgery with the header lying that it is ES256 fails the signature check.
    const signingInput = `${b64({ alg: 'ES256', typ: 'JWT', kid: 'k1' })}.${b64(linkClaims(clock))}`;
    const lying = `${signingInput}.${createHmac('sha256', pem).update(signingInput).digest('base64url')}`;
    await refused(() => tokens.verifyLink(lying), 'TOKEN_INVALID');
  });

  it('refuses a token signed by another P-256 key that claims the same kid', async () => {
    const { clock, tokens } = setup();
    const attacker = newP256().privateKey;
    await refused(() => tokens.verifyLink(es256(linkClaims(clock), attacker, 'k1')), 'TOKEN_INVALID');
    const clin = es256({ sub: 'gp-1', name: 'Dr X', jti: 'x', exp: nowS(clock) + 60, iss: ISSUER, aud: CLINICIAN_AUDIENCE }, attacker, 'k1');
    await refused(() => tokens.verifyClinician(clin), 'TOKEN_INVALID');
  });

  it('refuses a tampered payload under a genuine signature', async () => {
    const { clock, tokens } = setup();
    const [h, , s] = tokens.signLink(linkGrant(clock)).split('.');
    await refused(() => tokens.verifyLink(`${h}.${b64(linkClaims(clock, { role: 'interpreter' }))}.${s}`), 'TOKEN_INVALID');
  });
});

describe('TokenService claims checks', () => {
  it('refuses a clinician token given as a link, and a link token given as a clinician token', async () => {
    const { clock, tokens } = setup();
    await refused(() => tokens.verifyLink(tokens.signClinician(clinicianGrant(clock))), 'TOKEN_INVALID');
    await refused(() => tokens.verifyClinician(tokens.signLink(linkGrant(clock))), 'TOKEN_INVALID');
  });

  it('refuses a token of another issuer, even one signed with our own key', async () => {
    const { clock, tokens, privateKey } = setup();
    await refused(() => tokens.verifyLink(es256(linkClaims(clock, { iss: 'someone-else' }), privateKey)), 'TOKEN_INVALID');
    const { iss: _iss, ...noIss } = linkClaims(clock);
    await refused(() => tokens.verifyLink(es256(noIss, privateKey)), 'TOKEN_INVALID');
  });

  it('refuses an expired link (TOKEN_EXPIRED) once the clock passes exp, and accepts it before', async () => {
    const { clock, tokens } = setup();
    const token = tokens.signLink(linkGrant(clock, { expiresAt: nowS(clock) + 600 }));
    expect(tokens.verifyLink(token).role).toBe('patient');
    clock.advance(599_000);
    expect(() => tokens.verifyLink(token)).not.toThrow();
    clock.advance(60_000);
    await refused(() => tokens.verifyLink(token), 'TOKEN_EXPIRED');
  });

  it('refuses an expired clinician token with TOKEN_EXPIRED', async () => {
    const { clock, tokens } = setup();
    const token = tokens.signClinician(clinicianGrant(clock, { expiresAt: nowS(clock) + 60 }));
    clock.advance(3600_000);
    await refused(() => tokens.verifyClinician(token), 'TOKEN_EXPIRED');
  });

  it('refuses a token made with an nbf (before issue 15) until then, with APPOINTMENT_NOT_OPEN saying when it opens, and opens it after', async () => {
    const { clock, tokens } = setup();
    const opens = nowS(clock) + 3600;
    const token = tokens.signLink(linkGrant(clock, { notBefore: opens, expiresAt: nowS(clock) + 7200 }));
    const e = await refused(() => tokens.verifyLink(token), 'APPOINTMENT_NOT_OPEN');
    expect(e.details).toEqual([{ key: 'opensAt', problem: new Date(opens * 1000).toISOString() }]);
    clock.advance(3600_000);
    expect(tokens.verifyLink(token).notBefore).toBe(nowS(clock));
  });

  it('refuses a token whose kid is unknown, or that has no kid', async () => {
    const { clock, tokens, privateKey } = setup();
    await refused(() => tokens.verifyLink(es256(linkClaims(clock), privateKey, 'k9')), 'TOKEN_INVALID');
    await refused(() => tokens.verifyLink(jwt.sign(linkClaims(clock), privateKey, { algorithm: 'ES256' })), 'TOKEN_INVALID');
    for (const kid of ['__proto__', 'constructor', 'toString']) {
      await refused(() => tokens.verifyLink(es256(linkClaims(clock), privateKey, kid)), 'TOKEN_INVALID');
    }
  });

  it('refuses a link token with claims a link may not have, even under our own signature', async () => {
    const { clock, tokens, privateKey } = setup();
    const bad: Record<string, unknown>[] = [
      { role: 'clinician' },
      { role: 'admin' },
      { jti: randomId() }, // jti differs from sub
      { apt: 'short' },
      { apt: 42 },
      { sub: 'not-an-id', jti: 'not-an-id' },
    ];
    for (const over of bad) await refused(() => tokens.verifyLink(es256(linkClaims(clock, over), privateKey)), 'TOKEN_INVALID');
    const { jti: _jti, ...noJti } = linkClaims(clock);
    await refused(() => tokens.verifyLink(es256(noJti, privateKey)), 'TOKEN_INVALID');
  });

  it('refuses a clinician token without a name or with an oversized clinician id', async () => {
    const { clock, tokens, privateKey } = setup();
    const base = { sub: 'gp-1', name: 'Dr X', jti: 'j', exp: nowS(clock) + 60, iss: ISSUER, aud: CLINICIAN_AUDIENCE };
    await refused(() => tokens.verifyClinician(es256({ ...base, name: 7 }, privateKey)), 'TOKEN_INVALID');
    await refused(() => tokens.verifyClinician(es256({ ...base, sub: 'x'.repeat(129) }, privateKey)), 'TOKEN_INVALID');
  });
});

describe('TokenService refuses garbage with typed errors', () => {
  const garbage = [
    '',
    'a',
    'not a token',
    '...',
    'a.b.c',
    'a.b',
    'eyJ.eyJ.',
    '💥.💥.💥',
    'null',
    `${b64('null')}.${b64('null')}.`,
    `${b64([1, 2])}.${b64({})}.sig`,
    `${b64('"ES256"')}.${b64({})}.sig`,
    `${b64({ alg: 'ES256', kid: 'k1' })}.${b64({})}.${'A'.repeat(86)}`,
    `${b64({ alg: 'ES256', kid: 'k1' })}.${b64('[]')}.${'A'.repeat(86)}`,
    Buffer.from('x'.repeat(300)).toString('base64url'),
  ];

  it('verifyLink and verifyClinician answer TOKEN_INVALID for malformed strings', async () => {
    const { tokens } = setup();
    for (const g of garbage) {
      await refused(() => tokens.verifyLink(g), 'TOKEN_INVALID');
      await refused(() => tokens.verifyClinician(g), 'TOKEN_INVALID');
    }
  });

  it('answers TOKEN_INVALID for 5000-character strings, random or a genuinely signed oversized token', async () => {
    const { clock, tokens } = setup();
    await refused(() => tokens.verifyLink('a'.repeat(5000)), 'TOKEN_INVALID');
    await refused(() => tokens.verifyClinician('a'.repeat(5000)), 'TOKEN_INVALID');
    const big = tokens.signClinician(clinicianGrant(clock, { name: 'n'.repeat(4000) }));
    expect(big.length).toBeGreaterThan(4096);
    await refused(() => tokens.verifyClinician(big), 'TOKEN_INVALID');
    expect(tokens.audienceOf('a'.repeat(5000))).toBe('link');
  });

  it('answers TOKEN_INVALID for non-strings smuggled in from JSON bodies', async () => {
    const { tokens } = setup();
    const values: unknown[] = [null, undefined, 42, {}, ['a.b.c']];
    for (const v of values) {
      await refused(() => tokens.verifyLink(v as string), 'TOKEN_INVALID');
    }
  });

  // Regression test for a fixed bug (server/domain/access/tokens.ts #verify): jwt.decode() is called outside
  // the try block. jws.decode() JSON.parses the payload whenever the header says
  // typ "JWT", and throws a raw SyntaxError when it is not JSON, so a 60-byte
  // forged string escapes as an untyped error (a 500 at the HTTP layer, and
  // sessions.redeemLink records a token.rejected event with no reason).
  it('answers TOKEN_INVALID for a typ:JWT header over a payload that is not JSON', async () => {
    const { tokens } = setup();
    const forged = `${b64({ alg: 'ES256', typ: 'JWT', kid: 'k1' })}.${b64('not json')}.${'A'.repeat(86)}`;
    await refused(() => tokens.verifyLink(forged), 'TOKEN_INVALID');
  });

  // Same bug, through the console verifier.
  it('verifyClinician answers TOKEN_INVALID for a typ:JWT header over a payload that is not JSON', async () => {
    const { tokens } = setup();
    const forged = `${b64({ alg: 'ES256', typ: 'JWT', kid: 'k1' })}.${b64('{oops')}.${'A'.repeat(86)}`;
    await refused(() => tokens.verifyClinician(forged), 'TOKEN_INVALID');
  });
});

describe('TokenService key rotation', () => {
  it('verifies tokens of an older key passed as a verification key, and signs new ones with the new kid', () => {
    const clock = new Clock();
    const old = newP256();
    const before = new TokenService(keyRing({ kid: 'k0', privateKey: old.privateKey }), ISSUER, clock.nowMs);
    const g = linkGrant(clock);
    const c = clinicianGrant(clock);
    const oldLink = before.signLink(g);
    const oldClinician = before.signClinician(c);

    const after = new TokenService(keyRing({ kid: 'k1', privateKey: newP256().privateKey }, [{ kid: 'k0', publicKey: old.publicKey }]), ISSUER, clock.nowMs);
    expect(after.verifyLink(oldLink)).toEqual(g);
    expect(after.verifyClinician(oldClinician)).toEqual(c);
    const fresh = after.signLink(linkGrant(clock));
    expect(jwt.decode(fresh, { complete: true })!.header.kid).toBe('k1');
    expect(after.verifyLink(fresh).role).toBe('patient');
  });

  it('refuses tokens of a key no longer in the ring', async () => {
    const clock = new Clock();
    const old = newP256();
    const oldLink = new TokenService(keyRing({ kid: 'k0', privateKey: old.privateKey }), ISSUER, clock.nowMs).signLink(linkGrant(clock));
    const retired = new TokenService(keyRing({ kid: 'k2', privateKey: newP256().privateKey }, [{ kid: 'k1', publicKey: newP256().publicKey }]), ISSUER, clock.nowMs);
    await refused(() => retired.verifyLink(oldLink), 'TOKEN_INVALID');
  });

  it('the signing key wins over a verification key configured with the same kid', async () => {
    const clock = new Clock();
    const signing = newP256();
    const stray = newP256();
    const ring = keyRing({ kid: 'k1', privateKey: signing.privateKey }, [{ kid: 'k1', publicKey: stray.publicKey }]);
    const tokens = new TokenService(ring, ISSUER, clock.nowMs);
    expect(tokens.verifyLink(tokens.signLink(linkGrant(clock))).role).toBe('patient');
    await refused(() => tokens.verifyLink(es256(linkClaims(clock), stray.privateKey, 'k1')), 'TOKEN_INVALID');
  });
});

describe('TokenService.audienceOf', () => {
  it('picks clinician for console tokens and link for link tokens', () => {
    const { clock, tokens } = setup();
    expect(tokens.audienceOf(tokens.signClinician(clinicianGrant(clock)))).toBe('clinician');
    expect(tokens.audienceOf(tokens.signLink(linkGrant(clock)))).toBe('link');
  });

  it('says link (so the strict link verifier refuses it) for anything else', () => {
    const { tokens } = setup();
    for (const t of ['', 'garbage', 'a.b.c', `${b64({ alg: 'none' })}.${b64({ aud: [CLINICIAN_AUDIENCE] })}.`, `${b64({ alg: 'none' })}.${b64({ aud: 'other' })}.`]) {
      expect(tokens.audienceOf(t)).toBe('link');
    }
    expect(tokens.audienceOf(undefined as unknown as string)).toBe('link');
  });

  it('reads the audience unverified: a forged clinician audience is still refused by verifyClinician', async () => {
    const { clock, tokens } = setup();
    const forged = `${b64({ alg: 'none', kid: 'k1' })}.${b64({ sub: 'gp-1', name: 'Dr X', jti: 'j', exp: nowS(clock) + 60, iss: ISSUER, aud: CLINICIAN_AUDIENCE })}.`;
    expect(tokens.audienceOf(forged)).toBe('clinician');
    await expectCode(() => tokens.verifyClinician(forged), 'TOKEN_INVALID');
  });

  // Regression test for a fixed bug (server/domain/access/tokens.ts audienceOf): jwt.decode(token, { json: true })
  // throws a raw SyntaxError for any well-formed three-part string whose payload
  // is not JSON. The session route calls audienceOf() first on every POST
  // /api/v1/session body, so such a string gives a 500 instead of TOKEN_INVALID.
  it('does not throw for a well-formed token whose payload is not JSON', () => {
    const { tokens } = setup();
    expect(tokens.audienceOf(`${b64({ alg: 'ES256', kid: 'k1' })}.${b64('not json')}.${'A'.repeat(86)}`)).toBe('link');
  });
});
