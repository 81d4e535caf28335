// AppointmentService: what a booking system asks for, and what the links it
// gets back carry (the token in the fragment only, never a name).
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { randomId, type AppointmentId, type ClinicId, type LinkId } from '../../../server/core/ids.ts';
import type { Appointment } from '../../../server/domain/model.ts';
import { API_ACTOR, book, Clock, clinicianSession, CLINICIAN, device, expectCode, makeWorld, MINUTE, PATIENT_NAME, POLICY, PUBLIC_URL, tokenOf } from './harness.ts';

const HOUR = 60 * MINUTE;

describe('create', () => {
  it('stores a scheduled, unlocked appointment and issues the patient link', async () => {
    const w = makeWorld();
    const created = await book(w, { startsAt: '2030-03-04T12:00:00+01:00', durationMinutes: 20 });
    expect(created.appointment).toMatchObject({
      clinician: CLINICIAN,
      patientName: PATIENT_NAME,
      startsAt: new Date(w.clock.ms + 2 * HOUR).toISOString(),
      durationMinutes: 20,
      createdAt: w.clock.now().toISOString(),
      status: 'scheduled',
      locked: false,
    });
    expect(created.appointment.startsAt).toBe('2030-03-04T11:00:00.000Z');
    expect(await w.appointments.get(created.appointment.id)).toEqual(created.appointment);
    const link = await w.stores.links.get(created.patientLinkId);
    expect(link).toMatchObject({ appointmentId: created.appointment.id, role: 'patient', name: PATIENT_NAME, revoked: false });
    expect((await w.stores.events.list(created.appointment.id)).map((e) => [e.type, e.actor])).toEqual([
      ['appointment.created', API_ACTOR],
      ['link.issued', API_ACTOR],
    ]);
  });

  it('rejects an appointment that would already be over, and stores nothing', async () => {
    const w = makeWorld();
    const e = await expectCode(book(w, { startsAt: new Date(w.clock.ms - 31 * MINUTE).toISOString(), durationMinutes: 30 }), 'BAD_REQUEST');
    expect(e.details).toEqual([{ key: 'body.startsAt', problem: 'in the past' }]);
    expect(e.status).toBe(400);
    expect(await w.stores.events.list()).toEqual([]);
    expect(await w.appointments.listForClinician(CLINICIAN.id, w.clock.now())).toEqual([]);
  });

  it('accepts an appointment that started but is still running', async () => {
    const w = makeWorld();
    const created = await book(w, { startsAt: new Date(w.clock.ms - 29 * MINUTE).toISOString(), durationMinutes: 30 });
    expect(created.appointment.status).toBe('scheduled');
    expect((await w.sessions.redeemLink(tokenOf(created.patientUrl), device())).participant.state).toBe('waiting');
  });

  it('rejects a startsAt that is not a date', async () => {
    const w = makeWorld();
    for (const startsAt of ['', 'tomorrow', 'not-a-date', '2030-13-45T99:00:00Z', 'NaN']) {
      const e = await expectCode(book(w, { startsAt }), 'BAD_REQUEST');
      expect(e.details).toEqual([{ key: 'body.startsAt', problem: 'not a date-time' }]);
    }
    expect(await w.stores.events.list()).toEqual([]);
  });

  it('gives every appointment and link its own 128-bit id', async () => {
    const w = makeWorld();
    const a = await book(w);
    const b = await book(w);
    for (const id of [a.appointment.id, b.appointment.id, a.patientLinkId, b.patientLinkId]) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set([a.appointment.id, b.appointment.id, a.patientLinkId, b.patientLinkId]).size).toBe(4);
  });
});

