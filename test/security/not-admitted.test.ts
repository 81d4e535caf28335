// The waiting room is enforced at the server: every media message of the
// protocol (each key of ClientMessages starting with "media:"), sent with a
// schema-valid payload, is refused NOT_ADMITTED to a participant who is
// waiting, sent back, denied or removed (the last two are also disconnected
// and cannot come back); the lobby and consultation controls are refused
// FORBIDDEN to every guest, admitted or not.
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientMessages, type ClientMessageName } from '../../server/wire/socket.ts';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.ts';
import {
  apiCall,
  asResult,
  consume,
  disconnected,
  expectAckError,
  expectConnectRefused,
  expectHttpError,
  expectLogsClean,
  joinAsGuest,
  MADE_UP_IDS,
  mediaPayloads,
  openConsultation,
  PATIENT,
  produceAudio,
  snapshot,
  tokenOf,
  Tracker,
  type Consultation,
  type MediaIds,
} from './support.ts';
import type { Client } from '../support/api.ts';

type MediaName = Extract<ClientMessageName, `media:${string}`>;
const MEDIA = Object.keys(ClientMessages).filter((k): k is MediaName => k.startsWith('media:'));

type Ids = MediaIds;
const MADE_UP = MADE_UP_IDS;

const CONTROLS = (target: string): [ClientMessageName, unknown][] => [
  ['lobby:admit', { participantId: target }],
  ['lobby:deny', { participantId: target }],
  ['lobby:sendBack', { participantId: target }],
  ['lobby:remove', { participantId: target }],
  ['consultation:lock', { locked: true }],
  ['consultation:lock', { locked: false }],
  ['consultation:end', {}],
];

let s: TestServer;
const t = new Tracker();
const secrets: string[] = [TEST_API_KEY];
let cases = 0;

beforeAll(async () => {
  s = await startTestServer({ MAX_FAILURES: '1000000' });
});
afterAll(async () => {
  t.closeAll();
  if (s) {
    expectLogsClean(s, secrets);
    await s.stop();
  }
  console.log(`[security] not-admitted: ${cases} media or control messages from people not entitled to them`);
});

const remember = (c: Consultation) => secrets.push(tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl), c.patientDevice.cookies.get('__Host-cr_guest')!);

/** Sends every media message; each must be NOT_ADMITTED. */
async function everyMediaMessageRefused(c: Client, ids: Ids): Promise<void> {
  const payloads = mediaPayloads(ids);
  for (const name of MEDIA) {
    expect(Value.Check(ClientMessages[name], payloads[name]), `${name} payload is schema-valid`).toBe(true);
    cases++;
    expectAckError(await c.raw(name, payloads[name]), 'NOT_ADMITTED', [PATIENT]);
  }
}

it('covers every media message of the protocol', () => {
  expect(Object.keys(mediaPayloads(MADE_UP)).sort()).toEqual([...MEDIA].sort());
  expect(MEDIA.length).toBeGreaterThanOrEqual(11);
});

describe('a waiting participant', () => {
  it('gets NOT_ADMITTED for every media message, and no Router is made for it', async () => {
    const c = await openConsultation(s, t, {});
    remember(c);
    const before = await snapshot(s, c.apt.id);
    await everyMediaMessageRefused(c.patient, MADE_UP);
    expect(s.deps.rooms.get(c.apt.id)).toBeUndefined();
    expect(await snapshot(s, c.apt.id)).toEqual(before);

    // With the clinician's real media in the room, aimed at the real ids.
    const gpMedia = await produceAudio(c.gp);
    const room = s.deps.rooms.get(c.apt.id)!;
    const withGp = await snapshot(s, c.apt.id);
    await everyMediaMessageRefused(c.patient, { sendTransportId: gpMedia.transportId, recvTransportId: gpMedia.transportId, producerId: gpMedia.producerId, consumerId: 'x' });
    expect(room.existingPeer(c.patientId)).toBeUndefined();
    expect(room.allProducers().every((p) => !p.paused && !p.closed)).toBe(true);
    expect(await snapshot(s, c.apt.id)).toEqual(withGp);
  });

  it('a second device on a reused link, waiting, gets NOT_ADMITTED too', async () => {
    const c = await openConsultation(s, t, { admit: true });
    remember(c);
    const forwarded = await joinAsGuest(s, t, c.apt.patientUrl);
    const before = await snapshot(s, c.apt.id);
    await everyMediaMessageRefused(forwarded.client, MADE_UP);
    expect(await snapshot(s, c.apt.id)).toEqual(before);
  });
});

