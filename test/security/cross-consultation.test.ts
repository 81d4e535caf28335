// One consultation reaching into another. Consultation B is live for real: its
// patient (Zebedee) sends audio through a real mediasoup Producer and its
// clinician receives it through a real Consumer. An admitted participant of
// consultation A, holding every one of B's media ids, tries to consume,
// connect, produce on, pause, close and resume them; A's clinician tries to
// open B and to decide about B's people; A's guest names B in the handshake.
// Everything is refused, B's media and state are untouched, and nothing of B
// ever reaches A's sockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../support/api.ts';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.ts';
import {
  apiCall,
  Browser,
  consume,
  DTLS,
  expectAckError,
  expectConnectRefused,
  expectLogsClean,
  joinAsGuest,
  OPUS,
  openConsultation,
  PATIENT,
  produceAudio,
  RECV_CAPS,
  snapshot,
  tokenOf,
  Tracker,
  type Consultation,
  type Snapshot,
} from './support.ts';

let s: TestServer;
const t = new Tracker();
let A: Consultation;
let B: Consultation;
let bMedia: { sendTransportId: string; producerId: string; recvTransportId: string; consumerId: string; gpProducerId: string };
let aMedia: { sendTransportId: string; recvTransportId: string; producerId: string };
let before: Snapshot[];
let cases = 0;

/** Every event A's sockets have received, as one string. */
const aSaw = (): string => JSON.stringify([...A.patient.events, ...A.gp.events]);

beforeAll(async () => {
  s = await startTestServer({ MAX_FAILURES: '1000000' });
  A = await openConsultation(s, t, { clinicianId: 'gp-a', patientName: 'Mallory Attacker', admit: true });
  B = await openConsultation(s, t, { clinicianId: 'gp-b', patientName: PATIENT, admit: true });
  // B, for real: the patient sends audio, the clinician receives it; the clinician sends too.
  const p = await produceAudio(B.patient, 22222222);
  const c = await consume(B.gp, p.producerId);
  const gpP = await produceAudio(B.gp, 33333333);
  const pc = await B.patient.request('media:createTransport', { direction: 'recv' });
  if (!pc.ok) throw new Error('B recv transport');
  bMedia = { sendTransportId: p.transportId, producerId: p.producerId, recvTransportId: c.transportId, consumerId: c.consumerId, gpProducerId: gpP.producerId };
  // A, the attacker's own consultation, with its own transports and producer.
  const ap = await produceAudio(A.patient, 44444444);
  const ar = await A.patient.request('media:createTransport', { direction: 'recv' });
  if (!ar.ok) throw new Error('A recv transport');
  aMedia = { sendTransportId: ap.transportId, recvTransportId: ar.data.id, producerId: ap.producerId };
  // A's clinician has used media in A too (its own, legitimate, empty peer), so
  // the baseline already holds everything A's own people may make.
  expect((await A.gp.request('media:capabilities', {})).ok).toBe(true);
  expect(s.deps.rooms.get(B.apt.id)!.allProducers().map((x) => x.id).sort()).toEqual([bMedia.producerId, bMedia.gpProducerId].sort());
  await new Promise((r) => setTimeout(r, 100));
  before = await snapshot(s, A.apt.id, B.apt.id);
});

afterAll(async () => {
  t.closeAll();
  if (s) {
    expectLogsClean(s, [TEST_API_KEY, tokenOf(B.apt.patientUrl), tokenOf(B.apt.clinicianUrl), B.patientDevice.cookies.get('__Host-cr_guest')!]);
    await s.stop();
  }
  console.log(`[security] cross-consultation: ${cases} attempts on another consultation`);
});

/** B's media is exactly as it was: same producers, none paused or closed, same counts. */
function expectBUntouched(): void {
  const room = s.deps.rooms.get(B.apt.id)!;
  expect(room).toBeDefined();
  const producers = room.allProducers();
  expect(producers.map((x) => x.id).sort()).toEqual([bMedia.producerId, bMedia.gpProducerId].sort());
  expect(producers.every((x) => !x.closed && !x.paused)).toBe(true);
  expect(room.counts()).toEqual({ peers: 2, transports: 4, producers: 2, consumers: 1 });
}

