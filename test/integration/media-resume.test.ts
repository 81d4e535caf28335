// Media outlives a signalling blip (issue 13), over real socket.io, a real
// mediasoup worker, and the memory store and Redis: a participant's media is
// held after their socket drops and taken over by their next socket
// (media:resume), closed after the grace period when nobody came back and no
// media flows, and closed at once when the clinician sends them back; a newer
// socket of the same person replaces the older; the clinician sees
// "reconnecting"; a drain refuses new rooms but not live ones or returning
// sockets; and restartAll() makes a socket.io-client reconnect by itself, here
// to a new process on the same Redis, which finds the patient still admitted.
import { io as connectIo, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../server/wire/errors.ts';
import type { ConsultationView } from '../../server/wire/participants.ts';
import { createAppointment, Device, type Client } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.ts';

const OPUS = {
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: { minptime: 10, useinbandfec: 1 } }],
  encodings: [{ ssrc: 11111111 }],
  rtcp: { cname: 'resume' },
};
const RECV_CAPS = {
  codecs: [{ kind: 'audio' as const, mimeType: 'audio/opus', preferredPayloadType: 100, clockRate: 48000, channels: 2 }],
  headerExtensions: [],
};

interface Consultation {
  aptId: string;
  patientDevice: Device;
  patient: Client;
  patientId: string;
  gp: Client;
}