describe('a participant sent back to the waiting room', () => {
  it('loses its media at once and gets NOT_ADMITTED for every media message, even with its own real ids', async () => {
    const c = await openConsultation(s, t, { admit: true });
    remember(c);
    const gpMedia = await produceAudio(c.gp);
    const own = await produceAudio(c.patient);
    const recv = await consume(c.patient, gpMedia.producerId);
    const room = s.deps.rooms.get(c.apt.id)!;
    expect(room.existingPeer(c.patientId)).toBeDefined();

    expect(await c.gp.request('lobby:sendBack', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    expect(await c.patient.event('media:reset')).toEqual({ reason: 'sent-back' });
    await c.patient.until((v) => v.self.state === 'waiting');
    expect(room.existingPeer(c.patientId)).toBeUndefined();
    expect(room.allProducers().map((p) => p.id)).toEqual([gpMedia.producerId]);

    const before = await snapshot(s, c.apt.id);
    await everyMediaMessageRefused(c.patient, { sendTransportId: own.transportId, recvTransportId: recv.transportId, producerId: own.producerId, consumerId: recv.consumerId });
    await everyMediaMessageRefused(c.patient, { ...MADE_UP, producerId: gpMedia.producerId });
    expect(room.existingPeer(c.patientId)).toBeUndefined();
    expect(await snapshot(s, c.apt.id)).toEqual(before);
  });

  // VULNERABILITY (low): admission is checked at the start of each media call,
  // but the call then awaits the worker. A media:createTransport in flight when
  // the clinician sends the participant back completes afterwards: the new
  // WebRtcTransport is added to the Peer that was just closed, so nothing ever
  // closes it (it stays on the Router until the consultation ends), and the
  // participant, now waiting, gets ok:true with its ICE and DTLS parameters. It
  // reproduces every time (10 of 10 rounds leak one transport). No media can
  // flow through it (connectTransport is NOT_ADMITTED, so DTLS never starts),
  // but each round leaks worker memory, and a waiting participant holds a live
  // ICE endpoint. Fix: in Peer, close a transport/producer/consumer created
  // after the peer closed (check #closed after each await), or re-check
  // admission after the awaited work and undo.
  it('a media call racing the decision to send someone back leaves nothing behind', async () => {
    const c = await openConsultation(s, t, { admit: true });
    remember(c);
    await produceAudio(c.gp);
    const room = s.deps.rooms.get(c.apt.id)!;
    const clinicians = new Set((await room.router.dump()).transportIds);
    const answers: unknown[] = [];
    for (let round = 0; round < 10; round++) {
      if (round > 0) {
        expect(await c.gp.request('lobby:admit', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
        await c.patient.until((v) => v.self.state === 'admitted');
      }
      const inFlight = c.patient.raw('media:createTransport', { direction: 'send' });
      expect(await c.gp.request('lobby:sendBack', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
      answers.push(await inFlight);
      await c.patient.until((v) => v.self.state === 'waiting');
      cases++;
    }
    await new Promise((r) => setTimeout(r, 100));
    for (const a of answers) expect((a as { error?: { code: string } }).error?.code).not.toBe('INTERNAL');
    const leftover = (await room.router.dump()).transportIds.filter((id) => !clinicians.has(id));
    expect(room.existingPeer(c.patientId)).toBeUndefined();
    expect(leftover, `${leftover.length} transports left on the Router for a participant who is waiting`).toEqual([]);
  });
});

describe('a denied participant', () => {
  it('is told, disconnected, and cannot come back by socket or by link', async () => {
    const c = await openConsultation(s, t, {});
    remember(c);
    const gone = disconnected(c.patient);
    // Media messages fired at the moment of the decision: refused or never answered.
    const inFlight = mediaPayloads(MADE_UP);
    const racing = MEDIA.map((name) => c.patient.raw(name, inFlight[name]).then((a) => a, () => 'no answer (disconnected)'));
    expect(await c.gp.request('lobby:deny', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    expect(await gone).toBe(true);
    for (const a of await Promise.all(racing)) {
      cases++;
      if (a !== 'no answer (disconnected)') expectAckError(a, 'NOT_ADMITTED');
    }
    expect(c.patient.events.find((e) => e.name === 'consultation:ended')?.payload).toEqual({ reason: 'denied' });
    const before = await snapshot(s, c.apt.id);
    cases += 2;
    await expectConnectRefused(c.patientDevice, undefined, 'FORBIDDEN');
    expectHttpError(await asResult(await c.patientDevice.redeem(c.apt.patientUrl)), 403, 'FORBIDDEN');
    expect(await snapshot(s, c.apt.id)).toEqual(before);
    expect(s.deps.rooms.get(c.apt.id)?.existingPeer(c.patientId)).toBeUndefined();
  });
});

describe('a removed participant', () => {
  it('loses its media, is disconnected, and cannot come back', async () => {
    const c = await openConsultation(s, t, { admit: true });
    remember(c);
    const own = await produceAudio(c.patient);
    const room = s.deps.rooms.get(c.apt.id)!;
    const gone = disconnected(c.patient);
    expect(await c.gp.request('lobby:remove', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    expect(await gone).toBe(true);
    expect(c.patient.events.find((e) => e.name === 'consultation:ended')?.payload).toEqual({ reason: 'removed' });
    expect(room.existingPeer(c.patientId)).toBeUndefined();
    expect(room.allProducers().map((p) => p.id)).not.toContain(own.producerId);
    const before = await snapshot(s, c.apt.id);
    cases++;
    await expectConnectRefused(c.patientDevice, undefined, 'FORBIDDEN');
    expect((await c.patientDevice.redeem(c.apt.patientUrl)).status).toBe(403);
    expect(await snapshot(s, c.apt.id)).toEqual(before);
  });
});

describe("guests and the clinician's controls", () => {
  it('lobby:* and consultation:lock/end are FORBIDDEN to a waiting guest and to an admitted one, whoever they aim at', async () => {
    const c = await openConsultation(s, t, { admit: true });
    remember(c);
    const inv = (await apiCall(s.url, 'POST', `/api/v1/appointments/${c.apt.id}/invites`, { name: 'Sam Okafor', role: 'interpreter' })).json() as { url: string };
    const waiting = await joinAsGuest(s, t, inv.url);
    const view = await c.gp.until((v) => v.participants.some((p) => p.id === waiting.id));
    const clinicianId = view.self.id;
    const before = await snapshot(s, c.apt.id);
    for (const [who, self] of [
      [c.patient, c.patientId],
      [waiting.client, waiting.id],
    ] as const) {
      for (const target of [self, c.patientId, waiting.id, clinicianId, 'AAAAAAAAAAAAAAAAAAAAAA']) {
        for (const [name, payload] of CONTROLS(target)) {
          expect(Value.Check(ClientMessages[name], payload)).toBe(true);
          cases++;
          expectAckError(await who.raw(name, payload), 'FORBIDDEN', [PATIENT]);
        }
      }
    }
    expect(await snapshot(s, c.apt.id)).toEqual(before);
    const detail = (await apiCall(s.url, 'GET', `/api/v1/appointments/${c.apt.id}`)).json() as { locked: boolean; status: string };
    expect(detail).toMatchObject({ locked: false, status: 'live' });
    expect(c.patient.socket.connected && waiting.client.socket.connected).toBe(true);
  });
});
