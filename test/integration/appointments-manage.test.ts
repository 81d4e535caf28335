// Appointments and links the clinic manages, over real HTTP and real
// socket.io connections with a real mediasoup worker, on the memory and the
// Redis store: re-issue a patient's link (the old refused, the device on it
// told and disconnected), cancel (everyone connected told and disconnected,
// the room closed, every link and session answering APPOINTMENT_CANCELLED),
// reschedule keeping or re-issuing the links, and the day's list by clinic
// and clinician, paged, with a clinic-bound key kept to its clinic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinicId } from '../../server/core/ids.ts';
import type { AppointmentPage, Cancelled, Reissued, Rescheduled } from '../../server/wire/appointments.ts';
import type { ApiKeyCreated } from '../../server/wire/auth.ts';
import { api, createAppointment, Device, type Client } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

interface AuditLine {
  action?: string;
  actor?: { role: string; id: string };
  subject?: string;
  reason?: string;
  appointmentId?: string | null;
}

const MINUTE = 60_000;
const JOIN_EARLY_MINUTES = 60;

async function waitFor(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

for (const kind of ['memory', 'redis'] as const) describe(`managing appointments and links (${kind} store)`, { timeout: 60_000 }, () => {
  let redis: RedisServerHandle | undefined;
  let s: TestServer;
  const clients: Client[] = [];
  const track = (c: Client) => (clients.push(c), c);

  beforeAll(async () => {
    if (kind === 'redis') redis = await startRedisServer();
    s = await startTestServer(redis ? { REDIS_URL: redis.url } : {});
    const at = new Date().toISOString();
    for (const id of ['clinic-a', 'clinic-b']) await s.deps.stores.clinics.create({ id: id as ClinicId, name: id, settings: {}, createdAt: at, updatedAt: at });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await s?.stop();
    await redis?.stop();
  });

  const audit = async (appointmentId: string): Promise<AuditLine[]> => {
    const text = await (await api(s.url, 'GET', `/api/v1/audit?appointmentId=${appointmentId}`)).text();
    return text.trimEnd().split('\n').slice(0, -1).map((l) => JSON.parse(l) as AuditLine);
  };

  /** A patient's phone on the link, connected and in the waiting room. */
  async function waitingPatient(url: string): Promise<{ phone: Device; socket: Client; participantId: string }> {
    const phone = new Device(s.url);
    expect((await phone.redeem(url)).status).toBe(200);
    const socket = track(await phone.connect());
    const view = await socket.until((v) => v.self.state === 'waiting');
    return { phone, socket, participantId: view.self.id };
  }

  it("re-issues a patient's link: the new one works; the old is refused and the device on it is removed and disconnected", async () => {
    const apt = await createAppointment(s.url);
    const { phone, socket, participantId } = await waitingPatient(apt.patientUrl);

    const r = await json<Reissued>(await api(s.url, 'POST', `/api/v1/appointments/${apt.id}/links/${apt.patientLinkId}/reissue`, {}), 201);
    expect(r).toMatchObject({ role: 'patient', replaced: apt.patientLinkId });
    expect(r.linkId).not.toBe(apt.patientLinkId);
    expect(r.url).toMatch(new RegExp(`^${s.url}/join#t=`));

    expect(await socket.event('consultation:ended')).toEqual({ reason: 'link-reissued' });
    await waitFor('the old device to be disconnected', () => !socket.socket.connected);
    // Whoever held the old link: refused on it, from this device and any other.
    expect(await json(await phone.redeem(apt.patientUrl), 410)).toMatchObject({ code: 'LINK_REVOKED' });
    expect(await json(await new Device(s.url).redeem(apt.patientUrl), 410)).toMatchObject({ code: 'LINK_REVOKED' });
    await expect(phone.connect()).rejects.toMatchObject({ data: { code: 'LINK_REVOKED' } });

    const fresh = await waitingPatient(r.url);
    expect(fresh.participantId).not.toBe(participantId);
    const detail = await json<{ links: { id: string; revoked: boolean }[]; participants: { id: string; state: string }[] }>(await api(s.url, 'GET', `/api/v1/appointments/${apt.id}`), 200);
    expect(detail.links.map((l) => [l.id, l.revoked])).toEqual([
      [apt.patientLinkId, true],
      [r.linkId, false],
    ]);
    expect(detail.participants.find((p) => p.id === participantId)?.state).toBe('removed');
    const reissued = (await audit(apt.id)).filter((l) => l.action === 'link.reissued');
    expect(reissued).toEqual([expect.objectContaining({ subject: r.linkId, actor: { role: 'api', id: 'config-1' } })]);
  });

  it('cancels: the waiting patient is told and disconnected, the room closes, and their link and session answer APPOINTMENT_CANCELLED', async () => {
    const apt = await createAppointment(s.url);
    const { phone, socket, participantId } = await waitingPatient(apt.patientUrl);
    const interpreter = await json<{ url: string }>(await api(s.url, 'POST', `/api/v1/appointments/${apt.id}/invites`, { name: 'Sam Okafor', role: 'interpreter' }), 201);
    // The clinician is in, with an admitted carer who has media: the room is open.
    const laptop = new Device(s.url, 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36');
    expect((await laptop.redeem(apt.clinicianUrl)).status).toBe(200);
    const gp = track(await laptop.connect({ appointmentId: apt.id }));
    const carer = await json<{ url: string }>(await api(s.url, 'POST', `/api/v1/appointments/${apt.id}/invites`, { name: 'Carer Cat', role: 'carer' }), 201);
    const c = await waitingPatient(carer.url);
    expect(await gp.request('lobby:admit', { participantId: c.participantId })).toEqual({ ok: true, data: {} });
    await c.socket.until((v) => v.self.state === 'admitted');
    expect((await c.socket.request('media:createTransport', { direction: 'recv' })).ok).toBe(true);
    expect(s.deps.rooms.get(apt.id)).toBeDefined();

    const cancelled = await json<Cancelled>(await api(s.url, 'POST', `/api/v1/appointments/${apt.id}/cancel`, {}), 200);
    expect(cancelled).toMatchObject({ id: apt.id, status: 'cancelled' });
    expect(Date.parse(cancelled.cancelledAt)).toBeLessThanOrEqual(Date.now());

    for (const client of [socket, c.socket, gp]) {
      expect(await client.event('consultation:ended')).toEqual({ reason: 'cancelled' });
      await waitFor('every socket of the appointment to be disconnected', () => !client.socket.connected);
    }
    expect(s.deps.rooms.get(apt.id)).toBeUndefined();

    // The device that redeemed: its session and its link. Another device, and another link of it.
    expect(await json(await phone.fetch('GET', '/api/v1/session'), 410)).toMatchObject({ code: 'APPOINTMENT_CANCELLED' });
    expect(await json(await phone.redeem(apt.patientUrl), 410)).toMatchObject({ code: 'APPOINTMENT_CANCELLED' });
    expect(await json(await new Device(s.url).redeem(apt.patientUrl), 410)).toMatchObject({ code: 'APPOINTMENT_CANCELLED' });
    expect(await json(await new Device(s.url).redeem(interpreter.url), 410)).toMatchObject({ code: 'APPOINTMENT_CANCELLED' });
    await expect(phone.connect()).rejects.toMatchObject({ data: { code: 'APPOINTMENT_CANCELLED' } });
    await expect(laptop.connect({ appointmentId: apt.id })).rejects.toMatchObject({ data: { code: 'APPOINTMENT_CANCELLED' } });

    expect(await json(await api(s.url, 'POST', `/api/v1/appointments/${apt.id}/cancel`, {}), 409)).toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(await json(await api(s.url, 'PATCH', `/api/v1/appointments/${apt.id}`, { startsAt: new Date().toISOString(), links: 'keep' }), 409)).toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(await json(await api(s.url, 'POST', `/api/v1/appointments/${apt.id}/links/${apt.patientLinkId}/reissue`, {}), 410)).toMatchObject({ code: 'APPOINTMENT_CANCELLED' });
    expect(await json<{ status: string }>(await api(s.url, 'GET', `/api/v1/appointments/${apt.id}`), 200)).toMatchObject({ status: 'cancelled' });
    const lines = await audit(apt.id);
    expect(lines.filter((l) => l.action === 'appointment.cancelled')).toEqual([expect.objectContaining({ actor: { role: 'api', id: 'config-1' } })]);
    expect(lines.some((l) => l.action === 'token.rejected' && l.reason === 'APPOINTMENT_CANCELLED')).toBe(true);
    expect(lines.some((l) => l.action === 'participant.removed' && l.subject === participantId)).toBe(false);
  });

  it("reschedules keeping the links: the same link is refused before the new window, saying when it opens, and works in it", async () => {
    const later = new Date(Date.now() + 3 * 60 * MINUTE);
    const apt = await createAppointment(s.url, { startsAt: later.toISOString() });
    const opensAt = (start: Date) => new Date(start.getTime() - JOIN_EARLY_MINUTES * MINUTE).toISOString();
    expect(await json(await new Device(s.url).redeem(apt.patientUrl), 403)).toMatchObject({ code: 'APPOINTMENT_NOT_OPEN', details: [{ key: 'opensAt', problem: opensAt(later) }] });

    const now = new Date(Date.now() + MINUTE);
    const r = await json<Rescheduled>(await api(s.url, 'PATCH', `/api/v1/appointments/${apt.id}`, { startsAt: now.toISOString(), durationMinutes: 20, links: 'keep' }), 200);
    expect(r).toEqual({ id: apt.id, startsAt: now.toISOString(), durationMinutes: 20, links: [] });
    const { phone } = await waitingPatient(apt.patientUrl);

    // Moved later again: a new device on the same link waits for the new window; the one already in is not thrown out.
    const evening = new Date(Date.now() + 5 * 60 * MINUTE);
    await json(await api(s.url, 'PATCH', `/api/v1/appointments/${apt.id}`, { startsAt: evening.toISOString(), links: 'keep' }), 200);
    expect(await json(await new Device(s.url).redeem(apt.patientUrl), 403)).toMatchObject({ code: 'APPOINTMENT_NOT_OPEN', details: [{ key: 'opensAt', problem: opensAt(evening) }] });
    expect(await json<{ startsAt: string }>(await phone.fetch('GET', '/api/v1/session'), 200)).toMatchObject({ startsAt: evening.toISOString() });
    expect((await audit(apt.id)).filter((l) => l.action === 'appointment.rescheduled').map((l) => l.reason)).toEqual(['keep', 'keep']);

    // Beyond the links' lifetime, keep is refused (and nothing moves).
    const far = new Date(Date.now() + 4 * 24 * 60 * MINUTE).toISOString();
    expect(await json(await api(s.url, 'PATCH', `/api/v1/appointments/${apt.id}`, { startsAt: far, links: 'keep' }), 400)).toMatchObject({ code: 'BAD_REQUEST', details: [{ key: 'body.links' }] });
    expect(await json<{ startsAt: string }>(await api(s.url, 'GET', `/api/v1/appointments/${apt.id}`), 200)).toMatchObject({ startsAt: evening.toISOString() });
  });

  it('reschedules re-issuing the links: the old link is refused (its device told link-reissued), the new one works', async () => {
    const apt = await createAppointment(s.url);
    const { socket } = await waitingPatient(apt.patientUrl);
    const soon = new Date(Date.now() + 10 * MINUTE);
    const r = await json<Rescheduled>(await api(s.url, 'PATCH', `/api/v1/appointments/${apt.id}`, { startsAt: soon.toISOString(), links: 'reissue' }), 200);
    expect(r).toMatchObject({ id: apt.id, startsAt: soon.toISOString(), durationMinutes: 15 });
    expect(r.links).toEqual([{ linkId: expect.any(String) as string, role: 'patient', url: expect.stringMatching(new RegExp(`^${s.url}/join#t=`)) as string, replaced: apt.patientLinkId }]);
    expect(await socket.event('consultation:ended')).toEqual({ reason: 'link-reissued' });
    await waitFor('the old device to be disconnected', () => !socket.socket.connected);
    expect(await json(await new Device(s.url).redeem(apt.patientUrl), 410)).toMatchObject({ code: 'LINK_REVOKED' });
    await waitingPatient(r.links[0]!.url);
    expect((await audit(apt.id)).find((l) => l.action === 'appointment.rescheduled')).toMatchObject({ reason: 'reissue' });
  });

  it("lists a clinic's and a clinician's day, a page at a time; a clinic-bound key sees only its clinic", async () => {
    const day = new Date(Date.now() + 10 * 24 * 60 * MINUTE).toISOString().slice(0, 10);
    const make = async (time: string, clinicianId: string, clinicId?: string) => {
      const res = await api(s.url, 'POST', '/api/v1/appointments', {
        clinician: { id: clinicianId, name: `Dr ${clinicianId}` },
        patient: { name: `Patient at ${time}` },
        startsAt: `${day}T${time}:00.000Z`,
        durationMinutes: 15,
        ...(clinicId ? { clinicId } : {}),
      });
      return (await json<{ id: string }>(res, 201)).id;
    };
    const a1 = await make('09:00', 'list-1', 'clinic-a');
    const a2 = await make('09:30', 'list-2', 'clinic-a');
    const a3 = await make('10:00', 'list-1', 'clinic-a');
    const a4 = await make('11:00', 'list-2', 'clinic-a');
    const a5 = await make('12:00', 'list-1', 'clinic-a');
    const b1 = await make('09:15', 'list-1', 'clinic-b');
    const none = await make('09:45', 'list-1');
    await make('08:00', 'list-1', 'clinic-a').then((id) => api(s.url, 'PATCH', `/api/v1/appointments/${id}`, { startsAt: `${day}T13:00:00.000Z`, links: 'keep' })).then((res) => res.text());
    const list = (query: string, key?: string) => api(s.url, 'GET', `/api/v1/appointments?day=${day}&${query}`, undefined, key);

    const pages: AppointmentPage[] = [];
    let cursor = '';
    do {
      const page = await json<AppointmentPage>(await list(`clinicId=clinic-a&limit=2${cursor ? `&cursor=${cursor}` : ''}`), 200);
      pages.push(page);
      cursor = page.next ?? '';
    } while (cursor && pages.length < 10);
    expect(pages.map((p) => p.appointments.length)).toEqual([2, 2, 2]);
    const listed = pages.flatMap((p) => p.appointments);
    expect(listed.map((x) => x.id).slice(0, 5)).toEqual([a1, a2, a3, a4, a5]);
    expect(listed.at(-1)).toMatchObject({ startsAt: `${day}T13:00:00.000Z` });
    expect(listed[0]).toEqual({ id: a1, status: 'scheduled', startsAt: `${day}T09:00:00.000Z`, durationMinutes: 15, clinician: { id: 'list-1', name: 'Dr list-1' }, clinicId: 'clinic-a', patient: { name: 'Patient at 09:00' }, language: 'en-GB', waiting: 0 });

    const byClinician = await json<AppointmentPage>(await list('clinicianId=list-1'), 200);
    expect(byClinician.appointments.map((x) => x.id).slice(0, 6)).toEqual([a1, b1, none, a3, a5, byClinician.appointments[5]!.id]);
    expect(byClinician.next).toBeUndefined();
    const both = await json<AppointmentPage>(await list('clinicId=clinic-a&clinicianId=list-2'), 200);
    expect(both.appointments.map((x) => x.id)).toEqual([a2, a4]);
    // A local day: ten hours behind UTC (getTimezoneOffset 600), the day starts at 10:00 UTC.
    const behind = await json<AppointmentPage>(await list('clinicId=clinic-a&tz=600'), 200);
    expect(behind.appointments.map((x) => x.id).slice(0, 3)).toEqual([a3, a4, a5]);
    expect(behind.appointments).toHaveLength(4);

    expect(await json(await list(''), 400)).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await json(await list('clinicId=clinic-a&cursor=bm90LWEtY3Vyc29y'), 400)).toMatchObject({ code: 'BAD_REQUEST', details: [{ key: 'query.cursor' }] });

    const bound = await json<ApiKeyCreated>(await api(s.url, 'POST', '/api/v1/api-keys', { name: 'clinic A desk', scopes: ['appointments:read'], clinicId: 'clinic-a' }), 201);
    const own = await json<AppointmentPage>(await list('', bound.key), 200);
    expect(own.appointments.every((x) => x.clinicId === 'clinic-a')).toBe(true);
    expect(own.appointments).toHaveLength(6);
    const mine = await json<AppointmentPage>(await list('clinicianId=list-1', bound.key), 200);
    expect(mine.appointments.map((x) => x.id)).not.toContain(b1);
    expect(mine.appointments.map((x) => x.id)).not.toContain(none);
    expect(mine.appointments.map((x) => x.id).slice(0, 3)).toEqual([a1, a3, a5]);
    expect(await json(await list('clinicId=clinic-b', bound.key), 404)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('counts who is waiting in the list', async () => {
    const apt = await createAppointment(s.url, { clinicianId: 'list-waiting' });
    await waitingPatient(apt.patientUrl);
    const day = (await json<{ startsAt: string }>(await api(s.url, 'GET', `/api/v1/appointments/${apt.id}`), 200)).startsAt.slice(0, 10);
    const page = await json<AppointmentPage>(await api(s.url, 'GET', `/api/v1/appointments?day=${day}&clinicianId=list-waiting`), 200);
    expect(page.appointments.map((x) => [x.id, x.waiting])).toEqual([[apt.id, 1]]);
  });
});
