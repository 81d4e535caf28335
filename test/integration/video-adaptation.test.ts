// A call that adapts to a poor connection, at the server (issue 16), over real
// socket.io and a real mediasoup worker: a participant pauses and resumes its
// own consumers (media:setConsumerPaused) and nobody else's; a waiting guest
// can do neither; what a page says it paused to keep its sound clear
// (self:videoPaused) reaches everyone's view, only when it changes, and goes
// with their media (a fresh start, sent back).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../server/wire/errors.ts';
import type { ConsultationView } from '../../server/wire/participants.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { consume, openConsultation, produceAudio, Tracker } from '../security/support.ts';

let s: TestServer;
const t = new Tracker();

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  t.closeAll();
  await s?.stop();
});

function ok<T>(a: Ack<T>): T {
  if (!a.ok) throw new Error(`refused: ${JSON.stringify(a.error)}`);
  return a.data;
}

const pausedOf = (v: ConsultationView, id: string) => [...v.participants, v.self].find((p) => p.id === id)?.videoPaused;

/** Whether the server holds that consumer paused (the receiver's own consumers, as mediasoup has them). */
async function consumerPaused(aptId: string, participantId: string, consumerId: string): Promise<boolean | undefined> {
  const peer = s.deps.rooms.get(aptId)?.existingPeer(participantId);
  return (await peer?.stats())?.consumers.find((c) => c.id === consumerId)?.paused;
}

/** The patient admitted, the clinician sending audio, the patient receiving it. */
async function call() {
  const c = await openConsultation(s, t, { admit: true });
  const gpId = (await c.gp.until((v) => v.self.state === 'admitted')).self.id;
  const { producerId } = await produceAudio(c.gp);
  const { consumerId } = await consume(c.patient, producerId);
  ok(await c.patient.request('media:resumeConsumer', { consumerId }));
  return { ...c, gpId, consumerId };
}

describe('media:setConsumerPaused', () => {
  it('pauses and resumes the caller’s own consumer at the SFU', async () => {
    const c = await call();
    expect(await consumerPaused(c.apt.id, c.patientId, c.consumerId)).toBe(false);
    expect(await c.patient.request('media:setConsumerPaused', { consumerId: c.consumerId, paused: true })).toEqual({ ok: true, data: {} });
    expect(await consumerPaused(c.apt.id, c.patientId, c.consumerId)).toBe(true);
    expect(await c.patient.request('media:setConsumerPaused', { consumerId: c.consumerId, paused: false })).toEqual({ ok: true, data: {} });
    expect(await consumerPaused(c.apt.id, c.patientId, c.consumerId)).toBe(false);
  });

  it('refuses another participant’s consumer and changes nothing', async () => {
    const c = await call();
    for (const paused of [true, false, true]) {
      const r = await c.gp.request('media:setConsumerPaused', { consumerId: c.consumerId, paused });
      expect(r).toMatchObject({ ok: false, error: { code: expect.stringMatching(/^(NOT_FOUND|FORBIDDEN)$/) as string } });
      expect(await consumerPaused(c.apt.id, c.patientId, c.consumerId)).toBe(false);
    }
    // Paused by its owner, it stays paused whatever the other asks.
    ok(await c.patient.request('media:setConsumerPaused', { consumerId: c.consumerId, paused: true }));
    expect((await c.gp.request('media:setConsumerPaused', { consumerId: c.consumerId, paused: false })).ok).toBe(false);
    expect(await consumerPaused(c.apt.id, c.patientId, c.consumerId)).toBe(true);
  });

  it('refuses a waiting guest, and self:videoPaused too, which the clinician then never sees', async () => {
    const c = await openConsultation(s, t, { admit: false });
    expect(await c.patient.request('media:setConsumerPaused', { consumerId: 'AAAAAAAAAAAAAAAAAAAAAA', paused: true })).toMatchObject({
      ok: false,
      error: { code: 'NOT_ADMITTED' },
    });
    expect(await c.patient.request('self:videoPaused', { sending: true, receiving: true })).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    const seen = ok(await c.gp.request('consultation:state', {}));
    expect(seen.participants.find((p) => p.id === c.patientId)).toBeDefined();
    expect(pausedOf(seen, c.patientId)).toBeUndefined();
  });
});

