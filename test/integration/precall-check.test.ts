// The pre-call check over the real server (real socket.io on the consultation
// namespace, /staff and /selftest, a real mediasoup worker, memory and Redis
// stores): a waiting guest's measurements reach the clinic's waiting area with
// the server's own verdict (good, weak, relay only, failed), whatever the page
// claims; a verdict of the page's own, extra fields and numbers out of range
// are refused by the schema and change nothing; only someone waiting may send
// it. The self-test namespace is bounded per client address, and hands out
// relay credentials only when the trust runs TURN, lasting seconds.
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../server/wire/errors.ts';
import type { NetworkMeasurement, NetworkVerdict } from '../../server/wire/precall.ts';
import type { WaitingAreaView } from '../../server/wire/staff-socket.ts';
import { api, Device, type Client } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const CLINICIAN_COOKIE = '__Host-cr_clinician';

/** A console's /staff socket, keeping the latest waiting-area view. */
async function staffSocket(base: string, cookie: string): Promise<{ socket: Socket; latest: () => WaitingAreaView | undefined }> {
  const socket = io(`${base}/staff`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: `${CLINICIAN_COOKIE}=${cookie}`, origin: base } });
  let view: WaitingAreaView | undefined;
  socket.on('waiting:view', (v: WaitingAreaView) => (view = v));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const watched = (await socket.timeout(5000).emitWithAck('waiting:watch', { scope: 'mine' })) as Ack<WaitingAreaView>;
  if (!watched.ok) throw new Error(`watch: ${JSON.stringify(watched.error)}`);
  view = watched.data;
  return { socket, latest: () => view };
}

