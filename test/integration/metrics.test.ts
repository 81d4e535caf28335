// /metrics in Prometheus format, read before and during a real consultation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppointment, Device } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const TOKEN = 'metrics-token-0123456789';

function value(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').at(-1)) : NaN;
}

describe('metrics', () => {
  let s: TestServer;
  const scrape = async () => {
    const r = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    return r.text();
  };
  beforeAll(async () => {
    s = await startTestServer({ METRICS_TOKEN: TOKEN });
  });
  afterAll(() => s?.stop());

  it('requires the metrics token when one is configured', async () => {
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status).toBe(401);
  });

  it('counts consultations, waiting people, decisions, media and failures as they happen', async () => {
    const before = await scrape();
    for (const name of [
      'consultroom_consultations_active',
      'consultroom_waiting_people',
      'consultroom_socket_connections',
      'consultroom_mediasoup_workers_alive',
      'consultroom_waiting_seconds_count',
      'consultroom_process_resident_memory_bytes',
    ]) {
      expect(before, name).toMatch(new RegExp(`^${name} `, 'm'));
    }
    expect(value(before, 'consultroom_mediasoup_workers_alive')).toBe(1);
    expect(before).toMatch(/^consultroom_mediasoup_worker_cpu_seconds\{worker="0"\} /m);
    expect(value(before, 'consultroom_waiting_people')).toBe(0);

    const apt = await createAppointment(s.url);
    const phone = new Device(s.url);
    await phone.redeem(apt.patientUrl);
    const patient = await phone.connect();
    const pv = await patient.until((v) => v.self.state === 'waiting');
    await expect.poll(async () => value(await scrape(), 'consultroom_waiting_people')).toBe(1);

    const gpDevice = new Device(s.url);
    await gpDevice.redeem(apt.clinicianUrl);
    const gp = await gpDevice.connect({ appointmentId: apt.id });
    await gp.request('lobby:admit', { participantId: pv.self.id });
    await patient.until((v) => v.self.state === 'admitted');
    await patient.request('media:createTransport', { direction: 'send' });
    await new Device(s.url).fetch('POST', '/api/v1/session', { token: 'not.a.token-at-all' });

    const during = await scrape();
    expect(value(during, 'consultroom_waiting_people')).toBe(0);
    expect(value(during, 'consultroom_consultations_active')).toBe(1);
    expect(value(during, 'consultroom_socket_connections')).toBe(2);
    expect(value(during, 'consultroom_lobby_decisions_total', '{decision="admitted"}')).toBe(1);
    expect(value(during, 'consultroom_waiting_seconds_count')).toBe(1);
    expect(value(during, 'consultroom_media_objects', '{kind="transports"}')).toBe(1);
    expect(value(during, 'consultroom_join_failures_total', '{reason="TOKEN_INVALID"}')).toBe(1);
    // Nothing that identifies anyone.
    expect(during).not.toContain(apt.id);
    expect(during).not.toContain('Jane Doe');

    await gp.request('consultation:end', {});
    await expect.poll(async () => value(await scrape(), 'consultroom_consultations_active')).toBe(0);
    patient.close();
    gp.close();
  });
});
