// What pushing a waiting patient their view reads from Redis, on a node where
// nobody of the appointment but waiting guests is connected: one MGET of the
// appointment and their own record (not the appointment's participant list),
// and the clinician's running-late notice from the node's copy. Once the
// clinician connects to this node, pushes read the whole list again, and the
// clinician sees the patient waiting.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppointment, Device, type Client } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pushing a waiting patient their view', () => {
  let redis: RedisServerHandle;
  let s: TestServer;
  let monitor: Redis;
  /** Every command the server sent Redis (MONITOR), as its arguments. */
  const seen: string[][] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    redis = await startRedisServer({ appendOnly: false });
    s = await startTestServer({ REDIS_URL: redis.url });
    monitor = new Redis(redis.url);
    const m = await monitor.monitor();
    // Commands the server sent (not those its scripts ran).
    m.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') seen.push(args);
    });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    monitor?.disconnect();
    await s?.stop();
    await redis?.stop();
  });

  async function waitingPatient(): Promise<{ id: string; clinicianUrl: string; patient: Client }> {
    const apt = await createAppointment(s.url);
    const phone = new Device(s.url);
    expect((await phone.redeem(apt.patientUrl)).status).toBe(200);
    seen.length = 0; // from the socket on
    const patient = await phone.connect();
    clients.push(patient);
    await patient.until((v) => v.self.state === 'waiting');
    return { id: apt.id, clinicianUrl: apt.clinicianUrl, patient };
  }

  const named = (part: string) => (args: string[]) => args.slice(1).some((a) => a.includes(part));

  it('reads only the appointment and their own record, then everyone once the clinician is here', async () => {
    // The first one loads the scripts and the clinician's running-late notice.
    await waitingPatient();
    await sleep(600);

    const { id, clinicianUrl, patient } = await waitingPatient();
    await sleep(600); // presence changes settle for 250 ms before their push
    const view = patient.view!;
    expect(view).toMatchObject({ appointmentId: id, participants: [], waiting: [], admitted: [], clinicianName: 'Dr Asha Patel' });
    const lines = [...seen];
    const cmd = (args: string[]) => args[0]!.toLowerCase();
    // No read of the appointment's participant list, nor of the running-late notice.
    expect(lines.filter(named(`appointment-participants:${id}`))).toEqual([]);
    expect(lines.filter(named('running-late:'))).toEqual([]);
    // Each push: one MGET of the appointment and the patient's record.
    const pushes = lines.filter((a) => cmd(a) === 'mget' && a[1]!.endsWith(`appointment:${id}`));
    expect(pushes.length).toBeGreaterThanOrEqual(1);
    for (const p of pushes) expect(p.slice(2).map((k) => k.replace(/[^:]*$/, ''))).toEqual(['cr:participant:']);

    // The clinician opens it on this node: their view needs everyone (the narrow read finds a clinician and reads all).
    const laptop = new Device(s.url, 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36');
    expect((await laptop.redeem(clinicianUrl)).status).toBe(200);
    const gp = await laptop.connect({ appointmentId: id });
    clients.push(gp);
    const gpView = await gp.until((v) => v.waiting.length === 1);
    expect(gpView.waiting[0]).toMatchObject({ state: 'waiting', role: 'patient' });
    // The patient's view is unchanged but for the appointment's status (live now) and what the clinic says.
    await sleep(600);
    expect({ ...patient.view!, clinicianAware: view.clinicianAware }).toEqual({ ...view, status: patient.view!.status });
  });
});