describe('URLs', () => {
  it('carry the patient token in the fragment, never in a query string, path or as a name', async () => {
    const w = makeWorld();
    const created = await book(w);
    const url = new URL(created.patientUrl);
    expect(created.patientUrl.startsWith(`${PUBLIC_URL}/join#t=`)).toBe(true);
    expect(url.search).toBe('');
    expect(url.pathname).toBe('/join');
    expect(created.patientUrl.split('#')[0]).not.toContain('t=');
    const token = tokenOf(created.patientUrl);
    expect(url.hash).toBe(`#t=${token}`);
    expect(w.tokens.verifyLink(token)).toMatchObject({ linkId: created.patientLinkId, appointmentId: created.appointment.id, role: 'patient' });
    expect(decodeURIComponent(created.patientUrl)).not.toContain('Zebedee');
    expect(JSON.stringify(jwt.decode(token))).not.toContain('Zebedee');
  });

  it('the console URL carries the clinician token and the appointment in the fragment', async () => {
    const w = makeWorld();
    const created = await book(w);
    const url = new URL(created.clinicianUrl);
    expect(created.clinicianUrl.startsWith(`${PUBLIC_URL}/console#t=`)).toBe(true);
    expect(url.search).toBe('');
    expect(url.hash).toMatch(new RegExp(`^#t=[^&]+&a=${created.appointment.id}$`));
    expect(w.tokens.verifyClinician(tokenOf(created.clinicianUrl))).toMatchObject({ clinicianId: CLINICIAN.id, name: CLINICIAN.name });
    expect(decodeURIComponent(created.clinicianUrl)).not.toContain('Zebedee');
  });

  it('a console URL without an appointment has no a= part and expires after the policy TTL', async () => {
    const w = makeWorld();
    const url = w.appointments.clinicianUrl(CLINICIAN);
    expect(new URL(url).hash).not.toContain('&a=');
    const grant = w.tokens.verifyClinician(tokenOf(url));
    expect(grant.expiresAt).toBe(Math.floor(w.clock.ms / 1000) + POLICY.clinicianTokenTtlMinutes * 60);
  });

  it('a link opens joinEarlyMinutes before the start and closes graceMinutes after the end (the stored window); its token carries only the outer bound', async () => {
    const w = makeWorld();
    const start = w.clock.ms + 5 * HOUR;
    const created = await book(w, { startsAt: new Date(start).toISOString(), durationMinutes: 45 });
    const token = tokenOf(created.patientUrl);
    const close = start + 45 * MINUTE + POLICY.graceMinutes * MINUTE;
    const g = w.tokens.verifyLink(token);
    expect(g.notBefore).toBeUndefined();
    expect(g.expiresAt * 1000).toBe(close + POLICY.retentionHours * HOUR);
    const link = await w.stores.links.get(created.patientLinkId);
    expect(Date.parse(link!.expiresAt)).toBe(g.expiresAt * 1000);

    const early = await expectCode(w.sessions.redeemLink(token, device()), 'APPOINTMENT_NOT_OPEN');
    expect(early.details).toEqual([{ key: 'opensAt', problem: new Date(start - POLICY.joinEarlyMinutes * MINUTE).toISOString() }]);
    w.clock.ms = start - POLICY.joinEarlyMinutes * MINUTE;
    expect((await w.sessions.redeemLink(token, device())).participant.state).toBe('waiting');
    w.clock.ms = close;
    expect((await w.sessions.redeemLink(token, device())).resumed).toBe(false);
    w.clock.ms = close + 1000;
    await expectCode(w.sessions.redeemLink(token, device()), 'TOKEN_EXPIRED');
    w.clock.ms = g.expiresAt * 1000 + 10_000;
    await expectCode(() => w.tokens.verifyLink(token), 'TOKEN_EXPIRED');
  });
});

describe('invite', () => {
  it('issues a link with the role and name asked for', async () => {
    const w = makeWorld();
    const created = await book(w);
    const a = created.appointment.id;
    for (const role of ['interpreter', 'family', 'carer', 'other'] as const) {
      const { link, url } = await w.appointments.invite(a, { name: `The ${role}`, role }, API_ACTOR);
      expect(link).toMatchObject({ appointmentId: a, role, name: `The ${role}`, revoked: false });
      expect(url.startsWith(`${PUBLIC_URL}/join#t=`)).toBe(true);
      expect(new URL(url).search).toBe('');
      expect(w.tokens.verifyLink(tokenOf(url))).toMatchObject({ linkId: link.id, appointmentId: a, role });
      const g = await w.sessions.redeemLink(tokenOf(url), device());
      expect(g.participant).toMatchObject({ role, name: `The ${role}`, linkReused: false });
    }
    const links = await w.stores.links.listForAppointment(a);
    expect(links.map((l) => l.role)).toEqual(['patient', 'interpreter', 'family', 'carer', 'other']);
    const issued = (await w.stores.events.list(a)).filter((e) => e.type === 'link.issued');
    expect(issued.map((e) => e.subject)).toEqual(links.map((l) => l.id));
  });

  it('refuses unknown and ended appointments', async () => {
    const w = makeWorld();
    await expectCode(w.appointments.invite(randomId<AppointmentId>(), { name: 'X', role: 'carer' }, API_ACTOR), 'NOT_FOUND');
    const created = await book(w);
    await w.consultations.end(await clinicianSession(w, created), created.appointment.id);
    await expectCode(w.appointments.invite(created.appointment.id, { name: 'X', role: 'carer' }, API_ACTOR), 'CONSULTATION_ENDED');
  });
});