describe('self:videoPaused', () => {
  it('shows in the others’ views and the person’s own, and goes when all video flows again', async () => {
    const c = await call();
    ok(await c.patient.request('self:videoPaused', { sending: true, receiving: false }));
    const gpView = await c.gp.until((v) => pausedOf(v, c.patientId) !== undefined);
    expect(pausedOf(gpView, c.patientId)).toEqual({ sending: true, receiving: false });
    expect((await c.patient.until((v) => v.self.videoPaused !== undefined)).self.videoPaused).toEqual({ sending: true, receiving: false });

    ok(await c.patient.request('self:videoPaused', { sending: true, receiving: true }));
    expect(pausedOf(await c.gp.until((v) => pausedOf(v, c.patientId)?.receiving === true), c.patientId)).toEqual({ sending: true, receiving: true });

    ok(await c.patient.request('self:videoPaused', { sending: false, receiving: false }));
    await c.gp.until((v) => pausedOf(v, c.patientId) === undefined);
    expect(c.gp.view && pausedOf(c.gp.view, c.patientId)).toBeUndefined();
  });

  it('pushes views only on a change: the same report twice sends nothing new', async () => {
    const c = await call();
    ok(await c.patient.request('self:videoPaused', { sending: false, receiving: true }));
    await c.gp.until((v) => pausedOf(v, c.patientId)?.receiving === true);
    const after: ConsultationView[] = [];
    c.gp.socket.on('consultation:state', (v: ConsultationView) => after.push(v));
    ok(await c.patient.request('self:videoPaused', { sending: false, receiving: true }));
    ok(await c.patient.request('self:videoPaused', { sending: false, receiving: false }));
    await c.gp.until((v) => pausedOf(v, c.patientId) === undefined);
    // The first view after the repeated report is the one that cleared it.
    expect(after.length).toBeGreaterThan(0);
    expect(pausedOf(after[0]!, c.patientId)).toBeUndefined();
  });

  it('goes with the media: a fresh start clears it, and so does being sent back', async () => {
    const c = await call();
    ok(await c.patient.request('self:videoPaused', { sending: true, receiving: true }));
    await c.gp.until((v) => pausedOf(v, c.patientId) !== undefined);
    ok(await c.patient.request('media:resume', { transportIds: [] }));
    await c.gp.until((v) => pausedOf(v, c.patientId) === undefined);

    ok(await c.patient.request('self:videoPaused', { sending: false, receiving: true }));
    await c.gp.until((v) => pausedOf(v, c.patientId) !== undefined);
    ok(await c.gp.request('lobby:sendBack', { participantId: c.patientId }));
    const back = await c.gp.until((v) => v.participants.find((p) => p.id === c.patientId)?.state === 'waiting');
    expect(pausedOf(back, c.patientId)).toBeUndefined();
    ok(await c.gp.request('lobby:admit', { participantId: c.patientId }));
    const again = await c.gp.until((v) => v.participants.find((p) => p.id === c.patientId)?.state === 'admitted');
    expect(pausedOf(again, c.patientId)).toBeUndefined();
  });

  it('a participant’s report is theirs alone: the clinician’s own entry stays clear', async () => {
    const c = await call();
    ok(await c.patient.request('self:videoPaused', { sending: true, receiving: false }));
    const v = await c.gp.until((x) => pausedOf(x, c.patientId) !== undefined);
    expect(v.self.videoPaused).toBeUndefined();
    const p = await c.patient.until((x) => x.self.videoPaused !== undefined);
    expect(pausedOf(p, c.gpId)).toBeUndefined();
  });
});

