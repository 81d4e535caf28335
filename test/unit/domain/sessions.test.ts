// SessionService: a one-time link binds to the first device; that device
// comes back to where it was; any other device waits, flagged, and never
// displaces the first. Devices are issued by the server: a credential it did
// not issue is a new device. Denying or removing someone closes their link to
// new devices. Every refusal leaves an audit event without names or tokens.
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../server/core/errors.ts';
import { randomId, type ClinicId, type DeviceId, type SessionId } from '../../../server/core/ids.ts';
import type { DeviceContext, GuestSession } from '../../../server/domain/access/sessions.ts';
import { newStaffCookie } from '../../../server/domain/access/staff-sessions.ts';
import type { DomainEvent, StaffSession } from '../../../server/domain/model.ts';
import { API_ACTOR, book, clinicianSession, device, expectCode, makeWorld, MINUTE, PATIENT_NAME, staffSession, ticketFor, tokenOf, type World } from './harness.ts';

async function booked(w: World = makeWorld()) {
  const created = await book(w);
  return { w, created, token: tokenOf(created.patientUrl), a: created.appointment.id };
}

/** Redeems as a browser does: the device cookie the server sets is sent on the device's next visit. */
async function redeem(w: World, token: string, dev: DeviceContext): Promise<GuestSession> {
  const g = await w.sessions.redeemLink(token, dev);
  dev.credential = g.device.credential;
  return g;
}

const CREDENTIAL = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;

const rejections = async (w: World): Promise<DomainEvent[]> => (await w.stores.events.list()).filter((e) => e.type === 'token.rejected');

describe('redeemLink: binding a link to a device', () => {
  it('the first device binds, waits, and gets a stored guest session', async () => {
    const { w, token, a, created } = await booked();
    const dev = device();
    const g = await redeem(w, token, dev);
    expect(g.resumed).toBe(false);
    expect(g.participant).toMatchObject({ appointmentId: a, role: 'patient', name: PATIENT_NAME, state: 'waiting', linkReused: false, deviceId: g.device.deviceId, device: dev.device, linkId: created.patientLinkId });
    expect(g.session).toMatchObject({ kind: 'guest', participantId: g.participant.id, appointmentId: a, deviceId: g.device.deviceId });
    expect(g.link.id).toBe(created.patientLinkId);
    expect(await w.sessions.get(g.session.id)).toEqual(g.session);
    expect(await w.stores.participants.get(g.participant.id)).toEqual(g.participant);
  });

  it('a browser without a device cookie is issued a device: an id and a secret, of which the store keeps only a hash', async () => {
    const { w, token } = await booked();
    const g = await redeem(w, token, { device: 'Chrome on Android' });
    expect(g.device).toMatchObject({ issued: true, ttlSeconds: 30 * 86_400 });
    expect(g.device.credential).toMatch(CREDENTIAL);
    expect(g.device.credential.startsWith(`${g.device.deviceId}.`)).toBe(true);
    expect(g.session.deviceId).toBe(g.device.deviceId);
    expect(g.participant.deviceId).toBe(g.session.deviceId);
    const stored = await w.stores.sessions.getDevice(g.device.deviceId);
    expect(stored).not.toBeNull();
    expect(g.device.credential).not.toContain(stored!);
  });

  it('the guest session lasts no longer than the session TTL nor than the appointment is kept', async () => {
    const { w, token } = await booked();
    const g = await redeem(w, token, device());
    expect(g.ttlSeconds).toBe(12 * 3600);
    expect(Date.parse(g.session.expiresAt)).toBe(w.clock.ms + 12 * 3600_000);
    w.clock.advance(12 * 3600_000);
    expect(await w.sessions.get(g.session.id)).toBeNull();
  });

  it('the same device coming back resumes the same participant, wherever the clinician put it', async () => {
    const { w, token, a, created } = await booked();
    const dev = device();
    const first = await redeem(w, token, dev);
    const again = await redeem(w, token, dev);
    expect(again.resumed).toBe(true);
    expect(again.participant.id).toBe(first.participant.id);
    expect(again.session.participantId).toBe(first.participant.id);
    expect(again.session.id).not.toBe(first.session.id);

    const clin = await clinicianSession(w, created);
    await w.consultations.enterWaitingRoom(first.participant.id, a);
    await w.consultations.admit(clin, a, first.participant.id);
    const third = await redeem(w, token, dev);
    expect(third).toMatchObject({ resumed: true, participant: { id: first.participant.id, state: 'admitted' } });
    expect((await w.stores.participants.listForAppointment(a)).filter((p) => p.role === 'patient')).toHaveLength(1);
  });

  it('a second device gets a new participant flagged linkReused and waiting; the first is untouched', async () => {
    const { w, token, a, created } = await booked();
    const first = await redeem(w, token, device('Mobile Safari on iOS'));
    const clin = await clinicianSession(w, created);
    await w.consultations.enterWaitingRoom(first.participant.id, a);
    await w.consultations.admit(clin, a, first.participant.id);
    const firstBefore = await w.stores.participants.get(first.participant.id);

    w.clock.advance(MINUTE);
    const second = await redeem(w, token, device('Chrome on Windows'));
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
    await redeem(w, token, device());
    const other = device('Chrome on Windows');
    const second = await redeem(w, token, other);
    const back = await redeem(w, token, other);
    expect(back.resumed).toBe(true);
    expect(back.participant.id).toBe(second.participant.id);
    expect(back.participant.linkReused).toBe(true);
    expect(await w.stores.participants.listForAppointment(a)).toHaveLength(2);
  });

  it('of 30 concurrent redemptions from different devices exactly one is the unflagged holder', async () => {
    const { w, token, a } = await booked();
    const devices = Array.from({ length: 30 }, (_, i) => device(`device ${i}`));
    const results = await Promise.all(devices.map((d) => redeem(w, token, d)));
    expect(results.filter((g) => !g.participant.linkReused)).toHaveLength(1);
    expect(results.every((g) => g.participant.state === 'waiting' && !g.resumed)).toBe(true);
    const stored = await w.stores.participants.listForAppointment(a);
    expect(stored).toHaveLength(30);
    expect(new Set(stored.map((p) => p.id)).size).toBe(30);
    expect(stored.filter((p) => !p.linkReused)).toHaveLength(1);
    expect(new Set(stored.map((p) => p.deviceId))).toEqual(new Set(results.map((g) => g.device.deviceId)));
  });

  it('the same device redeeming twice at once (a double tap, two tabs) ends up as one participant', async () => {
    const { w, token, a } = await booked();
    const dev = device();
    const { url } = await w.appointments.invite(a, { name: 'Fam', role: 'family' }, API_ACTOR);
    await redeem(w, tokenOf(url), dev); // the device has its cookie from an earlier visit
    const [x, y] = await Promise.all([w.sessions.redeemLink(token, dev), w.sessions.redeemLink(token, dev)]);
    expect(x.participant.id).toBe(y.participant.id);
    expect((await w.stores.participants.listForAppointment(a)).filter((p) => p.role === 'patient')).toHaveLength(1);
  });

  it('ten concurrent redemptions from one device new to a bound link make exactly one flagged participant', async () => {
    const { w, token, a } = await booked();
    const holder = await redeem(w, token, device());
    const intruder = device('Chrome on Windows');
    const { url } = await w.appointments.invite(a, { name: 'Fam', role: 'family' }, API_ACTOR);
    await redeem(w, tokenOf(url), intruder);
    const results = await Promise.all(Array.from({ length: 10 }, () => w.sessions.redeemLink(token, intruder)));
    expect(new Set(results.map((g) => g.participant.id)).size).toBe(1);
    expect(results.filter((g) => !g.resumed)).toHaveLength(1);
    const onLink = (await w.stores.participants.listForAppointment(a)).filter((p) => p.role === 'patient');
    expect(onLink.map((p) => [p.id, p.linkReused, p.state])).toEqual([
      [holder.participant.id, false, 'waiting'],
      [results[0]!.participant.id, true, 'waiting'],
    ]);
    expect((await w.stores.events.list(a)).filter((e) => e.type === 'link.reused')).toHaveLength(1);
  });

  it('two links of one appointment bind independently', async () => {
    const { w, token, a } = await booked();
    const { url } = await w.appointments.invite(a, { name: 'Interpreter Ines', role: 'interpreter' }, API_ACTOR);
    const patient = await redeem(w, token, device());
    const interp = await redeem(w, tokenOf(url), device());
    expect(patient.participant.linkReused).toBe(false);
    expect(interp.participant).toMatchObject({ role: 'interpreter', linkReused: false, state: 'waiting' });
  });
});