describe('revokeLink', () => {
  it('revokes a link of this appointment and records it', async () => {
    const w = makeWorld();
    const created = await book(w);
    const a = created.appointment.id;
    await w.appointments.revokeLink(a, created.patientLinkId, API_ACTOR);
    expect((await w.stores.links.get(created.patientLinkId))?.revoked).toBe(true);
    expect((await w.stores.events.list(a)).at(-1)).toMatchObject({ type: 'link.revoked', subject: created.patientLinkId, actor: API_ACTOR, outcome: 'ok' });
    await expectCode(w.sessions.redeemLink(tokenOf(created.patientUrl), device()), 'LINK_REVOKED');
  });

  it("refuses another appointment's link with NOT_FOUND and leaves it working", async () => {
    const w = makeWorld();
    const mine = await book(w);
    const theirs = await book(w, { clinician: { id: 'gp-2', name: 'Dr Other' } });
    await expectCode(w.appointments.revokeLink(mine.appointment.id, theirs.patientLinkId, API_ACTOR), 'NOT_FOUND');
    expect((await w.stores.links.get(theirs.patientLinkId))?.revoked).toBe(false);
    expect((await w.stores.events.list()).some((e) => e.type === 'link.revoked')).toBe(false);
    expect((await w.sessions.redeemLink(tokenOf(theirs.patientUrl), device())).participant.state).toBe('waiting');
  });

  it('refuses an unknown link with NOT_FOUND', async () => {
    const w = makeWorld();
    const mine = await book(w);
    await expectCode(w.appointments.revokeLink(mine.appointment.id, randomId<LinkId>(), API_ACTOR), 'NOT_FOUND');
  });
});

describe('get, detail and listForClinician', () => {
  it('get refuses an unknown appointment with NOT_FOUND', async () => {
    const w = makeWorld();
    await expectCode(w.appointments.get(randomId<AppointmentId>()), 'NOT_FOUND');
    await expectCode(w.appointments.detail(randomId<AppointmentId>()), 'NOT_FOUND');
  });

  it('detail lists links (bound or not) and participants', async () => {
    const w = makeWorld();
    const created = await book(w);
    const a = created.appointment.id;
    const { link } = await w.appointments.invite(a, { name: 'Carer Cat', role: 'carer' }, API_ACTOR);
    const g = await w.sessions.redeemLink(tokenOf(created.patientUrl), device());
    const d = await w.appointments.detail(a);
    expect(d.appointment.id).toBe(a);
    expect(d.links.map((l) => [l.id, l.bound])).toEqual([
      [created.patientLinkId, true],
      [link.id, false],
    ]);
    expect(d.participants.map((p) => p.id)).toEqual([g.participant.id]);
  });

  it("returns the 24 hours from the given start of the clinician's day of that clinician only, in start order", async () => {
    const w = makeWorld({ clock: new Clock(Date.parse('2030-03-03T00:00:00.000Z')) });
    const at = async (iso: string, clinician = CLINICIAN) => (await book(w, { startsAt: iso, clinician })).appointment.id;
    const late = await at('2030-03-04T23:59:00.000Z');
    const early = await at('2030-03-04T00:00:00.000Z');
    const mid = await at('2030-03-04T10:30:00.000Z');
    await at('2030-03-03T23:59:59.000Z');
    await at('2030-03-05T00:00:00.000Z');
    await at('2030-03-04T10:00:00.000Z', { id: 'gp-2', name: 'Dr Other' });
    const list = await w.appointments.listForClinician(CLINICIAN.id, new Date('2030-03-04T00:00:00.000Z'));
    expect(list.map((x) => x.id)).toEqual([early, mid, late]);
    // A clinician an hour ahead of UTC: their day starts at 23:00 UTC the day before.
    const shifted = await w.appointments.listForClinician(CLINICIAN.id, new Date('2030-03-03T23:00:00.000Z'));
    expect(shifted.map((x) => x.id)).toContain(early);
    expect(shifted.map((x) => x.id)).not.toContain(late);
    expect(list.every((x) => x.clinician.id === CLINICIAN.id)).toBe(true);
    expect(await w.appointments.listForClinician('gp-2', new Date('2030-03-04T00:00:00.000Z'))).toHaveLength(1);
    expect(await w.appointments.listForClinician('gp-3', new Date('2030-03-04T00:00:00.000Z'))).toEqual([]);
  });
});

