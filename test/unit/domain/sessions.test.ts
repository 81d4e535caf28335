// SessionService: a one-time link binds to the first device; that device
// comes back to where it was; any other device waits, flagged, and never
// displaces the first. Every refusal leaves an audit event without names or
// tokens.
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../server/core/errors.ts';
import { randomId, type SessionId } from '../../../server/core/ids.ts';
import type { DomainEvent } from '../../../server/domain/model.ts';
import { API_ACTOR, book, clinicianSession, device, expectCode, makeWorld, MINUTE, PATIENT_NAME, tokenOf, type World } from './harness.ts';

async function booked(w: World = makeWorld()) {
  const created = await book(w);
  return { w, created, token: tokenOf(created.patientUrl), a: created.appointment.id };
}

const rejections = async (w: World): Promise<DomainEvent[]> => (await w.stores.events.list()).filter((e) => e.type === 'token.rejected');

describe('redeemLink: binding a link to a device', () => {
  it('the first device binds, waits, and gets a stored guest session', async () => {
    const { w, token, a, created } = await booked();
    const dev = device();
    const g = await w.sessions.redeemLink(token, dev);
    expect(g.resumed).toBe(false);
    expect(g.participant).toMatchObject({ appointmentId: a, role: 'patient', name: PATIENT_NAME, state: 'waiting', linkReused: false, deviceId: dev.deviceId, device: dev.device, linkId: created.patientLinkId });
    expect(g.session).toMatchObject({ kind: 'guest', participantId: g.participant.id, appointmentId: a, deviceId: dev.deviceId });
    expect(g.link.id).toBe(created.patientLinkId);
    expect(await w.sessions.get(g.session.id)).toEqual(g.session);
    expect(await w.stores.participants.get(g.participant.id)).toEqual(g.participant);
  });

  it('a browser without a device cookie is given a device id', async () => {
    const { w, token } = await booked();
    const g = await w.sessions.redeemLink(token, { device: 'Chrome on Android' });
    expect(g.session.deviceId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(g.participant.deviceId).toBe(g.session.deviceId);
  });

  it('the guest session lasts no longer than the session TTL nor than the appointment is kept', async () => {
    const { w, token } = await booked();
    const g = await w.sessions.redeemLink(token, device());
    expect(g.ttlSeconds).toBe(12 * 3600);
    expect(Date.parse(g.session.expiresAt)).toBe(w.clock.ms + 12 * 3600_000);
    w.clock.advance(12 * 3600_000);
    expect(await w.sessions.get(g.session.id)).toBeNull();
  });

  it('the same device coming back resumes the same participant, wherever the clinician put it', async () => {
    const { w, token, a, created } = await booked();
    const dev = device();
    const first = await w.sessions.redeemLink(token, dev);
    const again = await w.sessions.redeemLink(token, dev);
    expect(again.resumed).toBe(true);
    expect(again.participant.id).toBe(first.participant.id);
    expect(again.session.participantId).toBe(first.participant.id);
    expect(again.session.id).not.toBe(first.session.id);

    const clin = await clinicianSession(w, created);
    await w.consultations.enterWaitingRoom(first.participant.id, a);
    await w.consultations.admit(clin, a, first.participant.id);
    const third = await w.sessions.redeemLink(token, dev);
    expect(third).toMatchObject({ resumed: true, participant: { id: first.participant.id, state: 'admitted' } });
    expect((await w.stores.participants.listForAppointment(a)).filter((p) => p.role === 'patient')).toHaveLength(1);
  });

  it('a second device gets a new participant flagged linkReused and waiting; the first is untouched', async () => {
    const { w, token, a, created } = await booked();
    const first = await w.sessions.redeemLink(token, device('Mobile Safari on iOS'));
    const clin = await clinicianSession(w, created);
    await w.consultations.enterWaitingRoom(first.participant.id, a);
    await w.consultations.admit(clin, a, first.participant.id);
    const firstBefore = await w.stores.participants.get(first.participant.id);

    w.clock.advance(MINUTE);
    const second = await w.sessions.redeemLink(token, device('Chrome on Windows'));
    expect(second.resumed).toBe(false);
    expect(second.participant.id).not.toBe(first.participant.id);
    expect(second.participant).toMatchObject({ state: 'waiting', linkReused: true, role: 'patient', linkId: created.patientLinkId, device: 'Chrome on Windows' });
    expect(await w.stores.participants.get(first.participant.id)).toEqual(firstBefore);
    const types = (await w.stores.events.list(a)).map((e) => e.type);
    expect(types.filter((t) => t === 'link.redeemed')).toHaveLength(1);
    expect(types.filter((t) => t === 'link.reused')).toHaveLength(1);
    // The clinician's detail view still shows the link as bound to the first device.
    expect((await w.appointments.detail(a)).links.find((l) => l.id === created.patientLinkId)?.bound).toBe(true);
  });

  it('the second device coming back resumes its own flagged participant', async () => {
    const { w, token, a } = await booked();
    await w.sessions.redeemLink(token, device());
    const other = device('Chrome on Windows');
    const second = await w.sessions.redeemLink(token, other);
    const back = await w.sessions.redeemLink(token, other);
    expect(back.resumed).toBe(true);
    expect(back.participant.id).toBe(second.participant.id);
    expect(back.participant.linkReused).toBe(true);
    expect(await w.stores.participants.listForAppointment(a)).toHaveLength(2);
  });

  it('of 30 concurrent redemptions from different devices exactly one is the unflagged holder', async () => {
    const { w, token, a } = await booked();
    const devices = Array.from({ length: 30 }, (_, i) => device(`device ${i}`));
    const results = await Promise.all(devices.map((d) => w.sessions.redeemLink(token, d)));
    expect(results.filter((g) => !g.participant.linkReused)).toHaveLength(1);
    expect(results.every((g) => g.participant.state === 'waiting' && !g.resumed)).toBe(true);
    const stored = await w.stores.participants.listForAppointment(a);
    expect(stored).toHaveLength(30);
    expect(new Set(stored.map((p) => p.id)).size).toBe(30);
    expect(stored.filter((p) => !p.linkReused)).toHaveLength(1);
    expect(new Set(stored.map((p) => p.deviceId))).toEqual(new Set(devices.map((d) => d.deviceId)));
  });

  it('the same device redeeming twice at once (a double tap, two tabs) ends up as one participant', async () => {
    const { w, token, a } = await booked();
    const dev = device();
    const [x, y] = await Promise.all([w.sessions.redeemLink(token, dev), w.sessions.redeemLink(token, dev)]);
    expect(x.participant.id).toBe(y.participant.id);
    expect(await w.stores.participants.listForAppointment(a)).toHaveLength(1);
  });

  it('two links of one appointment bind independently', async () => {
    const { w, token, a } = await booked();
    const { url } = await w.appointments.invite(a, { name: 'Interpreter Ines', role: 'interpreter' }, API_ACTOR);
    const patient = await w.sessions.redeemLink(token, device());
    const interp = await w.sessions.redeemLink(tokenOf(url), device());
    expect(patient.participant.linkReused).toBe(false);
    expect(interp.participant).toMatchObject({ role: 'interpreter', linkReused: false, state: 'waiting' });
  });
});

describe('redeemLink: refusals', () => {
  it('a revoked link is refused with LINK_REVOKED, for a new device and for the one it was bound to', async () => {
    const { w, token, a, created } = await booked();
    const dev = device();
    await w.sessions.redeemLink(token, dev);
    await w.appointments.revokeLink(a, created.patientLinkId, API_ACTOR);
    await expectCode(w.sessions.redeemLink(token, dev), 'LINK_REVOKED');
    await expectCode(w.sessions.redeemLink(token, device()), 'LINK_REVOKED');
  });

  it('an ended consultation refuses its links with CONSULTATION_ENDED', async () => {
    const { w, token, a, created } = await booked();
    const dev = device();
    await w.sessions.redeemLink(token, dev);
    await w.consultations.end(await clinicianSession(w, created), a);
    await expectCode(w.sessions.redeemLink(token, dev), 'CONSULTATION_ENDED');
    await expectCode(w.sessions.redeemLink(token, device()), 'CONSULTATION_ENDED');
  });

  it('a locked consultation refuses a new device but resumes one already there', async () => {
    const { w, token, a, created } = await booked();
    const dev = device();
    const first = await w.sessions.redeemLink(token, dev);
    await w.consultations.lock(await clinicianSession(w, created), a, true);
    await expectCode(w.sessions.redeemLink(token, device()), 'CONSULTATION_LOCKED');
    const back = await w.sessions.redeemLink(token, dev);
    expect(back).toMatchObject({ resumed: true, participant: { id: first.participant.id } });
    expect(await w.stores.participants.listForAppointment(a)).toHaveLength(1);
  });

  it('a locked consultation refuses the first device too, and lets it in once unlocked', async () => {
    const { w, token, a, created } = await booked();
    const clin = await clinicianSession(w, created);
    await w.consultations.lock(clin, a, true);
    const dev = device();
    await expectCode(w.sessions.redeemLink(token, dev), 'CONSULTATION_LOCKED');
    expect(await w.stores.participants.listForAppointment(a)).toHaveLength(0);
    await w.consultations.lock(clin, a, false);
    const g = await w.sessions.redeemLink(token, dev);
    expect(g.participant).toMatchObject({ state: 'waiting', linkReused: false });
  });

  // Regression test for a fixed bug (server/domain/access/sessions.ts #participantFor): the link is bound
  // (links.bind) before the lock is checked, so a device refused with
  // CONSULTATION_LOCKED leaves the link bound to a participant id that is never
  // stored. After unlocking, every redemption from that same device finds
  // 'same-device', fails to load the phantom participant and creates yet another
  // participant: the device never resumes (resumed is always false) and the
  // clinician's waiting room fills with duplicates of the same person.
  it('after a refusal while locked, the device that comes back later resumes one participant', async () => {
    const { w, token, a, created } = await booked();
    const clin = await clinicianSession(w, created);
    await w.consultations.lock(clin, a, true);
    const dev = device();
    await expectCode(w.sessions.redeemLink(token, dev), 'CONSULTATION_LOCKED');
    await w.consultations.lock(clin, a, false);
    const first = await w.sessions.redeemLink(token, dev);
    const again = await w.sessions.redeemLink(token, dev);
    expect(again.resumed).toBe(true);
    expect(again.participant.id).toBe(first.participant.id);
    expect((await w.stores.participants.listForAppointment(a)).filter((p) => p.role === 'patient')).toHaveLength(1);
  });

  it('a denied or removed device redeeming again is refused with FORBIDDEN', async () => {
    const { w, token, a, created } = await booked();
    const clin = await clinicianSession(w, created);
    const denied = device();
    const g1 = await w.sessions.redeemLink(token, denied);
    await w.consultations.enterWaitingRoom(g1.participant.id, a);
    await w.consultations.deny(clin, a, g1.participant.id);
    await expectCode(w.sessions.redeemLink(token, denied), 'FORBIDDEN');

    const removed = device('Chrome on Windows');
    const g2 = await w.sessions.redeemLink(token, removed);
    await w.consultations.enterWaitingRoom(g2.participant.id, a);
    await w.consultations.admit(clin, a, g2.participant.id);
    await w.consultations.remove(clin, a, g2.participant.id);
    await expectCode(w.sessions.redeemLink(token, removed), 'FORBIDDEN');
  });

  it('a token for a link that does not exist here, or whose appointment it does not name, is TOKEN_INVALID', async () => {
    const { w, created } = await booked();
    const foreign = w.tokens.signLink({ linkId: randomId(), appointmentId: created.appointment.id, role: 'patient', notBefore: 0, expiresAt: Math.floor(w.clock.ms / 1000) + 3600 });
    await expectCode(w.sessions.redeemLink(foreign, device()), 'TOKEN_INVALID');
    const mismatched = w.tokens.signLink({ linkId: created.patientLinkId, appointmentId: randomId(), role: 'patient', notBefore: 0, expiresAt: Math.floor(w.clock.ms / 1000) + 3600 });
    await expectCode(w.sessions.redeemLink(mismatched, device()), 'TOKEN_INVALID');
  });

  it('a link is refused before it opens (APPOINTMENT_NOT_OPEN) and after it expires (TOKEN_EXPIRED)', async () => {
    const w = makeWorld();
    const later = await book(w, { startsAt: new Date(w.clock.ms + 3 * 60 * MINUTE).toISOString(), durationMinutes: 30 });
    const token = tokenOf(later.patientUrl);
    await expectCode(w.sessions.redeemLink(token, device()), 'APPOINTMENT_NOT_OPEN');
    w.clock.advance(2 * 60 * MINUTE + MINUTE); // inside the 60-minute join-early window
    expect((await w.sessions.redeemLink(token, device())).participant.state).toBe('waiting');
    w.clock.advance(60 * MINUTE + 30 * MINUTE + 60 * MINUTE); // past start + duration + grace
    await expectCode(w.sessions.redeemLink(token, device()), 'TOKEN_EXPIRED');
  });

  it('a clinician console token is not a link', async () => {
    const { w, created } = await booked();
    await expectCode(w.sessions.redeemLink(tokenOf(created.clinicianUrl), device()), 'TOKEN_INVALID');
  });

  it('each refusal records token.rejected with outcome refused and the reason code', async () => {
    const { w, token, a, created } = await booked();
    const clin = await clinicianSession(w, created);
    const cases: [ErrorCode, () => Promise<unknown>][] = [];
    cases.push(['TOKEN_INVALID', () => w.sessions.redeemLink('garbage', device())]);
    cases.push(['TOKEN_INVALID', () => w.sessions.startClinician(token, device())]);
    const first = device();
    await w.sessions.redeemLink(token, first);
    cases.push(['CONSULTATION_LOCKED', async () => {
      await w.consultations.lock(clin, a, true);
      try {
        return await w.sessions.redeemLink(token, device());
      } finally {
        await w.consultations.lock(clin, a, false);
      }
    }]);
    cases.push(['LINK_REVOKED', async () => {
      const { link, url } = await w.appointments.invite(a, { name: 'Fam', role: 'family' }, API_ACTOR);
      await w.appointments.revokeLink(a, link.id, API_ACTOR);
      return w.sessions.redeemLink(tokenOf(url), device());
    }]);
    cases.push(['CONSULTATION_ENDED', async () => {
      await w.consultations.end(clin, a);
      return w.sessions.redeemLink(token, first);
    }]);
    for (const [code, run] of cases) {
      const before = (await rejections(w)).length;
      await expectCode(run(), code);
      const after = await rejections(w);
      expect(after).toHaveLength(before + 1);
      expect(after.at(-1)).toMatchObject({ type: 'token.rejected', outcome: 'refused', reason: code, actor: { role: 'anonymous' } });
    }
    const byAppointment = (await rejections(w)).filter((e) => e.appointmentId === a).map((e) => e.reason);
    expect(byAppointment).toEqual(['CONSULTATION_LOCKED', 'LINK_REVOKED', 'CONSULTATION_ENDED']);
  });

  it('expired and not-yet-open tokens are recorded with their reason', async () => {
    const w = makeWorld();
    const later = await book(w, { startsAt: new Date(w.clock.ms + 3 * 60 * MINUTE).toISOString() });
    await expectCode(w.sessions.redeemLink(tokenOf(later.patientUrl), device()), 'APPOINTMENT_NOT_OPEN');
    w.clock.advance(24 * 60 * MINUTE);
    await expectCode(w.sessions.redeemLink(tokenOf(later.patientUrl), device()), 'TOKEN_EXPIRED');
    expect((await rejections(w)).map((e) => [e.outcome, e.reason])).toEqual([
      ['refused', 'APPOINTMENT_NOT_OPEN'],
      ['refused', 'TOKEN_EXPIRED'],
    ]);
  });

  // Regression test for a fixed bug (server/domain/access/sessions.ts redeemLink): a denied or removed
  // device coming back is refused with a bare `throw new AppError('FORBIDDEN')`
  // instead of going through #refuse(), so that refusal is missing from the
  // audit trail, unlike every other refusal of a link.
  it('a denied device redeeming again is recorded as token.rejected with reason FORBIDDEN', async () => {
    const { w, token, a, created } = await booked();
    const dev = device();
    const g = await w.sessions.redeemLink(token, dev);
    await w.consultations.enterWaitingRoom(g.participant.id, a);
    await w.consultations.deny(await clinicianSession(w, created), a, g.participant.id);
    await expectCode(w.sessions.redeemLink(token, dev), 'FORBIDDEN');
    expect((await rejections(w)).at(-1)).toMatchObject({ type: 'token.rejected', outcome: 'refused', reason: 'FORBIDDEN', appointmentId: a });
  });

  it('the audit trail never holds the patient name, any guest name or any token', async () => {
    const { w, token, a, created } = await booked();
    const clin = await clinicianSession(w, created);
    const { url } = await w.appointments.invite(a, { name: 'Ingrid Interpreter-Vasquez', role: 'interpreter' }, API_ACTOR);
    const first = device();
    const g = await w.sessions.redeemLink(token, first);
    await w.sessions.redeemLink(token, device());
    await w.sessions.redeemLink(tokenOf(url), device());
    await w.consultations.enterWaitingRoom(g.participant.id, a);
    await w.consultations.admit(clin, a, g.participant.id);
    await w.consultations.lock(clin, a, true);
    await expectCode(w.sessions.redeemLink(token, device()), 'CONSULTATION_LOCKED');
    await expectCode(w.sessions.redeemLink(`${token}x`, device()), 'TOKEN_INVALID');
    await w.consultations.end(clin, a);
    await expectCode(w.sessions.redeemLink(token, first), 'CONSULTATION_ENDED');

    const trail = JSON.stringify(await w.stores.events.list());
    expect(trail).not.toContain(PATIENT_NAME);
    expect(trail).not.toContain('Zebedee');
    expect(trail).not.toContain('Ingrid');
    expect(trail).not.toContain('Dr Asha Patel');
    for (const t of [token, tokenOf(url), tokenOf(created.clinicianUrl)]) {
      for (const part of t.split('.')) expect(trail).not.toContain(part);
    }
    for (const e of await w.stores.events.list()) expect(Object.keys(e).every((k) => ['type', 'at', 'appointmentId', 'actor', 'subject', 'outcome', 'reason'].includes(k))).toBe(true);
  });
});

describe('startClinician and sessions', () => {
  it('a console token gives a clinician session with the clinician id and name', async () => {
    const { w, created } = await booked();
    const dev = device('Firefox on Linux');
    const c = await w.sessions.startClinician(tokenOf(created.clinicianUrl), dev);
    expect(c.session).toMatchObject({ kind: 'clinician', clinicianId: 'gp-1', clinicianName: 'Dr Asha Patel', deviceId: dev.deviceId });
    expect(c.ttlSeconds).toBe(12 * 3600);
    expect(await w.sessions.get(c.session.id)).toEqual(c.session);
  });

  it('the clinician session lasts at most until the console token expires (and at least a minute)', async () => {
    const w = makeWorld({ policy: { clinicianTokenTtlMinutes: 90 } });
    const created = await book(w);
    const c = await w.sessions.startClinician(tokenOf(created.clinicianUrl), device());
    expect(c.ttlSeconds).toBe(90 * 60);
    w.clock.advance(89 * MINUTE + 59_000);
    const late = await w.sessions.startClinician(tokenOf(created.clinicianUrl), device());
    expect(late.ttlSeconds).toBe(60);
  });

  it('a link token or an expired console token is refused and recorded', async () => {
    const { w, token, created } = await booked();
    await expectCode(w.sessions.startClinician(token, device()), 'TOKEN_INVALID');
    w.clock.advance(13 * 60 * MINUTE);
    await expectCode(w.sessions.startClinician(tokenOf(created.clinicianUrl), device()), 'TOKEN_EXPIRED');
    expect((await rejections(w)).map((e) => e.reason)).toEqual(['TOKEN_INVALID', 'TOKEN_EXPIRED']);
  });

  it('audienceOf tells console tokens from links', async () => {
    const { w, token, created } = await booked();
    expect(w.sessions.audienceOf(tokenOf(created.clinicianUrl))).toBe('clinician');
    expect(w.sessions.audienceOf(token)).toBe('link');
  });

  it('get() is null for unknown, malformed, ended and expired sessions', async () => {
    const { w, token } = await booked();
    const g = await w.sessions.redeemLink(token, device());
    expect(await w.sessions.get(undefined)).toBeNull();
    expect(await w.sessions.get('')).toBeNull();
    expect(await w.sessions.get('../../etc/passwd')).toBeNull();
    expect(await w.sessions.get(randomId<SessionId>())).toBeNull();
    expect(await w.sessions.get(g.session.id)).not.toBeNull();
    await w.sessions.end(g.session.id);
    expect(await w.sessions.get(g.session.id)).toBeNull();
    const g2 = await w.sessions.redeemLink(token, { deviceId: g.session.deviceId, device: 'x' });
    w.clock.advance(g2.ttlSeconds * 1000);
    expect(await w.sessions.get(g2.session.id)).toBeNull();
    await w.sessions.end('not valid');
  });
});
