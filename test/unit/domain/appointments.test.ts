// AppointmentService: what a booking system asks for, and what the links it
// gets back carry (the token in the fragment only, never a name).
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { randomId, type AppointmentId, type LinkId } from '../../../server/core/ids.ts';
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

  it('a link opens joinEarlyMinutes before the start and expires graceMinutes after the end', async () => {
    const w = makeWorld();
    const start = w.clock.ms + 5 * HOUR;
    const created = await book(w, { startsAt: new Date(start).toISOString(), durationMinutes: 45 });
    const grant = w.tokens.verifyLink.bind(w.tokens);
    const token = tokenOf(created.patientUrl);
    await expectCode(() => grant(token), 'APPOINTMENT_NOT_OPEN');
    w.clock.ms = start - POLICY.joinEarlyMinutes * MINUTE;
    const g = grant(token);
    expect(g.notBefore * 1000).toBe(start - POLICY.joinEarlyMinutes * MINUTE);
    expect(g.expiresAt * 1000).toBe(start + 45 * MINUTE + POLICY.graceMinutes * MINUTE);
    const link = await w.stores.links.get(created.patientLinkId);
    expect(Date.parse(link!.expiresAt)).toBe(g.expiresAt * 1000);
    w.clock.ms = g.expiresAt * 1000 + 10_000;
    await expectCode(() => grant(token), 'TOKEN_EXPIRED');
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