async function until<T>(what: string, get: () => T, pred: (v: T) => boolean, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = get();
    if (pred(v)) return v;
    if (Date.now() - t0 > ms) throw new Error(`${what}: never happened; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const DEVICES = { camera: true, microphone: true };

for (const store of ['memory', 'redis'] as const) {
  describe(`the pre-call check in the clinic's waiting area (${store} store)`, () => {
    let s: TestServer;
    let redis: RedisServerHandle | undefined;
    const closers: { close(): void }[] = [];
    const track = <T extends { close(): void }>(c: T): T => (closers.push(c), c);

    beforeAll(async () => {
      if (store === 'redis') redis = await startRedisServer();
      s = await startTestServer(redis ? { REDIS_URL: redis.url } : {});
    });
    afterAll(async () => {
      for (const c of closers) c.close();
      await s?.stop();
      await redis?.stop();
    });

    /** An appointment with a patient waiting, and the clinician's waiting area watching. */
    async function waitingPatient() {
      const r = await api(s.url, 'POST', '/api/v1/appointments', {
        clinician: { id: 'gp-check', name: 'Dr Check' },
        patient: { name: 'Wyn Waiting' },
        startsAt: new Date().toISOString(),
        durationMinutes: 15,
      });
      expect(r.status).toBe(201);
      const apt = (await r.json()) as { id: string; clinicianUrl: string; patientUrl: string };
      const laptop = new Device(s.url, 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36');
      expect((await laptop.redeem(apt.clinicianUrl)).status).toBe(200);
      const staff = await staffSocket(s.url, laptop.cookies.get(CLINICIAN_COOKIE)!);
      track(staff.socket);
      const phone = new Device(s.url);
      expect((await phone.redeem(apt.patientUrl)).status).toBe(200);
      const patient = track(await phone.connect());
      const me = (await patient.until((v) => v.self.state === 'waiting')).self.id;
      const entry = () => staff.latest()?.entries.find((e) => e.participantId === me);
      await until('patient listed', entry, (e) => e !== undefined);
      return { apt, laptop, patient, entry };
    }

    const check = (c: Client, payload: unknown) => c.raw('self:check', payload) as Promise<Ack<{ verdict?: NetworkVerdict }>>;

    it("shows each measurement with the server's verdict beside the waiting patient, and acks that verdict", async () => {
      const { patient, entry } = await waitingPatient();
      const cases: [NetworkMeasurement, NetworkVerdict][] = [
        [{ udp: true, tcp: true, relay: true, uploadKbps: 1800, lossPercent: 0.4 }, 'good'],
        [{ udp: true, tcp: true, relay: false, uploadKbps: 120, lossPercent: 0 }, 'weak'],
        [{ udp: true, tcp: true, relay: true, uploadKbps: 2000, lossPercent: 12 }, 'weak'],
        [{ udp: false, tcp: true, relay: true, uploadKbps: 2000 }, 'weak'],
        [{ udp: false, tcp: false, relay: true, uploadKbps: 900 }, 'relay-only'],
        [{ udp: false, tcp: false, relay: false }, 'failed'],
      ];
      for (const [network, verdict] of cases) {
        expect(await check(patient, { camera: true, microphone: false, network }), verdict).toEqual({ ok: true, data: { verdict } });
        const shown = await until(`${verdict} shown`, entry, (e) => e?.check?.network !== undefined && JSON.stringify(e.check.network) === JSON.stringify({ ...network, verdict }));
        expect(shown!.check).toEqual({ camera: true, microphone: false, network: { ...network, verdict } });
      }
      // Camera and microphone only (the page could not reach the self-test): no verdict, and no old network left over.
      expect(await check(patient, { camera: false, microphone: true })).toEqual({ ok: true, data: {} });
      const plain = await until('devices only', entry, (e) => e?.check?.camera === false);
      expect(plain!.check).toEqual({ camera: false, microphone: true });
    });

    it("refuses a page's own verdict, extra fields and out-of-range numbers, keeping what was there", async () => {
      const { patient, entry } = await waitingPatient();
      const good = { udp: false, tcp: false, relay: false };
      expect(await check(patient, { ...DEVICES, network: good })).toEqual({ ok: true, data: { verdict: 'failed' } });
      await until('failed shown', entry, (e) => e?.check?.network?.verdict === 'failed');
      const refused: [string, unknown][] = [
        ['a verdict inside the measurement', { ...DEVICES, network: { udp: false, tcp: false, relay: false, verdict: 'good' } }],
        ['a verdict beside it', { ...DEVICES, network: good, verdict: 'good' }],
        ['an unknown field', { ...DEVICES, network: { ...good, rttMs: 20 } }],
        ['negative upload', { ...DEVICES, network: { ...good, uploadKbps: -1 } }],
        ['upload beyond the bound', { ...DEVICES, network: { ...good, uploadKbps: 1_000_001 } }],
        ['fractional upload', { ...DEVICES, network: { ...good, uploadKbps: 2.5 } }],
        ['loss over 100', { ...DEVICES, network: { ...good, lossPercent: 100.1 } }],
        ['negative loss', { ...DEVICES, network: { ...good, lossPercent: -0.1 } }],
        ['a string for a flag', { ...DEVICES, network: { ...good, udp: 'true' } }],
        ['a missing flag', { ...DEVICES, network: { udp: true, tcp: true } }],
        ['no devices', { network: good }],
        ['not an object', 'good'],
      ];
      for (const [what, payload] of refused) {
        expect(await check(patient, payload), what).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      }
      // Nothing changed: still the server's 'failed'.
      await new Promise((r) => setTimeout(r, 200));
      expect(entry()!.check).toEqual({ ...DEVICES, network: { ...good, verdict: 'failed' } });
      expect(s.logs.join('\n')).not.toMatch(/uploadKbps|lossPercent/);
    });

    it('is for someone waiting only: not the clinician, not someone already let in', async () => {
      const { apt, laptop, patient } = await waitingPatient();
      const network = { udp: true, tcp: true, relay: false, uploadKbps: 900 };
      const gp = track(await laptop.connect({ appointmentId: apt.id }));
      const console1 = await gp.until((v) => v.participants.some((p) => p.state === 'waiting'));
      expect(await check(gp, { ...DEVICES, network })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      const waiting = console1.participants.find((p) => p.state === 'waiting')!;
      expect(await gp.request('lobby:admit', { participantId: waiting.id })).toEqual({ ok: true, data: {} });
      await patient.until((v) => v.self.state === 'admitted');
      expect(await check(patient, { ...DEVICES, network })).toMatchObject({ ok: false, error: { code: 'INVALID_TRANSITION' } });
    });
  });
}

describe('the self-test namespace: per-address cap and relay credentials', () => {
  const SECRET = 'turn-shared-secret-for-selftest-0123';
  let s: TestServer;
  let off: TestServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    s = await startTestServer({ TURN_URLS: 'turn:127.0.0.1:3478?transport=udp', TURN_SECRET: SECRET, SELF_TEST_MAX_PER_ADDRESS: '2', SELF_TEST_RELAY_SECONDS: '20' });
    off = await startTestServer({ TURN_URLS: 'turn:127.0.0.1:3478?transport=udp', TURN_SECRET: SECRET, SELF_TEST_RELAY_SECONDS: '0' });
  });
  afterAll(async () => {
    for (const x of sockets) x.close();
    await s?.stop();
    await off?.stop();
  });

  function selfTest(base: string): Promise<Socket> {
    const socket = io(`${base}/selftest`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { origin: base } });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (e: Error & { data?: { code?: string } }) => reject(Object.assign(new Error(e.message), { code: e.data?.code })));
    });
  }

  it('lets two checks from one address run at once and refuses a third (busy, to try again)', async () => {
    const first = await selfTest(s.url);
    const second = await selfTest(s.url);
    await expect(selfTest(s.url)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    first.close();
    await expect.poll(async () => selfTest(s.url).then((x) => (x.close(), 'connected'), (e: { code?: string }) => e.code ?? 'error'), { timeout: 5000 }).toBe('connected');
    second.close();
  });

  it('hands a check relay credentials that last seconds when TURN is configured, none when turned off', async () => {
    const socket = await selfTest(s.url);
    const caps = (await socket.timeout(5000).emitWithAck('media:capabilities', {})) as Ack<{ iceServers: { urls: string[]; username: string }[]; iceTransportPolicy: string; expiresAt: string | null }>;
    if (!caps.ok) throw new Error(JSON.stringify(caps.error));
    expect(caps.data.iceTransportPolicy).toBe('all');
    expect(caps.data.iceServers).toHaveLength(1);
    expect(caps.data.iceServers[0]!.urls).toEqual(['turn:127.0.0.1:3478?transport=udp']);
    const lifetime = Date.parse(caps.data.expiresAt!) - Date.now();
    expect(lifetime).toBeGreaterThan(0);
    expect(lifetime).toBeLessThanOrEqual(21_000);
    expect(caps.data.iceServers[0]!.username).toMatch(/^\d+:selftest-/);
    socket.close();

    const none = await selfTest(off.url);
    expect(await none.timeout(5000).emitWithAck('media:capabilities', {})).toMatchObject({ ok: true, data: { iceServers: [], expiresAt: null } });
    none.close();
  });
});
