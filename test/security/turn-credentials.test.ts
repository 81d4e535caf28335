// TURN relay credentials last minutes and are renewed only while the person
// is admitted: every renewal ('media:iceServers') re-checks admission at the
// server, so someone sent back, denied or removed stops getting credentials
// and loses the relay when the last one expires (within turn.ttlSeconds).
// Tried from outside on both stores: what each socket receives is searched
// for any credential, not only the reply to the one request.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { disconnected, expectAckError, expectConnectRefused, expectLogsClean, joinAsGuest, openConsultation, selfTestSocket, tokenOf, Tracker } from './support.ts';

const SECRET = 'turn-shared-secret-for-renewal-0123';
const URLS = ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp'];

interface IceConfig {
  iceServers: { urls: string[]; username: string; credential: string }[];
  iceTransportPolicy: string;
  expiresAt: string | null;
}

/** Every TURN username for this participant anywhere in what the socket received (replies excluded). */
const credentialsPushedTo = (c: Client, participantId: string): string[] =>
  JSON.stringify(c.events).match(new RegExp(`\\d{9,}:${participantId}`, 'g')) ?? [];

describe.each(['memory', 'redis'] as const)('TURN credentials (%s store)', (store) => {
  let s: TestServer;
  let redis: RedisServerHandle | undefined;
  let ttl: number;
  const t = new Tracker();
  const secrets: string[] = [SECRET];

  beforeAll(async () => {
    if (store === 'redis') redis = await startRedisServer();
    // The default lifetime, as deployed.
    s = await startTestServer({ TURN_URLS: URLS.join(','), TURN_SECRET: SECRET, ...(redis ? { REDIS_URL: redis.url } : {}) });
    expect(s.deps.stores.kind).toBe(store);
    ttl = s.config.turn.ttlSeconds;
  });
  afterAll(async () => {
    t.closeAll();
    if (s) {
      expectLogsClean(s, secrets);
      await s.stop();
    }
    await redis?.stop();
  });

  /** A valid credential for this participant that expires within the lifetime, and the expiry it announces. */
  function expectFresh(ice: IceConfig, participantId: string): number {
    expect(ice.iceServers).toHaveLength(1);
    const [server] = ice.iceServers;
    expect(server!.urls).toEqual(URLS);
    const [expiry, who] = server!.username.split(':');
    expect(who).toBe(participantId);
    const left = Number(expiry) - Date.now() / 1000;
    expect(left).toBeGreaterThan(ttl - 30);
    expect(left).toBeLessThanOrEqual(ttl);
    expect(Date.parse(ice.expiresAt!) / 1000).toBe(Number(expiry));
    expect(server!.credential).toBe(createHmac('sha1', SECRET).update(server!.username).digest('base64'));
    return Number(expiry);
  }

  const ok = <T>(r: { ok: true; data: T } | { ok: false; error: { code: string } }): T => {
    if (!r.ok) throw new Error(`refused: ${r.error.code}`);
    return r.data;
  };

  it('last minutes by default, and are renewed with a fresh expiry while the person is admitted', async () => {
    expect(ttl).toBeLessThanOrEqual(600);
    const c = await openConsultation(s, t, { admit: true });
    secrets.push(tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl));
    const first = expectFresh(ok(await c.patient.request('media:capabilities', {})), c.patientId);
    await new Promise((r) => setTimeout(r, 1100));
    const renewed = ok(await c.patient.request('media:iceServers', {}));
    expect(expectFresh(renewed, c.patientId)).toBeGreaterThan(first);
    expect(renewed.iceTransportPolicy).toBe('all');
  });

  it('a participant sent back gets no renewal until let in again', async () => {
    const c = await openConsultation(s, t, { admit: true });
    secrets.push(tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl));
    expectFresh(ok(await c.patient.request('media:capabilities', {})), c.patientId);
    expect(await c.gp.request('lobby:sendBack', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    await c.patient.until((v) => v.self.state === 'waiting');
    expectAckError(await c.patient.request('media:iceServers', {}), 'NOT_ADMITTED', [SECRET]);
    expectAckError(await c.patient.request('media:capabilities', {}), 'NOT_ADMITTED', [SECRET]);
    expect(credentialsPushedTo(c.patient, c.patientId)).toEqual([]);
    // Admission, not the socket, is what the renewal follows.
    expect(await c.gp.request('lobby:admit', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    await c.patient.until((v) => v.self.state === 'admitted');
    expectFresh(ok(await c.patient.request('media:iceServers', {})), c.patientId);
  });

  it('a removed participant gets no renewal: disconnected, and refused on a new socket', async () => {
    const c = await openConsultation(s, t, { admit: true });
    secrets.push(tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl));
    expectFresh(ok(await c.patient.request('media:capabilities', {})), c.patientId);
    const gone = disconnected(c.patient);
    // A renewal racing the decision: refused, or never answered because the socket is gone.
    const racing = c.patient.request('media:iceServers', {}).then(
      (a) => a,
      () => 'no answer' as const,
    );
    expect(await c.gp.request('lobby:remove', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    expect(await gone).toBe(true);
    const raced = await racing;
    if (raced !== 'no answer' && !raced.ok) expectAckError(raced, 'NOT_ADMITTED');
    await expectConnectRefused(c.patientDevice, undefined, 'FORBIDDEN');
    expect(credentialsPushedTo(c.patient, c.patientId)).toEqual([]);
  });

  it('a waiting participant, and then a denied one, never gets any', async () => {
    const c = await openConsultation(s, t, {});
    secrets.push(tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl));
    const second = await joinAsGuest(s, t, c.apt.patientUrl);
    for (const [who, id] of [
      [c.patient, c.patientId],
      [second.client, second.id],
    ] as const) {
      expectAckError(await who.request('media:capabilities', {}), 'NOT_ADMITTED', [SECRET]);
      expectAckError(await who.request('media:iceServers', {}), 'NOT_ADMITTED', [SECRET]);
      expect(credentialsPushedTo(who, id)).toEqual([]);
    }
    const gone = disconnected(c.patient);
    expect(await c.gp.request('lobby:deny', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    expect(await gone).toBe(true);
    await expectConnectRefused(c.patientDevice, undefined, 'FORBIDDEN');
    expect(credentialsPushedTo(c.patient, c.patientId)).toEqual([]);
  });

  it('the admitted clinician renews too; once the consultation ends, nobody does', async () => {
    const c = await openConsultation(s, t, { admit: true });
    secrets.push(tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl));
    const gpId = (await c.gp.until((v) => v.self.state === 'admitted')).self.id;
    expectFresh(ok(await c.gp.request('media:iceServers', {})), gpId);
    const gone = [disconnected(c.gp), disconnected(c.patient)];
    expect(await c.gp.request('consultation:end', {})).toEqual({ ok: true, data: {} });
    expect(await Promise.all(gone)).toEqual([true, true]);
    await expectConnectRefused(c.patientDevice, undefined, 'CONSULTATION_ENDED');
    expect(credentialsPushedTo(c.patient, c.patientId)).toEqual([]);
  });

  it("a self-test page gets relay credentials for its relay probe only: seconds long, not a participant's, never forcing the relay", async () => {
    const socket = await selfTestSocket(s);
    const got = (await socket.timeout(5000).emitWithAck('media:capabilities', {})) as { ok: true; data: IceConfig };
    expect(got).toMatchObject({ ok: true, data: { iceTransportPolicy: 'all' } });
    expect(got.data.iceServers).toHaveLength(1);
    // selfTest.relaySeconds (30 by default), far short of a participant's turn.ttlSeconds.
    expect(Date.parse(got.data.expiresAt!) - Date.now()).toBeLessThanOrEqual(31_000);
    expect(got.data.iceServers[0]!.username).toMatch(/^\d+:selftest-[^:]+$/);
    socket.close();
  });
});
