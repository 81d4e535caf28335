// Graceful shutdown of the real server process: SIGTERM (to the main process,
// as docker stop and systemd's KillMode=mixed send it) makes it not ready and
// refuse new consultations, a live call keeps going during the drain (its
// mediasoup workers stay up), then every page is told the server is
// restarting and its connection dropped (so it reconnects by itself, see
// planned-restart.test.ts), and no mediasoup worker process is left behind.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, createAppointment, Device } from '../support/api.ts';
import { freeMediaPorts, freeTcpPort } from '../support/ports.ts';
import { TEST_API_KEY } from '../support/server.ts';

const children = (pid: number) =>
  spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout.split('\n').map((s) => Number(s.trim())).filter(Boolean);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('graceful shutdown', () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill('SIGKILL'));

  it('drains with media still working, tells connected pages it is restarting, closes workers and exits 0', async () => {
    const port = await freeTcpPort();
    const url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [path.join(process.cwd(), 'server', 'main.ts')], {
      env: {
        ...process.env,
        HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, API_KEYS: TEST_API_KEY, LOG_LEVEL: 'info',
        MEDIASOUP_NUM_WORKERS: '2', MEDIASOUP_PORT: String(await freeMediaPorts(2)), DRAIN_SECONDS: '3',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    await expect.poll(() => out.includes('consultroom is listening'), { timeout: 15_000 }).toBe(true);
    const workers = children(child.pid!);
    expect(workers).toHaveLength(2);

    // A live call: the clinician is in with media.
    const apt = await createAppointment(url);
    const gpDevice = new Device(url);
    await gpDevice.redeem(apt.clinicianUrl);
    const gp = await gpDevice.connect({ appointmentId: apt.id });
    await gp.until((v) => v.self.state === 'admitted');
    expect((await gp.request('media:createTransport', { direction: 'send' })).ok).toBe(true);

    let disconnectReason = '';
    gp.socket.on('disconnect', (reason) => (disconnectReason = reason));
    child.kill('SIGTERM');
    expect(await gp.event('server:draining')).toMatchObject({ deadline: expect.any(String) as string });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'draining' });
    const refused = await api(url, 'POST', '/api/v1/appointments', { clinician: { id: 'gp', name: 'Dr A' }, patient: { name: 'B' }, startsAt: new Date().toISOString(), durationMinutes: 10 });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('SHUTTING_DOWN');
    // Someone who reopens their link during the drain gets in to wait (and moves to the next process with everyone).
    const patientDevice = new Device(url);
    expect((await patientDevice.redeem(apt.patientUrl)).status).toBe(200);
    const patient = await patientDevice.connect();
    await patient.until((v) => v.self.state === 'waiting');
    // The live call still works during the drain, on the same worker processes.
    expect((await gp.request('media:capabilities', {})).ok).toBe(true);
    expect((await gp.request('media:createTransport', { direction: 'recv' })).ok).toBe(true);
    for (const pid of workers) expect(alive(pid)).toBe(true);

    expect(await gp.event('server:restarting', 10_000)).toEqual({});
    // Dropped, not sent away: socket.io-client reconnects after a transport close, not after a server disconnect.
    await expect.poll(() => disconnectReason, { timeout: 5_000 }).toBe('transport close');
    expect(await patient.event('server:restarting', 5_000)).toEqual({});
    expect([...gp.events, ...patient.events].some((e) => e.name === 'consultation:ended')).toBe(false);
    expect(await exited).toBe(0);
    for (const pid of workers) expect(alive(pid)).toBe(false);
    expect(out).toContain('"msg":"stopped"');
  });
});