describe('redeemLink: refusals', () => {
  it('a revoked link is refused with LINK_REVOKED, for a new device and for the one it was bound to', async () => {
    const { w, token, a, created } = await booked();
    const dev = device();
    await redeem(w, token, dev);
    await w.appointments.revokeLink(a, created.patientLinkId, API_ACTOR);
    await expectCode(redeem(w, token, dev), 'LINK_REVOKED');
    await expectCode(redeem(w, token, device()), 'LINK_REVOKED');
  });

  it('an ended consultation refuses its links with CONSULTATION_ENDED', async () => {
    const { w, token, a, created } = await booked();
    const dev = device();
    await redeem(w, token, dev);
    await w.consultations.end(await clinicianSession(w, created), a);
    await expectCode(redeem(w, token, dev), 'CONSULTATION_ENDED');
    await expectCode(redeem(w, token, device()), 'CONSULTATION_ENDED');
  });

  it('a locked consultation refuses a new device but resumes one already there', async () => {
    const { w, token, a, created } = await booked();
    const dev = device();
    const first = await redeem(w, token, dev);
    await w.consultations.lock(await clinicianSession(w, created), a, true);
    await expectCode(redeem(w, token, device()), 'CONSULTATION_LOCKED');
    const back = await redeem(w, token, dev);
    expect(back).toMatchObject({ resumed: true, participant: { id: first.participant.id } });
    expect(await w.stores.participants.listForAppointment(a)).toHaveLength(1);
  });

  it('a locked consultation refuses the first device too, and lets it in once unlocked', async () => {
    const { w, token, a, created } = await booked();
    const clin = await clinicianSession(w, created);
    await w.consultations.lock(clin, a, true);
    const dev = device();
    await expectCode(redeem(w, token, dev), 'CONSULTATION_LOCKED');
    expect(await w.stores.participants.listForAppointment(a)).toHaveLength(0);
    await w.consultations.lock(clin, a, false);
    const g = await redeem(w, token, dev);
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
    await expectCode(redeem(w, token, dev), 'CONSULTATION_LOCKED');
    await w.consultations.lock(clin, a, false);
    const first = await redeem(w, token, dev);
    const again = await redeem(w, token, dev);
    expect(again.resumed).toBe(true);
    expect(again.participant.id).toBe(first.participant.id);
    expect((await w.stores.participants.listForAppointment(a)).filter((p) => p.role === 'patient')).toHaveLength(1);
  });

  it('a denied or removed device redeeming again is refused with FORBIDDEN', async () => {
    const { w, token, a, created } = await booked();
    const clin = await clinicianSession(w, created);
    const denied = device();
    const g1 = await redeem(w, token, denied);
    const removed = device('Chrome on Windows');
    const g2 = await redeem(w, token, removed); // on the link before the decision closes it
    await w.consultations.enterWaitingRoom(g1.participant.id, a);
    await w.consultations.deny(clin, a, g1.participant.id);
    await expectCode(redeem(w, token, denied), 'FORBIDDEN');

    await w.consultations.enterWaitingRoom(g2.participant.id, a);
    await w.consultations.admit(clin, a, g2.participant.id);
    await w.consultations.remove(clin, a, g2.participant.id);
    await expectCode(redeem(w, token, removed), 'FORBIDDEN');
  });

  it('a token for a link that does not exist here, or whose appointment it does not name, is TOKEN_INVALID', async () => {
    const { w, created } = await booked();
    const foreign = w.tokens.signLink({ linkId: randomId(), appointmentId: created.appointment.id, role: 'patient', notBefore: 0, expiresAt: Math.floor(w.clock.ms / 1000) + 3600 });
    await expectCode(redeem(w, foreign, device()), 'TOKEN_INVALID');
    const mismatched = w.tokens.signLink({ linkId: created.patientLinkId, appointmentId: randomId(), role: 'patient', notBefore: 0, expiresAt: Math.floor(w.clock.ms / 1000) + 3600 });
    await expectCode(redeem(w, mismatched, device()), 'TOKEN_INVALID');
  });

  it('a link is refused before it opens (APPOINTMENT_NOT_OPEN) and after it expires (TOKEN_EXPIRED)', async () => {
    const w = makeWorld();
    const later = await book(w, { startsAt: new Date(w.clock.ms + 3 * 60 * MINUTE).toISOString(), durationMinutes: 30 });
    const token = tokenOf(later.patientUrl);
    await expectCode(redeem(w, token, device()), 'APPOINTMENT_NOT_OPEN');
    w.clock.advance(2 * 60 * MINUTE + MINUTE); // inside the 60-minute join-early window
    expect((await redeem(w, token, device())).participant.state).toBe('waiting');
    w.clock.advance(60 * MINUTE + 30 * MINUTE + 60 * MINUTE); // past start + duration + grace
    await expectCode(redeem(w, token, device()), 'TOKEN_EXPIRED');
  });

  it('a clinician console token is not a link', async () => {
    const { w, created } = await booked();
    await expectCode(redeem(w, tokenOf(created.clinicianUrl), device()), 'TOKEN_INVALID');
  });

  it('each refusal records token.rejected with outcome refused and the reason code', async () => {
    const { w, token, a, created } = await booked();
    const clin = await clinicianSession(w, created);
    const cases: [ErrorCode, () => Promise<unknown>][] = [];
    cases.push(['TOKEN_INVALID', () => redeem(w, 'garbage', device())]);
    cases.push(['TOKEN_INVALID', () => w.sessions.redeemTicket(token, device(), null)]);
    const first = device();
    await redeem(w, token, first);
    cases.push(['CONSULTATION_LOCKED', async () => {
      await w.consultations.lock(clin, a, true);
      try {
        return await redeem(w, token, device());
      } finally {
        await w.consultations.lock(clin, a, false);
      }
    }]);
    cases.push(['LINK_REVOKED', async () => {
      const { link, url } = await w.appointments.invite(a, { name: 'Fam', role: 'family' }, API_ACTOR);
      await w.appointments.revokeLink(a, link.id, API_ACTOR);
      return redeem(w, tokenOf(url), device());
    }]);
    cases.push(['CONSULTATION_ENDED', async () => {
      await w.consultations.end(clin, a);
      return redeem(w, token, first);
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
    await expectCode(redeem(w, tokenOf(later.patientUrl), device()), 'APPOINTMENT_NOT_OPEN');
    w.clock.advance(24 * 60 * MINUTE);
    await expectCode(redeem(w, tokenOf(later.patientUrl), device()), 'TOKEN_EXPIRED');
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
    const g = await redeem(w, token, dev);
    await w.consultations.enterWaitingRoom(g.participant.id, a);
    await w.consultations.deny(await clinicianSession(w, created), a, g.participant.id);
    await expectCode(redeem(w, token, dev), 'FORBIDDEN');
    expect((await rejections(w)).at(-1)).toMatchObject({ type: 'token.rejected', outcome: 'refused', reason: 'FORBIDDEN', appointmentId: a });
  });

  it('the audit trail never holds the patient name, any guest name or any token', async () => {
    const { w, token, a, created } = await booked();
    const clin = await clinicianSession(w, created);
    const { url } = await w.appointments.invite(a, { name: 'Ingrid Interpreter-Vasquez', role: 'interpreter' }, API_ACTOR);
    const first = device();
    const g = await redeem(w, token, first);
    await redeem(w, token, device());
    await redeem(w, tokenOf(url), device());
    await w.consultations.enterWaitingRoom(g.participant.id, a);
    await w.consultations.admit(clin, a, g.participant.id);
    await w.consultations.lock(clin, a, true);
    await expectCode(redeem(w, token, device()), 'CONSULTATION_LOCKED');
    await expectCode(redeem(w, `${token}x`, device()), 'TOKEN_INVALID');
    await w.consultations.end(clin, a);
    await expectCode(redeem(w, token, first), 'CONSULTATION_ENDED');

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

describe('console tickets', () => {
  const ticketEvents = async (w: World) => (await w.stores.events.list()).filter((e) => ['token.rejected', 'access.refused', 'ticket.redeemed', 'auth.signed_in'].includes(e.type));

  it('a ticket starts a staff session with the clinician role and the timeouts, under a cookie that is not its id', async () => {
    const { w } = await booked();
    const dev = device('Firefox on Linux');
    const c = await w.sessions.redeemTicket(ticketFor(w), dev, null);
    expect(c.session).toMatchObject({
      kind: 'clinician',
      clinicianId: 'gp-1',
      clinicianName: 'Dr Asha Patel',
      deviceId: c.device.deviceId,
      roles: ['clinician'],
      clinics: [],
      via: 'ticket',
      idleSeconds: 30 * 60,
      device: 'Firefox on Linux',
      createdAt: w.clock.now().toISOString(),
      lastSeenAt: w.clock.now().toISOString(),
      expiresAt: new Date(w.clock.ms + 12 * 3600_000).toISOString(),
    });
    expect(c.ttlSeconds).toBe(12 * 3600);
    expect(c.device).toMatchObject({ issued: true });
    expect(c.cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await w.sessions.get(c.cookie)).toEqual(c.session);
    // The stored id (which the audit trail and the admin API show) opens nothing.
    expect(await w.sessions.get(c.session.id)).toBeNull();
    const events = await ticketEvents(w);
    expect(events.map((e) => [e.type, e.subject, e.actor.id])).toEqual([
      ['auth.signed_in', c.session.id, 'gp-1'],
      ['ticket.redeemed', c.session.id, 'gp-1'],
    ]);
    expect(JSON.stringify(await w.stores.events.list())).not.toContain(c.cookie);
  });

  it("a ticket session carries the clinician's clinic memberships", async () => {
    const { w } = await booked();
    await w.clinics.create({ id: 'derm-north' as ClinicId, name: 'Dermatology' }, API_ACTOR);
    await w.clinics.setMember('derm-north' as ClinicId, 'gp-1', ['clinician', 'clinic-admin'], API_ACTOR);
    const c = await w.sessions.redeemTicket(ticketFor(w), device(), null);
    expect(c.session.clinics).toEqual([{ clinicId: 'derm-north', roles: ['clinician', 'clinic-admin'] }]);
  });

  it('a ticket is single use: the second time it is TICKET_USED, recorded', async () => {
    const { w } = await booked();
    const ticket = ticketFor(w);
    await w.sessions.redeemTicket(ticket, device(), null);
    await expectCode(w.sessions.redeemTicket(ticket, device(), null), 'TICKET_USED');
    // Still used after its lifetime too (then it is expired first).
    w.clock.advance(6 * MINUTE);
    await expectCode(w.sessions.redeemTicket(ticket, device(), null), 'TICKET_EXPIRED');
    expect((await rejections(w)).map((e) => e.reason)).toEqual(['TICKET_USED', 'TICKET_EXPIRED']);
  });

  it('of ten concurrent uses of one ticket exactly one starts a session', async () => {
    const { w } = await booked();
    const ticket = ticketFor(w);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => w.sessions.redeemTicket(ticket, device(), null)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await rejections(w)).map((e) => e.reason)).toEqual(Array(9).fill('TICKET_USED'));
  });

  it('a ticket past its lifetime is TICKET_EXPIRED; so is an hours-long console link from before tickets', async () => {
    const { w } = await booked();
    const ticket = ticketFor(w);
    w.clock.advance(5 * MINUTE + 6_000);
    await expectCode(w.sessions.redeemTicket(ticket, device(), null), 'TICKET_EXPIRED');
    const old = makeWorld({ policy: { clinicianTokenTtlMinutes: 720 }, staff: { ticketTtlMinutes: 5 } });
    await expectCode(old.sessions.redeemTicket(ticketFor(old), device(), null), 'TICKET_EXPIRED');
    expect((await rejections(w)).map((e) => e.reason)).toEqual(['TICKET_EXPIRED']);
  });

  it("a guest link's token is not a ticket", async () => {
    const { w, token } = await booked();
    await expectCode(w.sessions.redeemTicket(token, device(), null), 'TOKEN_INVALID');
  });

  it('the same person signed in on this browser keeps their session (no new one, no new cookie)', async () => {
    const { w } = await booked();
    const first = await w.sessions.redeemTicket(ticketFor(w), device(), null);
    const again = await w.sessions.redeemTicket(ticketFor(w), device(), first.session);
    expect(again.session.id).toBe(first.session.id);
    expect(again.cookie).toBeUndefined();
    expect(await w.sessions.listForUser('gp-1')).toHaveLength(1);
  });

  describe('with sign-in required (OpenID Connect on)', () => {
    const signInWorld = () => makeWorld({ staff: { requireSignIn: true } });

    it('without a session: SIGN_IN_REQUIRED, and the ticket stays unused for after sign-in', async () => {
      const w = signInWorld();
      const ticket = ticketFor(w);
      await expectCode(w.sessions.redeemTicket(ticket, device(), null), 'SIGN_IN_REQUIRED');
      expect(await w.stores.sessions.listForUser('gp-1')).toEqual([]);
      const signedIn = await staffSession(w);
      const c = await w.sessions.redeemTicket(ticket, device(), signedIn);
      expect(c.session).toEqual(signedIn);
      expect(c.cookie).toBeUndefined();
      expect(await w.sessions.listForUser('gp-1')).toHaveLength(1);
      await expectCode(w.sessions.redeemTicket(ticket, device(), signedIn), 'TICKET_USED');
    });

    it('signed in as someone else: TICKET_OTHER_USER, recorded as access.refused, ticket unused', async () => {
      const w = signInWorld();
      const ticket = ticketFor(w);
      const other = await staffSession(w, { userId: 'gp-2', name: 'Dr Other' });
      await expectCode(w.sessions.redeemTicket(ticket, device(), other), 'TICKET_OTHER_USER');
      const refused = (await w.stores.events.list()).filter((e) => e.type === 'access.refused');
      expect(refused).toEqual([expect.objectContaining({ outcome: 'refused', reason: 'TICKET_OTHER_USER', actor: { role: 'staff', id: 'gp-2' } })]);
      expect((await w.sessions.redeemTicket(ticket, device(), await staffSession(w))).session.clinicianId).toBe('gp-1');
    });
  });
});

describe('staff session timeouts', () => {
  it('unused for the idle time, a session ends: session.expired (SESSION_IDLE) once, and sessionEnded for its sockets', async () => {
    const w = makeWorld();
    const ended: string[] = [];
    w.bus.on('sessionEnded', (id) => ended.push(id));
    const c = await w.sessions.startStaff({ userId: 'gp-1', name: 'x', roles: ['clinician'], clinics: [] }, device(), 'oidc');
    w.clock.advance(30 * MINUTE - 1000);
    expect(await w.sessions.get(c.cookie)).not.toBeNull();
    w.clock.advance(1000);
    expect(await w.sessions.get(c.cookie)).toBeNull();
    expect(await w.sessions.get(c.cookie)).toBeNull();
    expect(ended).toEqual([c.session.id]);
    const expired = (await w.stores.events.list()).filter((e) => e.type === 'session.expired');
    expect(expired).toEqual([expect.objectContaining({ subject: c.session.id, reason: 'SESSION_IDLE', actor: { role: 'staff', id: 'gp-1' } })]);
    expect(await w.stores.sessions.get(c.session.id)).toBeNull();
  });

  it('use keeps it alive: each touch starts the idle time again', async () => {
    const w = makeWorld();
    const c = await w.sessions.startStaff({ userId: 'gp-1', name: 'x', roles: ['clinician'], clinics: [] }, device(), 'oidc');
    for (let i = 0; i < 6; i++) {
      w.clock.advance(20 * MINUTE);
      const s = await w.sessions.get(c.cookie);
      expect(s, `after ${(i + 1) * 20} minutes of use`).not.toBeNull();
      await w.sessions.touch(s as StaffSession);
    }
    w.clock.advance(30 * MINUTE);
    expect(await w.sessions.get(c.cookie)).toBeNull();
  });

  it('a touch is noted at most once per 30 seconds', async () => {
    const w = makeWorld();
    const c = await w.sessions.startStaff({ userId: 'gp-1', name: 'x', roles: ['clinician'], clinics: [] }, device(), 'oidc');
    const t0 = c.session.lastSeenAt;
    w.clock.advance(29_000);
    await w.sessions.touch((await w.sessions.get(c.cookie)) as StaffSession);
    expect(((await w.stores.sessions.get(c.session.id)) as StaffSession).lastSeenAt).toBe(t0);
    w.clock.advance(1000);
    await w.sessions.touch((await w.sessions.get(c.cookie)) as StaffSession);
    expect(((await w.stores.sessions.get(c.session.id)) as StaffSession).lastSeenAt).toBe(w.clock.now().toISOString());
  });

  it('however busy, a session ends at its absolute end (SESSION_ABSOLUTE)', async () => {
    const w = makeWorld({ staff: { absoluteHours: 1 } });
    const c = await w.sessions.startStaff({ userId: 'gp-1', name: 'x', roles: ['clinician'], clinics: [] }, device(), 'oidc');
    for (let i = 0; i < 5; i++) {
      w.clock.advance(10 * MINUTE);
      await w.sessions.touch((await w.sessions.get(c.cookie)) as StaffSession);
    }
    w.clock.advance(10 * MINUTE - 1000);
    expect(await w.sessions.get(c.cookie)).not.toBeNull();
    w.clock.advance(1000);
    expect(await w.sessions.get(c.cookie)).toBeNull();
    expect((await w.stores.events.list()).filter((e) => e.type === 'session.expired').map((e) => e.reason)).toEqual(['SESSION_ABSOLUTE']);
  });

  it('a stored staff session from before roles were kept counts as ended', async () => {
    const w = makeWorld();
    const { cookie, id } = newStaffCookie();
    const legacy = { id, kind: 'clinician', clinicianId: 'gp-1', clinicianName: 'x', deviceId: randomId<DeviceId>(), expiresAt: new Date(w.clock.ms + 3600_000).toISOString() };
    await w.stores.sessions.create(legacy as unknown as StaffSession, 3600);
    expect(await w.sessions.get(cookie)).toBeNull();
    expect((await w.stores.events.list()).filter((e) => e.type === 'session.expired').map((e) => e.reason)).toEqual(['SESSION_OUTDATED']);
  });

  it('listForUser leaves out (and ends) sessions past their end', async () => {
    const w = makeWorld();
    const old = await staffSession(w);
    w.clock.advance(20 * MINUTE);
    const fresh = await staffSession(w);
    expect((await w.sessions.listForUser('gp-1')).map((s) => s.id)).toEqual([old.id, fresh.id]);
    w.clock.advance(15 * MINUTE);
    expect((await w.sessions.listForUser('gp-1')).map((s) => s.id)).toEqual([fresh.id]);
  });
});

describe('signing out and revoking staff sessions', () => {
  const principal = (userId = 'gp-1') => ({ userId, name: 'x', roles: ['clinician' as const], clinics: [] });

  it('signOut ends the session of the cookie presented: audited, sockets told, cookie dead', async () => {
    const w = makeWorld();
    const ended: string[] = [];
    w.bus.on('sessionEnded', (id) => ended.push(id));
    const c = await w.sessions.startStaff(principal(), { device: 'x', address: '192.0.2.7' }, 'oidc');
    // A stored id is not a cookie: it signs nobody out.
    expect(await w.sessions.signOut(c.session.id)).toBeNull();
    expect(await w.sessions.signOut(c.cookie)).toMatchObject({ id: c.session.id });
    expect(await w.sessions.get(c.cookie)).toBeNull();
    expect(await w.sessions.signOut(c.cookie)).toBeNull();
    expect(ended).toEqual([c.session.id]);
    const out = (await w.stores.events.list()).filter((e) => e.type === 'auth.signed_out');
    expect(out).toEqual([expect.objectContaining({ subject: c.session.id, actor: { role: 'staff', id: 'gp-1' } })]);
  });

  it('revoke ends a session by its stored id: audited with who did it, sockets told', async () => {
    const w = makeWorld();
    const ended: string[] = [];
    w.bus.on('sessionEnded', (id) => ended.push(id));
    const c = await w.sessions.startStaff(principal(), device(), 'oidc');
    expect(await w.sessions.revoke(c.session.id, API_ACTOR)).toBe(true);
    expect(await w.sessions.get(c.cookie)).toBeNull();
    expect(await w.sessions.revoke(c.session.id, API_ACTOR)).toBe(false);
    expect(await w.sessions.revoke('not an id', API_ACTOR)).toBe(false);
    expect(ended).toEqual([c.session.id]);
    const revoked = (await w.stores.events.list()).filter((e) => e.type === 'session.revoked');
    expect(revoked).toEqual([expect.objectContaining({ subject: c.session.id, actor: API_ACTOR })]);
  });

  it("a guest session's id cannot be revoked as a staff one, nor a staff one ended by its id", async () => {
    const { w, token } = await booked();
    const g = await redeem(w, token, device());
    expect(await w.sessions.revoke(g.session.id, API_ACTOR)).toBe(false);
    const c = await w.sessions.startStaff(principal(), device(), 'oidc');
    await w.sessions.end(c.session.id);
    expect(await w.sessions.get(c.cookie)).not.toBeNull();
    await w.sessions.end(c.cookie);
    expect(await w.sessions.get(c.cookie)).toBeNull();
  });

  it('revokeUser ends every session of one person and no one else', async () => {
    const w = makeWorld();
    const ended: string[] = [];
    w.bus.on('sessionEnded', (id) => ended.push(id));
    const a1 = await w.sessions.startStaff(principal(), device(), 'oidc');
    const a2 = await w.sessions.startStaff(principal(), device(), 'ticket');
    const b = await w.sessions.startStaff(principal('gp-2'), device(), 'oidc');
    expect(await w.sessions.revokeUser('gp-1', API_ACTOR)).toBe(2);
    expect(await w.sessions.listForUser('gp-1')).toEqual([]);
    expect((await w.sessions.listForUser('gp-2')).map((s) => s.id)).toEqual([b.session.id]);
    expect(ended.sort()).toEqual([a1.session.id, a2.session.id].sort());
    expect(await w.sessions.revokeUser('gp-1', API_ACTOR)).toBe(0);
    expect((await w.stores.events.list()).filter((e) => e.type === 'session.revoked')).toHaveLength(2);
  });
});

describe('guest sessions', () => {
  it('get() is null for unknown, malformed, ended and expired sessions', async () => {
    const { w, token } = await booked();
    const g = await redeem(w, token, device());
    expect(await w.sessions.get(undefined)).toBeNull();
    expect(await w.sessions.get('')).toBeNull();
    expect(await w.sessions.get('../../etc/passwd')).toBeNull();
    expect(await w.sessions.get(randomId<SessionId>())).toBeNull();
    expect(await w.sessions.get(g.session.id)).not.toBeNull();
    await w.sessions.end(g.session.id);
    expect(await w.sessions.get(g.session.id)).toBeNull();
    const g2 = await redeem(w, token, { credential: g.device.credential, device: 'x' });
    w.clock.advance(g2.ttlSeconds * 1000);
    expect(await w.sessions.get(g2.session.id)).toBeNull();
    await w.sessions.end('not valid');
  });
});

describe('device identity: issued by the server, never taken from the client', () => {
  it('a device presenting its credential is the same device; the credential is not reissued', async () => {
    const { w, token } = await booked();
    const dev = device();
    const first = await redeem(w, token, dev);
    const again = await redeem(w, token, dev);
    expect(again.device).toEqual({ ...first.device, issued: false });
    expect(again).toMatchObject({ resumed: true, participant: { id: first.participant.id } });
  });

  it('a missing, malformed, made-up or forged credential gets a new device, never the one it names', async () => {
    const { w, token, a, created } = await booked();
    const patient = device();
    const g = await redeem(w, token, patient);
    await w.consultations.enterWaitingRoom(g.participant.id, a);
    await w.consultations.admit(await clinicianSession(w, created), a, g.participant.id);

    const secretOf = (c: string) => c.split('.')[1]!;
    const planted = [
      g.device.deviceId, // the bare id, as the old cookie carried it
      `${g.device.deviceId}.${'A'.repeat(43)}`, // the id with a guessed secret
      `${g.device.deviceId}.${secretOf(g.device.credential).slice(0, 42)}B`,
      `${randomId<DeviceId>()}.${secretOf(g.device.credential)}`, // the secret under another id
      `${g.device.credential}x`,
      'garbage',
      '',
    ];
    for (const credential of planted) {
      const intruder = await w.sessions.redeemLink(token, { device: 'Chrome on Windows', credential });
      expect(intruder.device.issued).toBe(true);
      expect(intruder.device.deviceId).not.toBe(g.device.deviceId);
      expect(intruder.device.credential).not.toBe(credential);
      expect(intruder).toMatchObject({ resumed: false, participant: { state: 'waiting', linkReused: true } });
      expect(intruder.participant.id).not.toBe(g.participant.id);
    }
    expect((await w.stores.participants.get(g.participant.id))?.state).toBe('admitted');
  });

  it('a refused redemption stores no device (only a session does)', async () => {
    const { w, token, a, created } = await booked();
    const puts: string[] = [];
    const putDevice = w.stores.sessions.putDevice.bind(w.stores.sessions);
    w.stores.sessions.putDevice = (id, hash, ttl) => (puts.push(id), putDevice(id, hash, ttl));
    await expectCode(w.sessions.redeemLink('garbage', device()), 'TOKEN_INVALID');
    await w.consultations.lock(await clinicianSession(w, created), a, true);
    expect(puts).toHaveLength(1); // the clinician's console session
    await expectCode(w.sessions.redeemLink(token, device()), 'CONSULTATION_LOCKED');
    expect(puts).toHaveLength(1);
  });
});

describe('decisions last: denying or removing closes the link to new devices', () => {
  async function denied(decision: 'deny' | 'remove') {
    const b = await booked();
    const clin = await clinicianSession(b.w, b.created);
    const holder = device();
    const g = await redeem(b.w, b.token, holder);
    await b.w.consultations.enterWaitingRoom(g.participant.id, b.a);
    if (decision === 'remove') await b.w.consultations.admit(clin, b.a, g.participant.id);
    await b.w.consultations[decision](clin, b.a, g.participant.id);
    return { ...b, clin, holder, g };
  }

  for (const decision of ['deny', 'remove'] as const) {
    it(`after ${decision}, every new device is refused with LINK_CLOSED and recorded; the decided device stays FORBIDDEN`, async () => {
      const { w, token, a, holder, created } = await denied(decision);
      const link = await w.stores.links.get(created.patientLinkId);
      expect(link).toMatchObject({ closedBy: decision === 'deny' ? 'denied' : 'removed' });
      const before = (await w.stores.participants.listForAppointment(a)).length;
      for (let i = 0; i < 5; i++) {
        const e = await expectCode(w.sessions.redeemLink(token, device(`new device ${i}`)), 'LINK_CLOSED');
        expect(e.status).toBe(410);
        expect(e.message).toBe('The clinician has closed this link. Please ask the clinic for a new one.');
      }
      await expectCode(w.sessions.redeemLink(token, holder), 'FORBIDDEN');
      expect(await w.stores.participants.listForAppointment(a)).toHaveLength(before);
      expect((await rejections(w)).filter((e) => e.reason === 'LINK_CLOSED' && e.subject === created.patientLinkId)).toHaveLength(5);
    });
  }

  it('a device already on the link still comes back to its own place; other links of the appointment are untouched', async () => {
    const { w, token, a, created, clin } = await booked().then(async (b) => ({ ...b, clin: await clinicianSession(b.w, b.created) }));
    const patient = device();
    const p = await redeem(w, token, patient);
    const intruder = device('Chrome on Windows');
    const i = await redeem(w, token, intruder);
    await w.consultations.enterWaitingRoom(i.participant.id, a);
    await w.consultations.deny(clin, a, i.participant.id); // the flagged intruder is turned away
    expect((await w.stores.links.get(created.patientLinkId))?.closedBy).toBe('denied');
    expect(await redeem(w, token, patient)).toMatchObject({ resumed: true, participant: { id: p.participant.id, state: 'waiting' } });
    await expectCode(w.sessions.redeemLink(token, intruder), 'FORBIDDEN');
    await expectCode(w.sessions.redeemLink(token, device()), 'LINK_CLOSED');
    const { url } = await w.appointments.invite(a, { name: 'Fam', role: 'family' }, API_ACTOR);
    expect((await redeem(w, tokenOf(url), device())).participant.state).toBe('waiting');
  });

  it('admitting and sending back do not close the link', async () => {
    const { w, token, a, created } = await booked();
    const clin = await clinicianSession(w, created);
    const g = await redeem(w, token, device());
    await w.consultations.enterWaitingRoom(g.participant.id, a);
    await w.consultations.admit(clin, a, g.participant.id);
    await w.consultations.sendBack(clin, a, g.participant.id);
    expect((await w.stores.links.get(created.patientLinkId))?.closedBy).toBeUndefined();
    expect((await redeem(w, token, device())).participant).toMatchObject({ state: 'waiting', linkReused: true });
  });
});

describe('ending a session', () => {
  it('end() deletes the session and emits sessionEnded with its id, so transports drop its sockets', async () => {
    const { w, token } = await booked();
    const g = await redeem(w, token, device());
    const ended: string[] = [];
    w.bus.on('sessionEnded', (id) => ended.push(id));
    await w.sessions.end(g.session.id);
    expect(ended).toEqual([g.session.id]);
    expect(await w.sessions.get(g.session.id)).toBeNull();
    await w.sessions.end(undefined);
    await w.sessions.end('not a session id');
    expect(ended).toEqual([g.session.id]);
  });
});

describe('opening a consultation takes the clinician role, trust-wide or in its clinic', () => {
  const DERM = 'derm-north' as ClinicId;
  const ENT = 'ent-south' as ClinicId;

  async function clinicAppointment() {
    const w = makeWorld();
    for (const id of [DERM, ENT]) await w.clinics.create({ id, name: id }, API_ACTOR);
    const created = await w.appointments.create(
      { clinician: { id: 'gp-1', name: 'Dr Asha Patel' }, patient: { name: PATIENT_NAME }, startsAt: w.clock.now().toISOString(), durationMinutes: 30, clinicId: DERM },
      API_ACTOR,
    );
    return { w, a: created.appointment.id };
  }

  it('a clinician trust-wide, or in the appointment\'s clinic, opens it', async () => {
    const { w, a } = await clinicAppointment();
    expect((await w.consultations.clinicianJoin(await staffSession(w), a, 'x')).role).toBe('clinician');
    expect((await w.consultations.clinicianJoin(await staffSession(w, { roles: [], clinics: [{ clinicId: DERM, roles: ['clinician'] }] }), a, 'x')).role).toBe('clinician');
  });

  it('the same person as coordinator or admin only, or a clinician of another clinic, is NOT_PERMITTED, recorded as access.refused', async () => {
    const { w, a } = await clinicAppointment();
    const sessions = [
      await staffSession(w, { roles: ['clinic-coordinator'] }),
      await staffSession(w, { roles: ['trust-admin'] }),
      await staffSession(w, { roles: [], clinics: [{ clinicId: DERM, roles: ['clinic-coordinator', 'clinic-admin'] }] }),
      await staffSession(w, { roles: [], clinics: [{ clinicId: ENT, roles: ['clinician'] }] }),
    ];
    for (const s of sessions) await expectCode(w.consultations.clinicianJoin(s, a, 'x', '192.0.2.1'), 'NOT_PERMITTED');
    const refused = (await w.stores.events.list()).filter((e) => e.type === 'access.refused');
    expect(refused.map((e) => [e.appointmentId, e.reason, e.subject, e.actor.id])).toEqual(sessions.map((s) => [a, 'NOT_PERMITTED', s.id, 'gp-1']));
    expect(await w.consultations.participants(a)).toEqual([]);
  });

  it("another clinician's appointment stays FORBIDDEN, and is recorded too", async () => {
    const { w, a } = await clinicAppointment();
    const other = await staffSession(w, { userId: 'gp-2' });
    await expectCode(w.consultations.clinicianJoin(other, a, 'x'), 'FORBIDDEN');
    expect((await w.stores.events.list()).filter((e) => e.type === 'access.refused').map((e) => e.reason)).toEqual(['FORBIDDEN']);
  });
});