describe('ttlFor and retention', () => {
  it('is positive and lasts until end + grace + retention', async () => {
    const w = makeWorld();
    for (const [offsetMin, duration] of [
      [0, 30],
      [-20, 30],
      [600, 15],
      [7 * 24 * 60, 60],
    ] as const) {
      const a = { startsAt: new Date(w.clock.ms + offsetMin * MINUTE).toISOString(), durationMinutes: duration };
      const ttl = w.appointments.ttlFor(a);
      expect(ttl).toBeGreaterThan(0);
      const keptUntil = w.clock.ms + ttl * 1000;
      const end = Date.parse(a.startsAt) + duration * MINUTE;
      expect(keptUntil).toBeGreaterThanOrEqual(end + POLICY.graceMinutes * MINUTE + POLICY.retentionHours * HOUR);
      expect(keptUntil).toBeLessThan(end + POLICY.graceMinutes * MINUTE + POLICY.retentionHours * HOUR + 1000);
      expect(w.appointments.endOf(a) * 1000).toBe(end);
    }
  });

  it('is at least a minute even for an appointment long gone', () => {
    const w = makeWorld();
    expect(w.appointments.ttlFor({ startsAt: '2000-01-01T00:00:00.000Z', durationMinutes: 10 })).toBe(60);
  });

  it('the appointment, its links and participants are kept for that long and no longer', async () => {
    const w = makeWorld();
    const created = await book(w, { durationMinutes: 30 });
    const a = created.appointment.id;
    const g = await w.sessions.redeemLink(tokenOf(created.patientUrl), device());
    const gone = Date.parse(created.appointment.startsAt) + 30 * MINUTE + POLICY.graceMinutes * MINUTE + POLICY.retentionHours * HOUR;
    w.clock.ms = gone - 1000;
    expect((await w.appointments.get(a)).id).toBe(a);
    expect(await w.stores.links.get(created.patientLinkId)).not.toBeNull();
    expect(await w.stores.participants.get(g.participant.id)).not.toBeNull();
    w.clock.ms = gone + 1000;
    await expectCode(w.appointments.get(a), 'NOT_FOUND');
    expect(await w.stores.links.get(created.patientLinkId)).toBeNull();
    expect(await w.stores.participants.get(g.participant.id)).toBeNull();
    // The audit trail is not part of what expires.
    expect((await w.stores.events.list(a)).length).toBeGreaterThan(0);
  });
});

// ---- managing appointments: re-issue, cancel, reschedule, list ------------

type Expelled = [appointmentId: string, participantId: string, reason: string];

/** An appointment starting now, with the patient in the waiting room; the bus's expulsions and endings recorded. */
async function withWaitingPatient(w = makeWorld()) {
  const created = await book(w);
  const a = created.appointment.id;
  const expelled: Expelled[] = [];
  const ended: [string, string | undefined][] = [];
  w.bus.on('participantExpelled', (apt, p, reason) => expelled.push([apt, p, reason]));
  w.bus.on('consultationEnded', (apt, reason) => ended.push([apt, reason]));
  const g = await w.sessions.redeemLink(tokenOf(created.patientUrl), device());
  await w.consultations.enterWaitingRoom(g.participant.id, a);
  return { w, created, a, g, expelled, ended };
}

