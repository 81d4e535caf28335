// The clinic waiting area over the real server (real HTTP, real socket.io on
// /staff and on the consultation namespace, a real mediasoup worker): one
// clinic, two clinicians and a coordinator. Each clinician is alerted once per
// own patient and never for the other's; the coordinator sees everyone, oldest
// first; a reconnect is not an arrival; the coordinator re-assigns, messages
// and marks running late, and the patients' own views say so; a revoked staff
// session is cut off; malformed messages get typed errors.
import fc from 'fast-check';
import { io, type Socket } from 'socket.io-client';
import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../server/wire/errors.ts';
import type { ConsultationView } from '../../server/wire/participants.ts';
import { StaffMessages, type StaffMessage, type StaffMessageName, type StaffReplies, type WaitingAreaView } from '../../server/wire/staff-socket.ts';
import { api, Device, type Client } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const CLINICIAN_COOKIE = '__Host-cr_clinician';
const CLINIC = 'gp-surgery';

/** Polls until `pred` holds (generous: nothing here is a timing claim). */
async function until<T>(what: string, get: () => T | Promise<T>, pred: (v: T) => boolean, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await get();
    if (pred(v)) return v;
    if (Date.now() - t0 > ms) throw new Error(`${what}: never happened; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A console's /staff socket, recording every push. */
class StaffClient {
  readonly socket: Socket;
  readonly events: { name: string; payload: unknown }[] = [];
  constructor(socket: Socket) {
    this.socket = socket;
    socket.onAny((name: string, payload: unknown) => this.events.push({ name, payload }));
  }
  static open(base: string, cookie: string | undefined, origin = base): Promise<StaffClient> {
    const socket = io(`${base}/staff`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { ...(cookie ? { cookie: `${CLINICIAN_COOKIE}=${cookie}` } : {}), origin },
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new StaffClient(socket)));
      socket.once('connect_error', (e: Error & { data?: unknown }) => reject(Object.assign(e, { data: e.data })));
    });
  }
  request<K extends StaffMessageName>(name: K, payload: StaffMessage<K>): Promise<Ack<StaffReplies[K]>> {
    return this.socket.timeout(5000).emitWithAck(name, payload) as Promise<Ack<StaffReplies[K]>>;
  }
  raw(name: string, ...args: unknown[]): Promise<unknown> {
    return this.socket.timeout(5000).emitWithAck(name, ...args);
  }
  async watch(scope: 'mine' | 'clinic'): Promise<WaitingAreaView> {
    const r = await this.request('waiting:watch', { scope });
    if (!r.ok) throw new Error(`watch: ${JSON.stringify(r.error)}`);
    this.events.push({ name: 'waiting:view', payload: r.data });
    return r.data;
  }
  get view(): WaitingAreaView | undefined {
    return this.events.filter((e) => e.name === 'waiting:view').at(-1)?.payload as WaitingAreaView | undefined;
  }
  untilView(pred: (v: WaitingAreaView) => boolean): Promise<WaitingAreaView | undefined> {
    return until('staff view', () => this.view, (v) => v !== undefined && pred(v));
  }
  arrivals(): { arrivalId: string; participantId: string; appointmentId: string; name: string; clinicianId: string }[] {
    return this.events.filter((e) => e.name === 'waiting:arrived').map((e) => e.payload as never);
  }
  close(): void {
    this.socket.close();
  }
}

for (const store of ['memory', 'redis'] as const) describe(`the clinic waiting area (/staff, ${store} store)`, () => {
  let s: TestServer;
  let redis: RedisServerHandle | undefined;
  const closers: { close(): void }[] = [];
  const track = <T extends { close(): void }>(c: T): T => (closers.push(c), c);

  beforeAll(async () => {
    if (store === 'redis') redis = await startRedisServer();
    s = await startTestServer(redis ? { REDIS_URL: redis.url } : {});
    expect((await api(s.url, 'POST', '/api/v1/clinics', { id: CLINIC, name: 'High Street Surgery' })).status).toBe(201);
    for (const [userId, roles] of [
      ['gp-a', ['clinician']],
      ['gp-b', ['clinician']],
      ['coord', ['clinic-coordinator']],
    ] as const) {
      expect((await api(s.url, 'PUT', `/api/v1/clinics/${CLINIC}/members/${userId}`, { roles })).status).toBe(200);
    }
    const patched = await api(s.url, 'PATCH', `/api/v1/clinics/${CLINIC}`, { settings: { phone: '01632 960000', waitingMessage: 'Please have your medicines to hand.', privacyNoticeText: 'old' } });
    expect(patched.status).toBe(200);
    const removed = await api(s.url, 'PATCH', `/api/v1/clinics/${CLINIC}`, { settings: { privacyNoticeText: null } });
    expect(await removed.json()).toMatchObject({ name: 'High Street Surgery', settings: { phone: '01632 960000', waitingMessage: 'Please have your medicines to hand.' } });
  });
  afterAll(async () => {
    for (const c of closers) c.close();
    await s?.stop();
    await redis?.stop();
  });

  /** An appointment of the clinic (or none), as the booking system makes it. */
  async function book(clinicianId: string, patientName: string, clinicId: string | null = CLINIC) {
    const r = await api(s.url, 'POST', '/api/v1/appointments', {
      clinician: { id: clinicianId, name: `Dr ${clinicianId.toUpperCase()}` },
      patient: { name: patientName },
      startsAt: new Date().toISOString(),
      durationMinutes: 15,
      ...(clinicId ? { clinicId } : {}),
    });
    expect(r.status).toBe(201);
    return (await r.json()) as { id: string; clinicianUrl: string; patientUrl: string };
  }

  /** A clinician's staff cookie, from their console link (a ticket session with the clinic's roles). */
  async function clinicianCookie(clinicianUrl: string): Promise<{ device: Device; cookie: string }> {
    const device = new Device(s.url, 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36');
    expect((await device.redeem(clinicianUrl)).status).toBe(200);
    return { device, cookie: device.cookies.get(CLINICIAN_COOKIE)! };
  }

  /** A coordinator signed in (roles from the clinic's membership). */
  async function coordinatorCookie(): Promise<{ cookie: string; sessionId: string }> {
    const principal = await s.deps.clinics.principalFor('coord', 'Pat Coordinator', []);
    const started = await s.deps.sessions.startStaff(principal, { device: 'test' }, 'oidc');
    return { cookie: started.cookie!, sessionId: started.session.id };
  }

  /** A patient's phone: link redeemed and the waiting room entered. */
  async function arrive(patientUrl: string): Promise<{ phone: Device; socket: Client; view: ConsultationView }> {
    const phone = new Device(s.url);
    expect((await phone.redeem(patientUrl)).status).toBe(200);
    const socket = track(await phone.connect());
    const view = await socket.until((v) => v.self.state === 'waiting');
    return { phone, socket, view };
  }

  it('alerts each clinician once per own patient, shows the coordinator all, oldest first; a reconnect is no arrival; running late, notes, checks and re-assigning reach the right people', async () => {
    const a1 = await book('gp-a', 'Ann One');
    const b1 = await book('gp-b', 'Ben Two');
    const a2 = await book('gp-a', 'Cat Three');
    const gpA = await clinicianCookie(a1.clinicianUrl);
    const gpB = await clinicianCookie(b1.clinicianUrl);
    const coordinator = await coordinatorCookie();
    const staffA = track(await StaffClient.open(s.url, gpA.cookie));
    const staffB = track(await StaffClient.open(s.url, gpB.cookie));
    const desk = track(await StaffClient.open(s.url, coordinator.cookie));
    expect((await staffA.watch('mine')).entries).toEqual([]);
    expect(await staffB.watch('mine')).toMatchObject({ scope: 'mine', entries: [], clinics: [{ id: CLINIC, name: 'High Street Surgery' }], clinicians: [] });
    // A coordinator has no patients of their own: always the clinic's, with the clinicians to re-assign to.
    const deskView = await desk.watch('mine');
    expect(deskView).toMatchObject({ scope: 'clinic', settings: { sound: true } });
    expect(deskView.clinicians.map((c) => c.id).sort()).toEqual(['gp-a', 'gp-b']);

    // Three patients arrive, one after another.
    const p1 = await arrive(a1.patientUrl);
    await desk.untilView((v) => v.entries.length === 1);
    const p2 = await arrive(b1.patientUrl);
    await desk.untilView((v) => v.entries.length === 2);
    const p3 = await arrive(a2.patientUrl);
    const all = await desk.untilView((v) => v.entries.length === 3);
    expect(all!.entries.map((e) => e.name)).toEqual(['Ann One', 'Ben Two', 'Cat Three']);
    expect(all!.entries[1]).toMatchObject({
      appointmentId: b1.id,
      participantId: p2.view.self.id,
      role: 'patient',
      clinicianId: 'gp-b',
      clinicianName: 'Dr GP-B',
      clinicId: CLINIC,
      device: 'Safari on iPhone',
      linkReused: false,
      connection: 'online',
    });
    expect(all!.entries[1]!.arrivalId).toBe(`${p2.view.self.id}:${all!.entries[1]!.waitingSince}`);

    // Each clinician: exactly one alert per own patient, none for the other's; the coordinator: all three.
    await staffA.untilView((v) => v.entries.length === 2);
    await staffB.untilView((v) => v.entries.length === 1);
    expect(staffA.arrivals().map((x) => x.participantId).sort()).toEqual([p1.view.self.id, p3.view.self.id].sort());
    expect(staffB.arrivals()).toEqual([{ arrivalId: all!.entries[1]!.arrivalId, appointmentId: b1.id, participantId: p2.view.self.id, name: 'Ben Two', clinicianId: 'gp-b' }]);
    expect(desk.arrivals().map((x) => x.name)).toEqual(['Ann One', 'Ben Two', 'Cat Three']);

    // The patients know someone knows they wait, and the clinic's details.
    const seen = await p2.socket.until((v) => v.clinicianAware);
    expect(seen.clinic).toEqual({ name: 'High Street Surgery', phone: '01632 960000', waitingMessage: 'Please have your medicines to hand.' });
    expect(seen.runningLateMinutes).toBeUndefined();

    // A reconnect is not a new arrival: offline, then online again, and no alert.
    p1.socket.close();
    await staffA.untilView((v) => v.entries.find((e) => e.participantId === p1.view.self.id)?.connection === 'offline');
    const back = track(await p1.phone.connect());
    await back.until((v) => v.self.state === 'waiting');
    await staffA.untilView((v) => v.entries.find((e) => e.participantId === p1.view.self.id)?.connection === 'online');
    await desk.untilView((v) => v.entries.find((e) => e.participantId === p1.view.self.id)?.connection === 'online');
    expect(staffA.arrivals()).toHaveLength(2);
    expect(desk.arrivals()).toHaveLength(3);

    // The pre-call check shows beside them.
    expect(await back.request('self:check', { camera: true, microphone: false })).toEqual({ ok: true, data: {} });
    await desk.untilView((v) => v.entries.find((e) => e.participantId === p1.view.self.id)?.check?.microphone === false);
    expect(staffA.view!.entries.find((e) => e.participantId === p1.view.self.id)?.check).toEqual({ camera: true, microphone: false });

    // Running late: the coordinator (or the clinician) says so; another clinician may not; the patient sees it.
    expect(await staffB.request('waiting:runningLate', { clinicianId: 'gp-a', minutes: 20 })).toMatchObject({ ok: false, error: { code: 'NOT_PERMITTED' } });
    expect(await desk.request('waiting:runningLate', { clinicianId: 'gp-a', clinicId: CLINIC, minutes: 20 })).toEqual({ ok: true, data: {} });
    expect((await back.until((v) => v.runningLateMinutes === 20)).clinicianName).toBe('Dr GP-A');
    await staffA.untilView((v) => v.runningLate.some((r) => r.clinicianId === 'gp-a' && r.minutes === 20));
    expect(p2.socket.view!.runningLateMinutes).toBeUndefined();
    expect(await staffA.request('waiting:runningLate', { clinicianId: 'gp-a', minutes: 0 })).toEqual({ ok: true, data: {} });
    await back.until((v) => v.runningLateMinutes === undefined);

    // A note to someone waiting reaches them (through the thread), audited with ids only.
    expect(await desk.request('waiting:message', { appointmentId: b1.id, participantId: p2.view.self.id, text: 'The doctor will be with you in five minutes.' })).toEqual({ ok: true, data: {} });
    expect(await p2.socket.event('thread:item')).toMatchObject({ kind: 'text', text: 'The doctor will be with you in five minutes.', to: p2.view.self.id, from: { name: 'Pat Coordinator' } });
    // Not for another clinician's patient.
    expect(await staffA.request('waiting:message', { appointmentId: b1.id, participantId: p2.view.self.id, text: 'hello' })).toMatchObject({ ok: false, error: { code: 'NOT_PERMITTED' } });
    const audit = await s.deps.stores.events.list(b1.id as never);
    const messaged = audit.find((e) => e.type === 'waiting.messaged');
    expect(messaged).toMatchObject({ actor: { role: 'staff', id: 'coord' }, subject: p2.view.self.id });
    expect(JSON.stringify(audit)).not.toContain('five minutes');

    // Re-assigning: only a coordinator; the old clinician's open consultation ends 'reassigned'; the patient stays waiting.
    const gpAConsole = track(await gpA.device.connect({ appointmentId: a2.id }));
    await gpAConsole.until((v) => v.waiting.some((p) => p.id === p3.view.self.id));
    expect(await staffA.request('waiting:reassign', { appointmentId: a2.id, clinicianId: 'gp-b' })).toMatchObject({ ok: false, error: { code: 'NOT_PERMITTED' } });
    expect(await desk.request('waiting:reassign', { appointmentId: a2.id, clinicianId: 'coord' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await desk.request('waiting:reassign', { appointmentId: a2.id, clinicianId: 'gp-b' })).toEqual({ ok: true, data: {} });
    expect(await gpAConsole.event('consultation:ended')).toEqual({ reason: 'reassigned' });
    await staffB.untilView((v) => v.entries.some((e) => e.participantId === p3.view.self.id && e.clinicianId === 'gp-b'));
    await staffA.untilView((v) => !v.entries.some((e) => e.participantId === p3.view.self.id));
    const moved = await p3.socket.until((v) => v.clinicianName === 'Dr GP-B');
    expect(moved.self.state).toBe('waiting');
    expect(p3.socket.socket.connected).toBe(true);
    // The old clinician cannot open it any more; the new one can, and finds the patient waiting.
    await expect(gpA.device.connect({ appointmentId: a2.id })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    const gpBConsole = track(await gpB.device.connect({ appointmentId: a2.id }));
    await gpBConsole.until((v) => v.waiting.some((p) => p.id === p3.view.self.id));
    expect((await s.deps.stores.events.list(a2.id as never)).find((e) => e.type === 'appointment.reassigned')).toMatchObject({ actor: { id: 'coord' }, subject: 'gp-b' });
    // No alert for a re-assigned patient: they did not arrive again.
    expect(staffB.arrivals()).toHaveLength(1);
  });

  it("the patient's 'your clinician knows you are here' is true only while a watching staff socket is connected", async () => {
    const apt = await book('gp-solo', 'Dee Four', null);
    const solo = await clinicianCookie(apt.clinicianUrl);
    const p = await arrive(apt.patientUrl);
    expect(p.view.clinicianAware).toBe(false);
    expect(p.view.clinicianAware).toBe(false);
    expect(p.view.clinic).toBeUndefined();
    const staff = track(await StaffClient.open(s.url, solo.cookie));
    // Connected but not watching yet: not aware.
    await staff.request('alerts:settings', { sound: false });
    expect(p.socket.view!.clinicianAware).toBe(false);
    const watched = await staff.watch('clinic');
    expect(watched.settings).toEqual({ sound: false });
    expect(watched.entries.map((e) => e.participantId)).toEqual([p.view.self.id]);
    await p.socket.until((v) => v.clinicianAware);
    staff.close();
    await p.socket.until((v) => !v.clinicianAware);
    expect((await s.deps.stores.events.list()).some((e) => e.type === 'alerts.changed' && e.subject === 'gp-solo' && e.reason === 'sound-off')).toBe(true);
  });

  it("a revoked staff session's /staff socket is told staff:ended and disconnected; the cookie no longer connects", async () => {
    const coordinator = await coordinatorCookie();
    const desk = track(await StaffClient.open(s.url, coordinator.cookie));
    await desk.watch('clinic');
    const gone = new Promise<string>((resolve) => desk.socket.once('disconnect', (reason) => resolve(reason)));
    expect((await api(s.url, 'DELETE', `/api/v1/sessions/${coordinator.sessionId}`)).status).toBe(204);
    expect(await gone).toBe('io server disconnect');
    expect(desk.events.find((e) => e.name === 'staff:ended')?.payload).toEqual({ reason: 'signed-out' });
    await expect(StaffClient.open(s.url, coordinator.cookie)).rejects.toMatchObject({ data: { code: 'UNAUTHENTICATED' } });
  });

  it('refuses handshakes without a staff session or from a foreign Origin, and answers malformed messages with typed errors', async () => {
    await expect(StaffClient.open(s.url, undefined)).rejects.toMatchObject({ data: { code: 'UNAUTHENTICATED' } });
    // A patient's device cookie is not a staff session.
    const apt = await book('gp-a', 'Eve Five');
    const phone = new Device(s.url);
    await phone.redeem(apt.patientUrl);
    const guest = io(`${s.url}/staff`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: phone.cookieHeader, origin: s.url } });
    const refused = await new Promise<{ data?: { code: string } }>((resolve) => guest.once('connect_error', resolve));
    expect(refused.data?.code).toBe('UNAUTHENTICATED');
    guest.close();
    const coordinator = await coordinatorCookie();
    await expect(StaffClient.open(s.url, coordinator.cookie, 'https://evil.example')).rejects.toThrow();

    const desk = track(await StaffClient.open(s.url, coordinator.cookie));
    for (const [name, payload] of [
      ['waiting:watch', { scope: 'everyone' }],
      ['waiting:watch', null],
      ['waiting:message', { appointmentId: 'x', participantId: 'y', text: 'hi' }],
      ['waiting:message', { appointmentId: apt.id, participantId: apt.id, text: '' }],
      ['waiting:reassign', {}],
      ['waiting:reassign', { appointmentId: apt.id, clinicianId: 'gp-b', extra: 1 }],
      ['waiting:runningLate', { clinicianId: 'gp-a', minutes: 500 }],
      ['waiting:runningLate', { clinicianId: 'gp-a', minutes: 1.5 }],
      ['alerts:settings', { sound: 'yes' }],
    ] as const) {
      const r = (await desk.raw(name, payload)) as Ack<unknown>;
      expect(r, `${name} ${JSON.stringify(payload)}`).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(JSON.stringify(r)).not.toMatch(/stack|\/work\//);
    }
    // Well-formed but about nothing there: NOT_FOUND, not INTERNAL.
    expect(await desk.request('waiting:reassign', { appointmentId: 'AAAAAAAAAAAAAAAAAAAAAA', clinicianId: 'gp-b' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    // A message name the protocol does not have is ignored; the socket still answers.
    desk.socket.emit('waiting:nonsense', { x: 1 });
    expect((await desk.request('waiting:watch', { scope: 'clinic' })).ok).toBe(true);
  });
});

describe('/staff under arbitrary payloads', () => {
  let s: TestServer;
  const closers: { close(): void }[] = [];
  beforeAll(async () => {
    // About payloads, not rates: the per-socket message budget is lifted (handle.ts's limiter has its own tests).
    s = await startTestServer({ SOCKET_MESSAGES_PER_SECOND: '100000', SOCKET_MESSAGE_BURST: '100000' });
    expect((await api(s.url, 'POST', '/api/v1/clinics', { id: CLINIC, name: 'High Street Surgery' })).status).toBe(201);
    await api(s.url, 'PUT', `/api/v1/clinics/${CLINIC}/members/coord`, { roles: ['clinic-coordinator'] });
  });
  afterAll(async () => {
    for (const c of closers) c.close();
    await s?.stop();
  });

  it('answers every message with ok only for schema-valid input, else a typed refusal; never INTERNAL, never a crash', async () => {
    const started = await s.deps.sessions.startStaff(await s.deps.clinics.principalFor('coord', 'Pat Coordinator', []), { device: 'test' }, 'oidc');
    const desk = await StaffClient.open(s.url, started.cookie);
    closers.push(desk);
    const refusals = ['BAD_REQUEST', 'NOT_FOUND', 'NOT_PERMITTED', 'INVALID_TRANSITION', 'NOT_IN_CONSULTATION'];
    for (const name of Object.keys(StaffMessages) as StaffMessageName[]) {
      const schema = Compile(StaffMessages[name]);
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom('scope', 'appointmentId', 'participantId', 'clinicianId', 'clinicId', 'minutes', 'text', 'sound'), fc.anything())), async (payload) => {
          const r = (await desk.raw(name, payload)) as Ack<unknown>;
          if (r.ok) expect(schema.Check(payload), `${name} accepted ${JSON.stringify(payload)}`).toBe(true);
          else {
            expect(refusals, `${name} ${JSON.stringify(payload)} -> ${r.error.code}`).toContain(r.error.code);
            if (!schema.Check(payload)) expect(r.error.code).toBe('BAD_REQUEST');
          }
        }),
        { numRuns: 150 },
      );
    }
    expect(desk.socket.connected).toBe(true);
    expect(s.logs.some((l) => l.includes('"level":50'))).toBe(false);
  });
});