describe("an admitted participant of A against B's media", () => {
  const attempts = (): [string, unknown][] => [
    // B's producer through A's own receive transport, and through B's.
    ['media:consume', { transportId: aMedia.recvTransportId, producerId: bMedia.producerId, rtpCapabilities: RECV_CAPS }],
    ['media:consume', { transportId: aMedia.recvTransportId, producerId: bMedia.gpProducerId, rtpCapabilities: RECV_CAPS }],
    ['media:consume', { transportId: bMedia.recvTransportId, producerId: bMedia.producerId, rtpCapabilities: RECV_CAPS }],
    // B's transports.
    ['media:connectTransport', { transportId: bMedia.sendTransportId, dtlsParameters: DTLS }],
    ['media:connectTransport', { transportId: bMedia.recvTransportId, dtlsParameters: DTLS }],
    ['media:restartIce', { transportId: bMedia.sendTransportId }],
    ['media:produce', { transportId: bMedia.sendTransportId, kind: 'audio', source: 'microphone', rtpParameters: OPUS }],
    // B's consumer and producers.
    ['media:resumeConsumer', { consumerId: bMedia.consumerId }],
    ['media:setPreferredLayers', { consumerId: bMedia.consumerId, spatialLayer: 0 }],
    ['media:setProducerPaused', { producerId: bMedia.producerId, paused: true }],
    ['media:setProducerPaused', { producerId: bMedia.gpProducerId, paused: true }],
    ['media:closeProducer', { producerId: bMedia.producerId }],
    ['media:closeProducer', { producerId: bMedia.gpProducerId }],
  ];

  it("every message naming B's transports, producers or consumer is NOT_FOUND, from A's patient and from A's clinician", async () => {
    for (const who of [A.patient, A.gp]) {
      for (const [name, payload] of attempts()) {
        cases++;
        expectAckError(await who.raw(name, payload), 'NOT_FOUND', [PATIENT, B.apt.id]);
      }
    }
    expectBUntouched();
    expect(await snapshot(s, A.apt.id, B.apt.id)).toEqual(before);
  });

  it("the list of producers A's participants may consume holds none of B's", async () => {
    for (const who of [A.patient, A.gp]) {
      cases++;
      const r = await who.request('media:producers', {});
      expect(r.ok).toBe(true);
      const ids = r.ok ? r.data.producers.map((p) => p.producerId) : [];
      expect(ids).not.toContain(bMedia.producerId);
      expect(ids).not.toContain(bMedia.gpProducerId);
    }
    expectBUntouched();
  });

  it("A's clinician cannot decide about B's people", async () => {
    for (const name of ['lobby:admit', 'lobby:deny', 'lobby:sendBack', 'lobby:remove'] as const) {
      cases++;
      expectAckError(await A.gp.request(name, { participantId: B.patientId }), 'NOT_IN_CONSULTATION', [PATIENT]);
    }
    expect(await snapshot(s, A.apt.id, B.apt.id)).toEqual(before);
  });
});

describe('opening B with the wrong credentials', () => {
  it("A's clinician session cannot open B", async () => {
    cases++;
    await expectConnectRefused(A.gpDevice, { appointmentId: B.apt.id }, 'FORBIDDEN');
    expect(await snapshot(s, A.apt.id, B.apt.id)).toEqual(before);
  });

  it("A's guest naming B in the handshake is UNAUTHENTICATED (a guest has no clinician session)", async () => {
    cases += 2;
    await expectConnectRefused(A.patientDevice, { appointmentId: B.apt.id }, 'UNAUTHENTICATED');
    // ... nor with its guest session presented as a clinician's.
    const forged = new Browser(s.url);
    forged.cookies.set('__Host-cr_clinician', A.patientDevice.cookies.get('__Host-cr_guest')!);
    await expectConnectRefused(forged, { appointmentId: B.apt.id }, 'UNAUTHENTICATED');
    expect(await snapshot(s, A.apt.id, B.apt.id)).toEqual(before);
  });
});

describe("A's sockets never hear about B", () => {
  it('while B admits, pauses, produces, closes and ends, nothing of B reaches A', async () => {
    const heard = (c: Client) => c.events.length;
    const mark = [heard(A.patient), heard(A.gp)];
    // B does things: a second guest joins and is admitted, media is paused, resumed, closed, and B ends.
    const inv = (await apiCall(s.url, 'POST', `/api/v1/appointments/${B.apt.id}/invites`, { name: 'Bartholomew Ngata-Fairweather', role: 'family' })).json() as { url: string };
    const family = await joinAsGuest(s, t, inv.url);
    expect(await B.gp.request('lobby:admit', { participantId: family.id })).toEqual({ ok: true, data: {} });
    await family.client.until((v) => v.self.state === 'admitted');
    expect((await B.patient.request('media:setProducerPaused', { producerId: bMedia.producerId, paused: true })).ok).toBe(true);
    expect((await B.patient.request('media:setProducerPaused', { producerId: bMedia.producerId, paused: false })).ok).toBe(true);
    const famP = await produceAudio(family.client, 55555555);
    expect((await family.client.request('media:closeProducer', { producerId: famP.producerId })).ok).toBe(true);
    expect(await B.gp.request('lobby:sendBack', { participantId: family.id })).toEqual({ ok: true, data: {} });
    expect(await B.gp.request('consultation:lock', { locked: true })).toEqual({ ok: true, data: {} });
    expect(await B.gp.request('consultation:end', {})).toEqual({ ok: true, data: {} });
    await B.patient.event('consultation:ended');
    await new Promise((r) => setTimeout(r, 300));
    cases++;

    const since = JSON.stringify([...A.patient.events.slice(mark[0]), ...A.gp.events.slice(mark[1])]);
    for (const secret of [B.apt.id, B.patientId, family.id, bMedia.producerId, bMedia.gpProducerId, famP.producerId, bMedia.consumerId, PATIENT, 'Bartholomew', 'gp-b']) {
      expect(since, `A heard ${secret}`).not.toContain(secret);
      expect(aSaw()).not.toContain(secret);
    }
    expect([...A.patient.events, ...A.gp.events].some((e) => e.name === 'consultation:ended')).toBe(false);
    // A is still live and its media still works.
    expect(A.patient.socket.connected && A.gp.socket.connected).toBe(true);
    expect((await A.patient.request('media:capabilities', {})).ok).toBe(true);
    expect(s.deps.rooms.get(A.apt.id)!.allProducers().map((x) => x.id)).toEqual([aMedia.producerId]);
    expect(s.deps.rooms.get(B.apt.id)).toBeUndefined();
  });
});