const typesOf = async (w: ReturnType<typeof makeWorld>, a: AppointmentId) => (await w.stores.events.list(a)).map((e) => e.type);

describe('reissueLink', () => {
  it("replaces a patient's link: the new one works, the old is refused, and whoever came through it is removed and told link-reissued", async () => {
    const { w, created, a, g, expelled } = await withWaitingPatient();
    const before = (await w.stores.events.list(a)).length;
    const r = await w.appointments.reissueLink(a, created.patientLinkId, API_ACTOR);
    expect(r.replaced).toBe(created.patientLinkId);
    expect(r.link).toMatchObject({ appointmentId: a, role: 'patient', name: PATIENT_NAME, revoked: false });
    expect(r.link.id).not.toBe(created.patientLinkId);

    await expectCode(w.sessions.redeemLink(tokenOf(created.patientUrl), device()), 'LINK_REVOKED');
    expect((await w.stores.participants.get(g.participant.id))?.state).toBe('removed');
    expect(expelled).toEqual([[a, g.participant.id, 'link-reissued']]);
    const fresh = await w.sessions.redeemLink(tokenOf(r.url), device());
    expect(fresh.participant).toMatchObject({ role: 'patient', name: PATIENT_NAME, linkId: r.link.id, linkReused: false, state: 'waiting' });

    const steps = (await w.stores.events.list(a)).slice(before, before + 4).map((e) => [e.type, e.subject, e.actor]);
    expect(steps).toEqual([
      ['link.issued', r.link.id, API_ACTOR],
      ['link.revoked', created.patientLinkId, API_ACTOR],
      ['participant.removed', g.participant.id, API_ACTOR],
      ['link.reissued', r.link.id, API_ACTOR],
    ]);
  });

  it("re-issues an invite for the same person and role, and a link already revoked; another appointment's link is NOT_FOUND", async () => {
    const w = makeWorld();
    const created = await book(w);
    const a = created.appointment.id;
    const { link } = await w.appointments.invite(a, { name: 'Sam Okafor', role: 'interpreter' }, API_ACTOR);
    const r = await w.appointments.reissueLink(a, link.id, API_ACTOR);
    expect(r.link).toMatchObject({ role: 'interpreter', name: 'Sam Okafor' });
    await w.appointments.revokeLink(a, created.patientLinkId, API_ACTOR);
    const again = await w.appointments.reissueLink(a, created.patientLinkId, API_ACTOR);
    expect((await w.sessions.redeemLink(tokenOf(again.url), device())).participant.role).toBe('patient');
    const other = await book(w, { clinician: { id: 'gp-2', name: 'Dr Other' } });
    await expectCode(w.appointments.reissueLink(a, other.patientLinkId, API_ACTOR), 'NOT_FOUND');
    await expectCode(w.appointments.reissueLink(a, randomId<LinkId>(), API_ACTOR), 'NOT_FOUND');
    expect((await w.stores.links.get(other.patientLinkId))?.revoked).toBe(false);
  });
});