/** A consultation with the clinician connected and the patient admitted (or only waiting). */
async function openConsultation(s: TestServer, track: (c: Client) => Client, admit = true): Promise<Consultation> {
  const apt = await createAppointment(s.url);
  const patientDevice = new Device(s.url);
  expect((await patientDevice.redeem(apt.patientUrl)).status).toBe(200);
  const patient = track(await patientDevice.connect());
  const patientId = (await patient.until((v) => v.self.state === 'waiting')).self.id;
  const gpDevice = new Device(s.url, 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36');
  expect((await gpDevice.redeem(apt.clinicianUrl)).status).toBe(200);
  const gp = track(await gpDevice.connect({ appointmentId: apt.id }));
  if (admit) {
    expect(await gp.request('lobby:admit', { participantId: patientId })).toEqual({ ok: true, data: {} });
    await patient.until((v) => v.self.state === 'admitted');
  }
  return { aptId: apt.id, patientDevice, patient, patientId, gp };
}

function ok<T>(a: Ack<T>): T {
  if (!a.ok) throw new Error(`refused: ${JSON.stringify(a.error)}`);
  return a.data;
}

async function transports(c: Client): Promise<{ send: string; recv: string }> {
  ok(await c.request('media:capabilities', {}));
  const send = ok(await c.request('media:createTransport', { direction: 'send' })).id;
  const recv = ok(await c.request('media:createTransport', { direction: 'recv' })).id;
  return { send, recv };
}

const connectionOf = (v: ConsultationView, participantId: string) => v.participants.find((p) => p.id === participantId)?.connection;

async function metrics(s: TestServer): Promise<string> {
  const res = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  return res.text();
}

describe.each(['memory', 'redis'] as const)('media outlives a signalling blip (%s store)', (store) => {
  let s: TestServer;
  let redis: RedisServerHandle | undefined;
  const clients: Client[] = [];
  const track = (c: Client) => (clients.push(c), c);

  beforeAll(async () => {
    if (store === 'redis') redis = await startRedisServer();
    s = await startTestServer(redis ? { REDIS_URL: redis.url } : {});
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await s?.stop();
    await redis?.stop();
  });

  it("a patient's next socket takes over their media: same transports, ICE restartable; the clinician sees them reconnecting, then online", async () => {
    const c = await openConsultation(s, track);
    const mine = await transports(c.patient);
    await c.gp.until((v) => connectionOf(v, c.patientId) === 'online');

    c.patient.close();
    const away = await c.gp.until((v) => connectionOf(v, c.patientId) === 'reconnecting');
    expect(away.participants.find((p) => p.id === c.patientId)).toMatchObject({ connected: false, state: 'admitted' });
    expect(s.deps.rooms.get(c.aptId)!.existingPeer(c.patientId)?.transportIds().sort()).toEqual([mine.send, mine.recv].sort());

    const back = track(await c.patientDevice.connect());
    await back.until((v) => v.self.state === 'admitted');
    await c.gp.until((v) => connectionOf(v, c.patientId) === 'online');
    expect(await back.request('media:resume', { transportIds: [mine.send, mine.recv] })).toEqual({ ok: true, data: { resumed: true } });
    const restarted = ok(await back.request('media:restartIce', { transportId: mine.send }));
    expect(restarted.iceParameters).toMatchObject({ usernameFragment: expect.any(String) as string });
    // Still the same media: a second transport of a kind is refused, not made.
    expect(await back.request('media:createTransport', { direction: 'send' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });

    const m = await metrics(s);
    expect(m).toMatch(/consultroom_media_resumptions_total\{resumed="true"\} [1-9]/);
    expect(m).toMatch(/consultroom_ice_restarts_total [1-9]/);
    expect(m).toMatch(/consultroom_socket_events_total\{event="disconnect",reason="[^"]+"\} [1-9]/);
  });

  it('a resume naming other transports closes what is left; the page starts afresh', async () => {
    const c = await openConsultation(s, track);
    const mine = await transports(c.patient);
    expect(await c.patient.request('media:resume', { transportIds: [mine.send] })).toEqual({ ok: true, data: { resumed: false } });
    expect(s.deps.rooms.get(c.aptId)!.existingPeer(c.patientId)).toBeUndefined();
    expect(await c.patient.request('media:restartIce', { transportId: mine.send })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    // A fresh start works.
    const again = await transports(c.patient);
    expect(again.send).not.toBe(mine.send);
    expect(await metrics(s)).toMatch(/consultroom_media_resumptions_total\{resumed="false"\} [1-9]/);
  });

  it("another participant's transport ids resume nothing, and leave that participant's media alone", async () => {
    const c = await openConsultation(s, track);
    const gpMedia = await transports(c.gp);
    const patientMedia = await transports(c.patient);
    // The patient names the clinician's transports: not theirs, so nothing is resumed.
    expect(await c.patient.request('media:resume', { transportIds: [gpMedia.send, gpMedia.recv] })).toEqual({ ok: true, data: { resumed: false } });
    expect(await c.patient.request('media:restartIce', { transportId: gpMedia.send })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    // The clinician's media is untouched and still theirs; the patient's own is released (a fresh start follows).
    expect(await c.gp.request('media:resume', { transportIds: [gpMedia.send, gpMedia.recv] })).toEqual({ ok: true, data: { resumed: true } });
    expect(ok(await c.gp.request('media:restartIce', { transportId: gpMedia.recv })).iceParameters).toBeTruthy();
    expect(await c.patient.request('media:restartIce', { transportId: patientMedia.send })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it("peer events reach the participant's new socket, not the one that made the peer", async () => {
    const c = await openConsultation(s, track);
    const gpSend = ok(await c.gp.request('media:createTransport', { direction: 'send' })).id;
    ok(await c.gp.request('media:capabilities', {}));
    const producerId = ok(await c.gp.request('media:produce', { transportId: gpSend, kind: 'audio', source: 'microphone', rtpParameters: OPUS })).id;
    const recv = ok(await c.patient.request('media:createTransport', { direction: 'recv' })).id;
    const consumer = ok(await c.patient.request('media:consume', { transportId: recv, producerId, rtpCapabilities: RECV_CAPS }));

    c.patient.close();
    const back = track(await c.patientDevice.connect());
    await back.until((v) => v.self.state === 'admitted');
    expect(ok(await back.request('media:resume', { transportIds: [recv] }))).toEqual({ resumed: true });
    ok(await c.gp.request('media:closeProducer', { producerId }));
    expect(await back.event('media:consumerClosed')).toEqual({ consumerId: consumer.id });
  });

  it('a sent-back participant loses their held media at once, within the grace period', async () => {
    const c = await openConsultation(s, track);
    await transports(c.patient);
    c.patient.close();
    await c.gp.until((v) => connectionOf(v, c.patientId) === 'reconnecting');
    const room = s.deps.rooms.get(c.aptId)!;
    expect(room.peerHeld(c.patientId)).toBe(true);

    expect(await c.gp.request('lobby:sendBack', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    expect(room.existingPeer(c.patientId)).toBeUndefined();
    expect(room.peerHeld(c.patientId)).toBe(false);
    await c.gp.until((v) => connectionOf(v, c.patientId) === 'offline');
    const back = track(await c.patientDevice.connect());
    await back.until((v) => v.self.state === 'waiting');
    expect(await back.request('media:resume', { transportIds: ['AAAAAAAAAAAAAAAAAAAAAA'] })).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
  });

  it("a newer socket of the same person replaces the older one ('replaced') and keeps their media", async () => {
    const c = await openConsultation(s, track);
    const mine = await transports(c.patient);
    const closed = new Promise<string>((resolve) => c.patient.socket.once('disconnect', (reason) => resolve(reason)));

    const newer = track(await c.patientDevice.connect());
    expect(await c.patient.event('consultation:ended')).toEqual({ reason: 'replaced' });
    expect(await closed).toBe('io server disconnect');
    await newer.until((v) => v.self.state === 'admitted');
    expect(s.deps.presence.socketsOf(c.patientId)).toBe(1);
    const room = s.deps.rooms.get(c.aptId)!;
    expect(room.peerHeld(c.patientId)).toBe(false);
    expect(ok(await newer.request('media:resume', { transportIds: [mine.recv, mine.send] }))).toEqual({ resumed: true });
    expect(newer.socket.connected).toBe(true);
    expect(await metrics(s)).toMatch(/consultroom_socket_events_total\{event="replaced",reason=""\} [1-9]/);
  });
});

describe('held media expires after the grace period', () => {
  let s: TestServer;
  const clients: Client[] = [];
  const track = (c: Client) => (clients.push(c), c);
  beforeAll(async () => {
    s = await startTestServer({ MEDIA_RESUME_GRACE_SECONDS: '1' });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await s?.stop();
  });

  it('with no media flowing, the peer is closed, the clinician sees them offline, and resume answers false', async () => {
    const c = await openConsultation(s, track);
    const mine = await transports(c.patient);
    c.patient.close();
    await c.gp.until((v) => connectionOf(v, c.patientId) === 'reconnecting');
    await c.gp.until((v) => connectionOf(v, c.patientId) === 'offline', 10_000);
    const room = s.deps.rooms.get(c.aptId)!;
    expect(room.existingPeer(c.patientId)).toBeUndefined();
    expect(room.peerHeld(c.patientId)).toBe(false);

    const back = track(await c.patientDevice.connect());
    await back.until((v) => v.self.state === 'admitted');
    expect(ok(await back.request('media:resume', { transportIds: [mine.send, mine.recv] }))).toEqual({ resumed: false });
    expect(await metrics(s)).toMatch(/consultroom_media_expired_total [1-9]/);
    expect(s.logs.some((l) => l.includes('nobody came back within the grace period') && !l.includes('Jane Doe'))).toBe(true);
  });
});

describe('a drain', () => {
  let s: TestServer;
  const clients: Client[] = [];
  const track = (c: Client) => (clients.push(c), c);
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await s?.stop();
  });

  it('refuses a new room with SHUTTING_DOWN; a live one goes on; sockets of existing sessions come back, waiting people still waiting', async () => {
    const live = await openConsultation(s, track);
    ok(await live.patient.request('media:capabilities', {}));
    const waiting = await openConsultation(s, track, false);
    const idle = await openConsultation(s, track);
    s.deps.lifecycle.startDraining(Date.now() + 60_000);
    await live.patient.event('server:draining');

    // The live call: media calls go on, and a dropped socket comes back and resumes.
    const send = ok(await live.patient.request('media:createTransport', { direction: 'send' })).id;
    live.patient.close();
    const back = track(await live.patientDevice.connect());
    await back.until((v) => v.self.state === 'admitted');
    expect(ok(await back.request('media:resume', { transportIds: [send] }))).toEqual({ resumed: true });

    // No Router yet for this one: refused, retryably.
    expect(await idle.patient.request('media:capabilities', {})).toMatchObject({ ok: false, error: { code: 'SHUTTING_DOWN' } });
    expect(s.deps.rooms.get(idle.aptId)).toBeUndefined();

    // A waiting patient whose socket dropped is let back in, still waiting, in their place.
    waiting.patient.close();
    const again = track(await waiting.patientDevice.connect());
    const v = await again.until((x) => x.self.state === 'waiting');
    expect(v.self.id).toBe(waiting.patientId);
  });
});

describe('restartAll', () => {
  let redis: RedisServerHandle;
  let first: TestServer | undefined;
  let second: TestServer | undefined;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    for (const x of sockets) x.close();
    await first?.stop().catch(() => undefined);
    await second?.stop();
    await redis.stop();
  });

  it('tells pages, drops their connections, and socket.io-client reconnects by itself to the next process, still admitted', async () => {
    first = await startTestServer({ REDIS_URL: redis.url });
    // A dead connection is noticed within 15 s (heartbeat from config), not socket.io's default 45 s.
    expect(first.app.io.engine.opts).toMatchObject({ pingInterval: 10_000, pingTimeout: 5_000 });
    const port = first.config.server.port;
    const c = await openConsultation(first, (x) => (sockets.push(x.socket), x));
    // A page's socket as the client makes it: reconnecting on its own.
    const page = connectIo(first.url, {
      transports: ['websocket'],
      forceNew: true,
      // Long enough that the first attempt comes after this process has stopped listening.
      reconnectionDelay: 1000,
      reconnectionDelayMax: 1000,
      extraHeaders: { cookie: c.patientDevice.cookieHeader, origin: first.url, 'user-agent': c.patientDevice.userAgent },
    });
    sockets.push(page);
    const views: ConsultationView[] = [];
    const events: string[] = [];
    page.on('consultation:state', (v: ConsultationView) => views.push(v));
    page.onAny((name: string) => events.push(name));
    await new Promise<void>((resolve, reject) => {
      page.once('connect', () => resolve());
      page.once('connect_error', reject);
    });
    const dropped = new Promise<string>((resolve) => page.once('disconnect', (reason) => resolve(reason)));

    first.app.restartAll();
    const reason = await dropped;
    expect(events).toContain('server:restarting');
    expect(events).not.toContain('consultation:ended');
    expect(reason).toBe('transport close');
    expect(page.active).toBe(true);
    await first.stop();
    first = undefined;

    const reconnected = new Promise<void>((resolve) => page.io.once('reconnect', () => resolve()));
    second = await startTestServer({ REDIS_URL: redis.url, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` });
    await reconnected;
    await expect.poll(() => views.at(-1)?.self.state, { timeout: 10_000 }).toBe('admitted');
    expect(views.at(-1)?.self.id).toBe(c.patientId);
  });
});
