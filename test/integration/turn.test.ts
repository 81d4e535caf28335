// TURN credentials: coturn's REST API scheme, only for admitted participants,
// and no STUN/TURN server at all unless the trust configured its own.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/load.ts';
import { createAppointment, Device } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const SECRET = 'turn-shared-secret-0123456789';

describe('TURN credentials', () => {
  let s: TestServer;
  let plain: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ TURN_URLS: 'turn:127.0.0.1:3478?transport=udp,turn:127.0.0.1:3478?transport=tcp', TURN_SECRET: SECRET, TURN_TTL_SECONDS: '900' });
    plain = await startTestServer();
  });
  afterAll(async () => {
    await s?.stop();
    await plain?.stop();
  });

  it('are given to admitted participants only, and verify with the shared secret', async () => {
    const apt = await createAppointment(s.url);
    const phone = new Device(s.url);
    await phone.redeem(apt.patientUrl);
    const patient = await phone.connect();
    const pv = await patient.until((v) => v.self.state === 'waiting');
    expect(await patient.request('media:capabilities', {})).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    const gpDevice = new Device(s.url);
    await gpDevice.redeem(apt.clinicianUrl);
    const gp = await gpDevice.connect({ appointmentId: apt.id });
    await gp.request('lobby:admit', { participantId: pv.self.id });
    await patient.until((v) => v.self.state === 'admitted');
    const caps = await patient.request('media:capabilities', {});
    if (!caps.ok) throw new Error(caps.error.code);
    expect(caps.data.iceTransportPolicy).toBe('all');
    const [server] = caps.data.iceServers;
    expect(server!.urls).toEqual(['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp']);
    const [expiry, who] = server!.username.split(':');
    expect(who).toBe(pv.self.id);
    expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(890);
    expect(Number(expiry) - Date.now() / 1000).toBeLessThanOrEqual(900);
    expect(server!.credential).toBe(createHmac('sha1', SECRET).update(server!.username).digest('base64'));
    patient.close();
    gp.close();
  });

  it('are absent, with no STUN server either, when no TURN relay is configured', async () => {
    const apt = await createAppointment(plain.url);
    const gpDevice = new Device(plain.url);
    await gpDevice.redeem(apt.clinicianUrl);
    const gp = await gpDevice.connect({ appointmentId: apt.id });
    await gp.until((v) => v.self.state === 'admitted');
    expect(await gp.request('media:capabilities', {})).toMatchObject({ ok: true, data: { iceServers: [], iceTransportPolicy: 'all' } });
    gp.close();
  });

  it('refuses a TURN URL without a secret at start-up, naming the key', () => {
    expect(() => loadConfig({ TURN_URLS: 'turn:turn.trust.nhs.uk:3478' })).toThrow(ConfigError);
    expect(() => loadConfig({ TURN_URLS: 'stun:stun.l.google.com:19302', TURN_SECRET: SECRET })).toThrow(/turn\.urls\.0/);
  });
});