describe('cancel', () => {
  it('closes it for good: links and sessions answer APPOINTMENT_CANCELLED, the bus ends it as cancelled, it is audited', async () => {
    const { w, created, a, g, ended } = await withWaitingPatient();
    w.clock.advance(MINUTE);
    const c = await w.appointments.cancel(a, API_ACTOR);
    expect(c).toMatchObject({ id: a, status: 'cancelled', cancelledAt: w.clock.now().toISOString() });
    expect(await w.appointments.get(a)).toEqual(c);
    expect(ended).toEqual([[a, 'cancelled']]);
    expect((await w.stores.events.list(a)).at(-1)).toMatchObject({ type: 'appointment.cancelled', actor: API_ACTOR, outcome: 'ok' });

    // A new device, and the device that already redeemed, coming back through the link.
    await expectCode(w.sessions.redeemLink(tokenOf(created.patientUrl), device()), 'APPOINTMENT_CANCELLED');
    await expectCode(w.sessions.redeemLink(tokenOf(created.patientUrl), { ...device(), credential: g.device.credential }), 'APPOINTMENT_CANCELLED');
    // Its socket (the waiting room), media and the clinician opening it.
    await expectCode(w.consultations.enterWaitingRoom(g.participant.id, a), 'APPOINTMENT_CANCELLED');
    await expectCode(w.consultations.requireAdmitted(g.participant.id, a), 'APPOINTMENT_CANCELLED');
    await expectCode(w.consultations.clinicianJoin(await clinicianSession(w, created), a, 'Firefox on Linux'), 'APPOINTMENT_CANCELLED');
    // Nothing more can be issued for it, and it cannot be cancelled or moved again.
    await expectCode(w.appointments.invite(a, { name: 'X', role: 'carer' }, API_ACTOR), 'APPOINTMENT_CANCELLED');
    await expectCode(w.appointments.reissueLink(a, created.patientLinkId, API_ACTOR), 'APPOINTMENT_CANCELLED');
    await expectCode(w.appointments.cancel(a, API_ACTOR), 'INVALID_TRANSITION');
    await expectCode(w.appointments.reschedule(a, { startsAt: w.clock.now().toISOString(), links: 'keep' }, API_ACTOR), 'INVALID_TRANSITION');
    expect((await typesOf(w, a)).filter((t) => t === 'appointment.cancelled')).toHaveLength(1);
    const refused = (await w.stores.events.list(a)).filter((e) => e.type === 'token.rejected').map((e) => e.reason);
    expect(refused).toEqual(['APPOINTMENT_CANCELLED', 'APPOINTMENT_CANCELLED']);
  });

  it('an ended consultation cannot be cancelled; an unknown one is NOT_FOUND', async () => {
    const w = makeWorld();
    const created = await book(w);
    await w.consultations.end(await clinicianSession(w, created), created.appointment.id);
    await expectCode(w.appointments.cancel(created.appointment.id, API_ACTOR), 'INVALID_TRANSITION');
    expect((await w.appointments.get(created.appointment.id)).status).toBe('ended');
    await expectCode(w.appointments.cancel(randomId<AppointmentId>(), API_ACTOR), 'NOT_FOUND');
  });
});

