// A planned restart, with real processes: the server on Redis (AOF) gets
// SIGTERM as `docker stop` or systemd's KillMode=mixed deliver it (to the main
// process only). Media keeps working through the drain (the mediasoup worker
// processes stay up), every page is told `server:restarting` at the end, and
// pages (socket.io-client with reconnection on, as the real pages) reconnect
// by themselves to a new process on the same port and Redis, which finds the
// clinician still admitted and the patient still waiting: nobody is
// re-admitted, nobody asked to join again.
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, createAppointment, Device } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { alive, serverProcess, type ServerProcess } from '../../support/server-process.ts';

/** A page's socket: reconnects by itself, as socket.io-client does in the browser. */
function pageSocket(device: Device, auth?: Record<string, unknown>): Promise<Client & { reconnects: () => number }> {
  const socket = io(device.base, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: true,
    reconnectionDelay: 200,
    reconnectionDelayMax: 1000,
    extraHeaders: { cookie: device.cookieHeader, origin: device.base, 'user-agent': device.userAgent },
    ...(auth ? { auth } : {}),
  });
  let reconnects = 0;
  socket.io.on('reconnect', () => reconnects++);
  const client = Object.assign(new Client(socket), { reconnects: () => reconnects });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('connect_error', reject);
  });
}

describe('planned restart (SIGTERM, drain, a new process on the same Redis)', () => {
  let redis: RedisServerHandle;
  let server: ServerProcess;
  beforeAll(async () => {
    redis = await startRedisServer({ appendOnly: true });
    server = await serverProcess({ workers: 2, redisUrl: redis.url, env: { DRAIN_SECONDS: '5' } });
    await server.start();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  it('keeps media through the drain, then pages reconnect by themselves and find their places', async () => {
    const url = server.url;
    const workers = server.workerPids();
    expect(workers).toHaveLength(2);

    const apt = await createAppointment(url);
    const gpDevice = new Device(url);
    expect((await gpDevice.redeem(apt.clinicianUrl)).status).toBe(200);
    const gp = await pageSocket(gpDevice, { appointmentId: apt.id });
    await gp.until((v) => v.self.state === 'admitted');
    expect((await gp.request('media:createTransport', { direction: 'send' })).ok).toBe(true);
    const patientDevice = new Device(url);
    expect((await patientDevice.redeem(apt.patientUrl)).status).toBe(200);
    const patient = await pageSocket(patientDevice);
    await patient.until((v) => v.self.state === 'waiting');
    const patientId = patient.view!.self.id;
    await gp.until((v) => v.waiting.some((p) => p.id === patientId));

    server.signal('SIGTERM');
    await gp.event('server:draining');
    // The drain: media requests still reach a live worker, whose process is still there.
    const during = await gp.request('media:createTransport', { direction: 'recv' });
    expect(during.ok).toBe(true);
    expect(server.workerPids().sort()).toEqual([...workers].sort());
    for (const pid of workers) expect(alive(pid)).toBe(true);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    // HTTP goes on serving the pages' sessions (a reload during the drain).
    expect((await patientDevice.fetch('GET', '/api/v1/session')).status).toBe(200);

    // The end of the drain: told, then cut off (not told to join again).
    await gp.event('server:restarting', 15_000);
    await patient.event('server:restarting', 5_000);
    expect(await server.exited(15_000)).toBe(0);
    for (const pid of workers) await expect.poll(() => alive(pid), { timeout: 5_000 }).toBe(false);

    const gpViews = gp.views.length;
    const patientViews = patient.views.length;
    await server.start();
    // Both pages are back on the new process without anyone doing anything.
    await expect.poll(() => gp.reconnects() >= 1 && patient.reconnects() >= 1, { timeout: 20_000, interval: 100 }).toBe(true);
    const gpView = await gp.until((v) => gp.views.length > gpViews && v.self.state === 'admitted', 10_000);
    expect(gpView.waiting.map((p) => p.id)).toEqual([patientId]);
    const patientView = await patient.until((v) => patient.views.length > patientViews && v.self.state === 'waiting', 10_000);
    expect(patientView.self.id).toBe(patientId);
    // The clinician's media works on the new process; no page was ended.
    expect((await gp.request('media:createTransport', { direction: 'send' })).ok).toBe(true);
    for (const c of [gp, patient]) expect(c.events.filter((e) => e.name === 'consultation:ended')).toEqual([]);
    // The new process admitted nobody: the patient is let in only when the clinician says so.
    expect((await gp.request('lobby:admit', { participantId: patientId })).ok).toBe(true);
    await patient.until((v) => v.self.state === 'admitted');
    expect(server.logs().filter((l) => /"level":(50|60)/.test(l) && !l.includes('mediasoup'))).toEqual([]);
    for (const c of [gp, patient]) c.close();
  }, 90_000);
});
