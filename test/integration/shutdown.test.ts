// Graceful shutdown of the real server process: SIGTERM makes it not ready
// and refuse new consultations, a live call keeps going during the drain,
// then every page is told, and no mediasoup worker process is left behind.
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

  it('drains, tells connected pages, closes workers and exits 0', async () => {
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

    // A live call: the clinician is in with media; a patient is waiting.
    const apt = await createAppointment(url);
    const gpDevice = new Device(url);
    await gpDevice.redeem(apt.clinicianUrl);
    const gp = await gpDevice.connect({ appointmentId: apt.id });
    await gp.until((v) => v.self.state === 'admitted');
    expect((await gp.request('media:createTransport', { direction: 'send' })).ok).toBe(true);

    child.kill('SIGTERM');
    expect(await gp.event('server:draining')).toMatchObject({ deadline: expect.any(String) as string });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'draining' });
    const refused = await api(url, 'POST', '/api/v1/appointments', { clinician: { id: 'gp', name: 'Dr A' }, patient: { name: 'B' }, startsAt: new Date().toISOString(), durationMinutes: 10 });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('SHUTTING_DOWN');
    // The live call still works during the drain.
    expect((await gp.request('media:capabilities', {})).ok).toBe(true);

    expect(await gp.event('consultation:ended', 10_000)).toEqual({ reason: 'shutdown' });
    expect(await exited).toBe(0);
    for (const pid of workers) expect(alive(pid)).toBe(false);
    expect(out).toContain('"msg":"stopped"');
  });
});