describe('reschedule', () => {
  it("links 'keep': the same link works in the new window and is refused before it, saying when it opens", async () => {
    const w = makeWorld();
    const created = await book(w);
    const a = created.appointment.id;
    const token = tokenOf(created.patientUrl);
    const start = w.clock.ms + 6 * HOUR;
    const r = await w.appointments.reschedule(a, { startsAt: new Date(start).toISOString(), durationMinutes: 20, links: 'keep' }, API_ACTOR);
    expect(r.links).toEqual([]);
    expect(r.appointment).toMatchObject({ id: a, startsAt: new Date(start).toISOString(), durationMinutes: 20, status: 'scheduled' });
    expect(await w.appointments.get(a)).toEqual(r.appointment);
    expect((await w.stores.events.list(a)).at(-1)).toMatchObject({ type: 'appointment.rescheduled', actor: API_ACTOR, reason: 'keep' });

    const opens = start - POLICY.joinEarlyMinutes * MINUTE;
    const e = await expectCode(w.sessions.redeemLink(token, device()), 'APPOINTMENT_NOT_OPEN');
    expect(e.details).toEqual([{ key: 'opensAt', problem: new Date(opens).toISOString() }]);
    w.clock.ms = opens;
    expect((await w.sessions.redeemLink(token, device())).participant).toMatchObject({ linkId: created.patientLinkId, state: 'waiting' });
    // It is kept for the new time: past the old time's retention, the appointment is still there.
    w.clock.ms = Date.parse(created.appointment.startsAt) + 30 * MINUTE + POLICY.graceMinutes * MINUTE + POLICY.retentionHours * HOUR + MINUTE;
    expect((await w.appointments.get(a)).id).toBe(a);
  });

  it("links 'keep' is refused for a move beyond the links' lifetime, and nothing changes", async () => {
    const w = makeWorld();
    const created = await book(w);
    const a = created.appointment.id;
    const far = new Date(w.clock.ms + 3 * 24 * HOUR).toISOString();
    const e = await expectCode(w.appointments.reschedule(a, { startsAt: far, links: 'keep' }, API_ACTOR), 'BAD_REQUEST');
    expect(e.details).toEqual([{ key: 'body.links', problem: expect.stringMatching(/^keep: a link ends at /) as string }]);
    expect(await w.appointments.get(a)).toEqual(created.appointment);
    expect(await typesOf(w, a)).not.toContain('appointment.rescheduled');
  });

  it("links 'reissue': every live link is replaced (the old refused, whoever came through them removed); the new ones open at the new time", async () => {
    const { w, created, a, g, expelled } = await withWaitingPatient();
    const carer = await w.appointments.invite(a, { name: 'Carer Cat', role: 'carer' }, API_ACTOR);
    const gone = await w.appointments.invite(a, { name: 'Gone', role: 'other' }, API_ACTOR);
    await w.appointments.revokeLink(a, gone.link.id, API_ACTOR);
    const start = w.clock.ms + 3 * 24 * HOUR;
    const r = await w.appointments.reschedule(a, { startsAt: new Date(start).toISOString(), links: 'reissue' }, API_ACTOR);
    expect(r.appointment.durationMinutes).toBe(30);
    expect(r.links.map((l) => [l.link.role, l.link.name, l.replaced])).toEqual([
      ['patient', PATIENT_NAME, created.patientLinkId],
      ['carer', 'Carer Cat', carer.link.id],
    ]);
    await expectCode(w.sessions.redeemLink(tokenOf(created.patientUrl), device()), 'LINK_REVOKED');
    await expectCode(w.sessions.redeemLink(tokenOf(carer.url), device()), 'LINK_REVOKED');
    expect(expelled).toEqual([[a, g.participant.id, 'link-reissued']]);
    const newPatient = tokenOf(r.links[0]!.url);
    await expectCode(w.sessions.redeemLink(newPatient, device()), 'APPOINTMENT_NOT_OPEN');
    w.clock.ms = start - POLICY.joinEarlyMinutes * MINUTE;
    expect((await w.sessions.redeemLink(newPatient, device())).participant).toMatchObject({ role: 'patient', state: 'waiting' });
    expect((await w.stores.events.list(a)).find((e) => e.type === 'appointment.rescheduled')).toMatchObject({ reason: 'reissue' });
  });

  it('refuses a start that is not a time or would already be over', async () => {
    const w = makeWorld();
    const created = await book(w);
    const a = created.appointment.id;
    await expectCode(w.appointments.reschedule(a, { startsAt: 'soon', links: 'keep' }, API_ACTOR), 'BAD_REQUEST');
    const e = await expectCode(w.appointments.reschedule(a, { startsAt: new Date(w.clock.ms - 2 * HOUR).toISOString(), links: 'keep' }, API_ACTOR), 'BAD_REQUEST');
    expect(e.details).toEqual([{ key: 'body.startsAt', problem: 'in the past' }]);
    expect(await w.appointments.get(a)).toEqual(created.appointment);
  });
});

