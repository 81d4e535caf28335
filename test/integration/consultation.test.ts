// The consultation over real HTTP, real socket.io connections and a real
// mediasoup worker: appointment, one-time link, waiting room, admission, and
// the server-side refusals that keep an uninvited or waiting person out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createAppointment, Device, type Client } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const DTLS = { role: 'client' as const, fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] };
const RTP = { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1111 }] };

describe('consultation over socket.io', () => {
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

  it('creates an appointment only with an API key and a valid body', async () => {
    expect((await api(s.url, 'POST', '/api/v1/appointments', {}, '')).status).toBe(401);
    expect((await api(s.url, 'POST', '/api/v1/appointments', {}, 'x'.repeat(40))).status).toBe(401);
    const bad = await api(s.url, 'POST', '/api/v1/appointments', { clinician: { id: 'gp' }, patient: { name: 'A' }, startsAt: 'soon', durationMinutes: 1, extra: true });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { code: string; details: { key: string }[] };
    expect(body.code).toBe('BAD_REQUEST');
    expect(JSON.stringify(body)).not.toContain('stack');
    const created = await createAppointment(s.url);
    expect(created.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(created.patientUrl).toMatch(new RegExp(`^${s.url}/join#t=`));
    expect(created.clinicianUrl).toMatch(new RegExp(`^${s.url}/console#t=.+&a=${created.id}$`));
  });

  it('keeps a waiting patient out of all media until the clinician admits them', async () => {
    const apt = await createAppointment(s.url);
    const phone = new Device(s.url);
    const redeemed = await phone.redeem(apt.patientUrl);
    expect(redeemed.status).toBe(200);
    expect(redeemed.headers.getSetCookie().join(';')).toMatch(/HttpOnly/);
    expect(redeemed.headers.getSetCookie().join(';')).toMatch(/SameSite=Strict/);
    // Not the patient's name: whoever holds the link learns only the clinician and the time until let in.
    const info = (await redeemed.json()) as Record<string, unknown>;
    expect(info).toMatchObject({ kind: 'guest', state: 'waiting', linkReused: false, resumed: false, clinicianName: 'Dr Asha Patel' });
    expect(info).not.toHaveProperty('name');

    const patient = track(await phone.connect());
    const waiting = await patient.until((v) => v.self.state === 'waiting');
    expect(waiting.participants).toEqual([]);
    for (const [name, payload] of [
      ['media:capabilities', {}],
      ['media:producers', {}],
      ['media:createTransport', { direction: 'send' }],
      ['media:connectTransport', { transportId: 'abc', dtlsParameters: DTLS }],
      ['media:produce', { transportId: 'abc', kind: 'audio', rtpParameters: RTP, source: 'microphone' }],
      ['media:consume', { transportId: 'abc', producerId: 'def', rtpCapabilities: {} }],
      ['media:resumeConsumer', { consumerId: 'abc' }],
    ] as const) {
      const r = await patient.raw(name, payload);
      expect(r, name).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    }
    expect(await patient.request('lobby:admit', { participantId: waiting.self.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(s.deps.rooms.all()).toHaveLength(0);

    const laptop = new Device(s.url, 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36');
    expect((await laptop.redeem(apt.clinicianUrl)).status).toBe(200);
    const gp = track(await laptop.connect({ appointmentId: apt.id }));
    const console1 = await gp.until((v) => v.participants.some((p) => p.state === 'waiting'));
    const listed = console1.participants.find((p) => p.id === waiting.self.id)!;
    expect(listed).toMatchObject({ name: 'Jane Doe', role: 'patient', device: 'Safari on iPhone', connected: true, linkReused: false });
    expect(Date.parse(listed.waitingSince!)).toBeLessThanOrEqual(Date.now());
    expect(console1.self).toMatchObject({ role: 'clinician', state: 'admitted' });

    expect(await gp.request('lobby:admit', { participantId: waiting.self.id })).toEqual({ ok: true, data: {} });
    const admitted = await patient.until((v) => v.self.state === 'admitted');
    // Once let in, the patient's own page may show their name again.
    expect(admitted.self.name).toBe('Jane Doe');
    expect(await (await phone.fetch('GET', '/api/v1/session')).json()).toMatchObject({ name: 'Jane Doe', state: 'admitted' });
    expect(admitted.participants.map((p) => p.role)).toEqual(['clinician']);
    const caps = await patient.request('media:capabilities', {});
    expect(caps.ok).toBe(true);
    const t = await patient.request('media:createTransport', { direction: 'send' });
    expect(t.ok && typeof t.data.id).toBe('string');
    expect(s.deps.rooms.all()).toHaveLength(1);

    // Sent back: media is gone at once, and refused again.
    expect(await gp.request('lobby:sendBack', { participantId: waiting.self.id })).toEqual({ ok: true, data: {} });
    await patient.event('media:reset');
    await patient.until((v) => v.self.state === 'waiting');
    expect(await patient.request('media:createTransport', { direction: 'recv' })).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    expect(s.deps.rooms.get(apt.id)!.existingPeer(waiting.self.id)).toBeUndefined();
  });

  it('flags a second device on the same link and never lets it displace the first', async () => {
    const apt = await createAppointment(s.url);
    const first = new Device(s.url);
    await first.redeem(apt.patientUrl);
    const firstSocket = track(await first.connect());
    const firstView = await firstSocket.until((v) => v.self.state === 'waiting');
    const gpDevice = new Device(s.url);
    await gpDevice.redeem(apt.clinicianUrl);
    const gp = track(await gpDevice.connect({ appointmentId: apt.id }));
    await gp.request('lobby:admit', { participantId: firstView.self.id });
    await firstSocket.until((v) => v.self.state === 'admitted');

    const forwarded = new Device(s.url, 'Mozilla/5.0 (Linux; Android 14) Chrome/156.0 Mobile Safari/537.36');
    const r = await forwarded.redeem(apt.patientUrl);
    expect(await r.json()).toMatchObject({ kind: 'guest', state: 'waiting', linkReused: true, resumed: false });
    const second = track(await forwarded.connect());
    const secondView = await second.until((v) => v.self.state === 'waiting');
    expect(secondView.self.id).not.toBe(firstView.self.id);
    expect(await second.request('media:createTransport', { direction: 'send' })).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    const seen = await gp.until((v) => v.participants.some((p) => p.linkReused));
    expect(seen.participants.find((p) => p.linkReused)).toMatchObject({ state: 'waiting', device: 'Chrome on Android' });
    // The first device is still admitted, untouched.
    expect(firstSocket.view!.self.state).toBe('admitted');
    expect(firstSocket.socket.connected).toBe(true);

    // The first device coming back resumes where it was, without a new admission.
    firstSocket.close();
    const again = await first.redeem(apt.patientUrl);
    expect(await again.json()).toMatchObject({ state: 'admitted', resumed: true, linkReused: false });
    const back = track(await first.connect());
    await back.until((v) => v.self.state === 'admitted' && v.self.id === firstView.self.id);

    // Deny the forwarded device: it is told and disconnected.
    await gp.request('lobby:deny', { participantId: secondView.self.id });
    expect(await second.event('consultation:ended')).toEqual({ reason: 'denied' });
    expect((await forwarded.redeem(apt.patientUrl)).status).toBe(403);
  });

  it('refuses socket connections from a foreign Origin and without a session', async () => {
    const apt = await createAppointment(s.url);
    const d = new Device(s.url);
    await d.redeem(apt.patientUrl);
    await expect(d.connect(undefined, 'https://evil.example')).rejects.toThrow();
    await expect(new Device(s.url).connect()).rejects.toMatchObject({ data: { code: 'UNAUTHENTICATED' } });
  });

  it('lets only that appointment’s clinician open it', async () => {
    const apt = await createAppointment(s.url, { clinicianId: 'gp-A' });
    const other = await createAppointment(s.url, { clinicianId: 'gp-B' });
    const b = new Device(s.url);
    await b.redeem(other.clinicianUrl);
    await expect(b.connect({ appointmentId: apt.id })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });

  it('ends the consultation for everyone and retires every link', async () => {
    const apt = await createAppointment(s.url);
    const invite = await api(s.url, 'POST', `/api/v1/appointments/${apt.id}/invites`, { name: 'Sam Interpreter', role: 'interpreter' });
    expect(invite.status).toBe(201);
    const { url: interpreterUrl } = (await invite.json()) as { url: string };
    const phone = new Device(s.url);
    await phone.redeem(apt.patientUrl);
    const patient = track(await phone.connect());
    const pv = await patient.until((v) => v.self.state === 'waiting');
    const gpDevice = new Device(s.url);
    await gpDevice.redeem(apt.clinicianUrl);
    const gp = track(await gpDevice.connect({ appointmentId: apt.id }));
    await gp.request('lobby:admit', { participantId: pv.self.id });
    await patient.until((v) => v.self.state === 'admitted');
    await patient.request('media:createTransport', { direction: 'send' });
    const room = s.deps.rooms.get(apt.id)!;

    expect(await gp.request('consultation:end', {})).toEqual({ ok: true, data: {} });
    expect(await patient.event('consultation:ended')).toEqual({ reason: 'ended' });
    await expect.poll(() => patient.socket.connected).toBe(false);
    await expect.poll(() => gp.socket.connected).toBe(false);
    expect(room.closed).toBe(true);
    expect(room.router.closed).toBe(true);
    for (const url of [apt.patientUrl, interpreterUrl]) {
      const r = await new Device(s.url).redeem(url);
      expect(r.status).toBe(410);
      expect(await r.json()).toMatchObject({ code: 'CONSULTATION_ENDED' });
    }
    expect((await phone.redeem(apt.patientUrl)).status).toBe(410);
    const detail = (await (await api(s.url, 'GET', `/api/v1/appointments/${apt.id}`)).json()) as { status: string; links: unknown[] };
    expect(detail.status).toBe('ended');
    expect(detail.links).toHaveLength(2);
  });

  it('revokes a link', async () => {
    const apt = await createAppointment(s.url);
    expect((await api(s.url, 'DELETE', `/api/v1/appointments/${apt.id}/links/${apt.patientLinkId}`)).status).toBe(204);
    const r = await new Device(s.url).redeem(apt.patientUrl);
    expect(r.status).toBe(410);
    expect(await r.json()).toMatchObject({ code: 'LINK_REVOKED' });
  });
});