describe('list', () => {
  const DAY = '2030-03-05T00:00:00.000Z';
  const dayStart = new Date(DAY);
  const dayEnd = new Date(Date.parse(DAY) + 24 * HOUR);
  const GP2 = { id: 'gp-2', name: 'Dr Other' };

  async function clinicDay() {
    const w = makeWorld({ clock: new Clock(Date.parse('2030-03-04T08:00:00.000Z')) });
    const now = w.clock.now().toISOString();
    for (const id of ['clinic-a', 'clinic-b']) await w.stores.clinics.create({ id: id as ClinicId, name: id, settings: {}, createdAt: now, updatedAt: now });
    const make = async (time: string, clinician = CLINICIAN, clinicId?: string) =>
      (await w.appointments.create({ clinician, patient: { name: PATIENT_NAME }, startsAt: `2030-03-05T${time}:00.000Z`, durationMinutes: 15, clinicId }, API_ACTOR)).appointment;
    const inA = [await make('09:00', CLINICIAN, 'clinic-a'), await make('09:30', GP2, 'clinic-a'), await make('09:30', CLINICIAN, 'clinic-a'), await make('11:00', GP2, 'clinic-a'), await make('10:00', CLINICIAN, 'clinic-a')];
    const inB = await make('09:15', CLINICIAN, 'clinic-b');
    const inNone = await make('09:45', CLINICIAN);
    // Moved to the next day: not on this day's list.
    const late = await make('23:59', CLINICIAN, 'clinic-a');
    await w.appointments.reschedule(late.id, { startsAt: '2030-03-06T00:00:00.000Z', links: 'keep' }, API_ACTOR);
    return { w, inA, inB, inNone };
  }
  const order = (xs: Appointment[]) => [...xs].sort((x, y) => Date.parse(x.startsAt) - Date.parse(y.startsAt) || (x.id < y.id ? -1 : 1)).map((x) => x.id);

  it("pages through a clinic's day in start order with a cursor, ties by id", async () => {
    const { w, inA } = await clinicDay();
    const all = await w.appointments.list({ clinicId: 'clinic-a' as ClinicId, from: dayStart, to: dayEnd, limit: 100 });
    expect(all.next).toBeUndefined();
    const want = order(inA);
    expect(all.appointments.map((x) => x.id)).toEqual(want);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await w.appointments.list({ clinicId: 'clinic-a' as ClinicId, from: dayStart, to: dayEnd, limit: 2, cursor });
      expect(page.appointments.length).toBeLessThanOrEqual(2);
      seen.push(...page.appointments.map((x) => x.id));
      cursor = page.next;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(want);
  });

  it("lists a clinician's day across clinics, filtered to what the caller may see", async () => {
    const { w, inA, inB, inNone } = await clinicDay();
    const mine = await w.appointments.list({ clinicianId: CLINICIAN.id, from: dayStart, to: dayEnd, limit: 50 });
    expect(mine.appointments.every((x) => x.clinician.id === CLINICIAN.id)).toBe(true);
    expect(mine.appointments.map((x) => x.id)).toEqual(expect.arrayContaining([inB.id, inNone.id, ...inA.filter((x) => x.clinician.id === CLINICIAN.id).map((x) => x.id)]));
    const onlyA = await w.appointments.list({ clinicianId: CLINICIAN.id, from: dayStart, to: dayEnd, limit: 50 }, (x) => x.clinicId === 'clinic-a');
    expect(onlyA.appointments.map((x) => x.clinicId)).toEqual(onlyA.appointments.map(() => 'clinic-a'));
    expect(onlyA.appointments.map((x) => x.id)).not.toContain(inB.id);
    const both = await w.appointments.list({ clinicId: 'clinic-a' as ClinicId, clinicianId: GP2.id, from: dayStart, to: dayEnd, limit: 50 });
    expect(both.appointments.map((x) => x.id)).toEqual(inA.filter((x) => x.clinician.id === GP2.id).map((x) => x.id));
  });

  it('a rescheduled appointment is listed on its new day, not its old', async () => {
    const { w, inA } = await clinicDay();
    const moved = inA[0]!;
    await w.appointments.reschedule(moved.id, { startsAt: '2030-03-05T16:00:00.000Z', links: 'keep' }, API_ACTOR);
    const page = await w.appointments.list({ clinicId: 'clinic-a' as ClinicId, from: dayStart, to: dayEnd, limit: 50 });
    expect(page.appointments.at(-1)?.id).toBe(moved.id);
    const next = await w.appointments.list({ clinicId: 'clinic-a' as ClinicId, from: dayEnd, to: new Date(dayEnd.getTime() + 24 * HOUR), limit: 50 });
    expect(next.appointments.map((x) => x.startsAt)).toEqual(['2030-03-06T00:00:00.000Z']);
  });

  it('needs a clinic or a clinician, and a cursor it gave', async () => {
    const w = makeWorld();
    await expectCode(w.appointments.list({ from: dayStart, to: dayEnd, limit: 5 }), 'BAD_REQUEST');
    for (const cursor of ['nonsense', Buffer.from('12.short').toString('base64url'), Buffer.from(`x.${randomId()}`).toString('base64url')]) {
      const e = await expectCode(w.appointments.list({ clinicianId: 'gp-1', from: dayStart, to: dayEnd, limit: 5, cursor }), 'BAD_REQUEST');
      expect(e.details).toEqual([{ key: 'query.cursor', problem: 'not a cursor from this list' }]);
    }
  });
});
