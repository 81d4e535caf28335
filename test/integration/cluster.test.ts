// Two nodes on one Redis behind HAProxy, as real processes (support/cluster.ts):
// a page's socket may be on either node, and whatever one node decides
// reaches pages on the other at once: presence, admission, deny, send back,
// remove, end, chat and photo requests. A consultation's media is on one node
// (placed on the first media request), and media requests through the other
// node are relayed to it: every transport's ICE candidates are the owner's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haproxyAvailable, startCluster, type ClusterRig } from '../../support/cluster.ts';
import { produceAudio, RECV_CAPS } from '../security/support.ts';
import { candidatesOn, openCall, openPage, statusOf, type Page } from '../support/cluster-pages.ts';
import { Device, createAppointment } from '../support/api.ts';

const A = 0;
const B = 1;

function haveHaproxy(): boolean {
  const ok = haproxyAvailable();
  if (!ok && process.env.CI === 'true') throw new Error('CI needs haproxy (apt-get install haproxy)');
  if (!ok) console.warn('\n[integration] SKIPPED cluster tests: haproxy not installed (apt-get install haproxy)\n');
  return ok;
}

describe.runIf(haveHaproxy())('several nodes behind HAProxy: signalling anywhere', () => {
  let rig: ClusterRig;
  const pages: Page[] = [];
  beforeAll(async () => {
    rig = await startCluster({ nodes: 2 });
  }, 90_000);
  afterAll(async () => {
    for (const p of pages) p.close();
    await rig?.close();
  });

  it('puts every node behind the proxy: ready through each frontend, and a pinned page on its node', async () => {
    for (const u of [rig.url, rig.urlOf(A), rig.urlOf(B)]) expect((await fetch(`${u}/readyz`)).status).toBe(200);
    // Every node heard of the other through Redis.
    await expect.poll(() => rig.liveNodes(), { timeout: 10_000 }).toEqual(['node-a', 'node-b']);
    const before = [(await statusOf(rig, A)).socketConnections, (await statusOf(rig, B)).socketConnections];
    const apt = await createAppointment(rig.url);
    const device = new Device(rig.url);
    expect((await device.redeem(apt.patientUrl)).status).toBe(200);
    const onB = await openPage(rig, device, { on: B });
    pages.push(onB);
    await onB.until((v) => v.self.state === 'waiting');
    expect((await statusOf(rig, B)).socketConnections).toBe(before[B]! + 1);
    expect((await statusOf(rig, A)).socketConnections).toBe(before[A]!);
    onB.close();
    const followA = await openPage(rig, device, { on: A, follow: true });
    pages.push(followA);
    await followA.until((v) => v.self.state === 'waiting');
    await expect.poll(async () => (await statusOf(rig, A)).socketConnections).toBe(before[A]! + 1);
    followA.close();
  });

  it('shows a patient waiting on node A to the clinician on node B, online then gone, and admits them across', async () => {
    const c = await openCall(rig, { gpOn: { on: B }, patientOn: { on: A }, pages });
    const listed = await c.gp.until((v) => v.participants.some((p) => p.id === c.patientId && p.state === 'waiting' && p.connected));
    expect(listed.participants.find((p) => p.id === c.patientId)).toMatchObject({ state: 'waiting', connection: 'online', connected: true });
    expect(listed.waiting.map((p) => p.id)).toEqual([c.patientId]);

    expect(await c.gp.request('lobby:admit', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    const admitted = await c.patient.until((v) => v.self.state === 'admitted');
    expect(admitted.participants.map((p) => p.role)).toEqual(['clinician']);
    // The clinician's own page, on B, sees the admitted patient online.
    await c.gp.until((v) => v.admitted.some((p) => p.id === c.patientId && p.connected));

    // The patient's page goes: B's clinician sees them no longer connected.
    c.patient.close();
    await c.gp.until((v) => v.participants.some((p) => p.id === c.patientId && !p.connected), 15_000);
    expect(await c.gp.request('consultation:end', {})).toEqual({ ok: true, data: {} });
  });

  it('carries chat, a photo request, send back and end decided on B to the patient on A, and chat back', async () => {
    const c = await openCall(rig, { gpOn: { on: B }, patientOn: { on: A }, admit: true, pages });
    const sent = await c.gp.request('thread:send', { text: 'Hello from node B' });
    expect(sent.ok).toBe(true);
    expect(await c.patient.eventWhere('thread:item', (i) => (i as { text?: string }).text === 'Hello from node B')).toMatchObject({ kind: 'text', from: { role: 'clinician' } });
    expect((await c.patient.request('thread:send', { text: 'Hello from node A' })).ok).toBe(true);
    expect(await c.gp.eventWhere('thread:item', (i) => (i as { text?: string }).text === 'Hello from node A')).toMatchObject({ kind: 'text', from: { role: 'patient', id: c.patientId } });

    const asked = await c.gp.request('thread:requestPhoto', { participantId: c.patientId });
    expect(asked.ok).toBe(true);
    const request = (await c.patient.eventWhere('thread:item', (i) => (i as { kind?: string }).kind === 'photo-request')) as { id: string };
    if (asked.ok) expect(request.id).toBe(asked.data.item.id);

    const from = c.patient.events.length;
    expect(await c.gp.request('lobby:sendBack', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    expect(await c.patient.eventWhere('media:reset', () => true, 5000, from)).toEqual({ reason: 'sent-back' });
    await c.patient.until((v) => v.self.state === 'waiting');
    expect(await c.patient.request('media:createTransport', { direction: 'send' })).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });

    expect(await c.gp.request('lobby:admit', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    await c.patient.until((v) => v.self.state === 'admitted');
    expect(await c.gp.request('consultation:end', {})).toEqual({ ok: true, data: {} });
    expect(await c.patient.eventWhere('consultation:ended')).toEqual({ reason: 'ended' });
  });

  it('carries deny and remove decided on B to the patient on A, who is cut off', async () => {
    const denied = await openCall(rig, { gpOn: { on: B }, patientOn: { on: A }, pages });
    await denied.gp.until((v) => v.participants.some((p) => p.id === denied.patientId));
    expect(await denied.gp.request('lobby:deny', { participantId: denied.patientId })).toEqual({ ok: true, data: {} });
    expect(await denied.patient.eventWhere('consultation:ended')).toEqual({ reason: 'denied' });
    await expect.poll(() => denied.patient.socket.connected, { timeout: 5000 }).toBe(false);
    expect((await denied.patientDevice.redeem(denied.apt.patientUrl)).status).toBe(403);

    const removed = await openCall(rig, { gpOn: { on: B }, patientOn: { on: A }, admit: true, pages });
    expect(await removed.gp.request('lobby:remove', { participantId: removed.patientId })).toEqual({ ok: true, data: {} });
    expect(await removed.patient.eventWhere('consultation:ended')).toEqual({ reason: 'removed' });
    await expect.poll(() => removed.patient.socket.connected, { timeout: 5000 }).toBe(false);
    for (const c of [denied, removed]) expect((await c.gp.request('consultation:end', {})).ok).toBe(true);
  });

  it("places a consultation's media on one node and relays media requests from the other", async () => {
    const before = [await statusOf(rig, A), await statusOf(rig, B)];
    const c = await openCall(rig, { gpOn: { on: B }, patientOn: { on: A }, admit: true, pages });
    const capsA = await c.patient.request('media:capabilities', {});
    const capsB = await c.gp.request('media:capabilities', {});
    expect(capsA.ok && capsB.ok).toBe(true);
    if (!capsA.ok || !capsB.ok) return;
    expect(capsA.data.rtpCapabilities).toEqual(capsB.data.rtpCapabilities);

    // One Router, on the node Redis names, and none on the other.
    const owner = await rig.ownerOf(c.apt.id);
    expect(rig.nodeIds).toContain(owner);
    const o = rig.indexOf(owner!);
    const other = 1 - o;
    const after = [await statusOf(rig, A), await statusOf(rig, B)];
    expect(after[o]!.consultationsActive).toBe(before[o]!.consultationsActive + 1);
    expect(after[other]!.consultationsActive).toBe(before[other]!.consultationsActive);
    const routers = (s: (typeof after)[number]): number => s.workers.reduce((n, w) => n + w.routers, 0);
    expect(routers(after[o]!)).toBe(routers(before[o]!) + 1);
    expect(routers(after[other]!)).toBe(routers(before[other]!));

    // Both pages' transports are the owner's, whichever node holds their socket.
    const pageOn = [c.patient, c.gp];
    const recv = new Map<Page, string>();
    for (const page of pageOn) {
      const t = await page.request('media:createTransport', { direction: 'recv' });
      expect(t.ok).toBe(true);
      if (!t.ok) return;
      expect(candidatesOn(rig, o, t.data.iceCandidates)).toBe(true);
      recv.set(page, t.data.id);
    }
    // A real Producer through one node, consumed through the other, and back.
    const sender = pageOn[other]!; // its socket is not on the owner: every request relayed
    const receiver = pageOn[o]!;
    const { producerId } = await produceAudio(sender);
    await receiver.eventWhere('media:newProducer', (p) => (p as { producerId?: string }).producerId === producerId);
    const listed = await receiver.request('media:producers', {});
    expect(listed.ok && listed.data.producers.map((p) => p.producerId)).toContain(producerId);
    const consumed = await receiver.request('media:consume', { transportId: recv.get(receiver)!, producerId, rtpCapabilities: RECV_CAPS });
    expect(consumed).toMatchObject({ ok: true, data: { producerId, kind: 'audio' } });
    const back = await produceAudio(receiver, 22222222);
    await sender.eventWhere('media:newProducer', (p) => (p as { producerId?: string }).producerId === back.producerId);
    const relayed = await sender.request('media:consume', { transportId: recv.get(sender)!, producerId: back.producerId, rtpCapabilities: RECV_CAPS });
    expect(relayed).toMatchObject({ ok: true, data: { producerId: back.producerId } });
    if (relayed.ok) expect(await sender.request('media:resumeConsumer', { consumerId: relayed.data.id })).toEqual({ ok: true, data: {} });
    const finalOwner = await statusOf(rig, o);
    expect(finalOwner.workers.reduce((n, w) => n + w.routers, 0)).toBe(routers(before[o]!) + 1);

    // Ended: the Router closes and the placement is released.
    expect((await c.gp.request('consultation:end', {})).ok).toBe(true);
    await expect.poll(() => rig.ownerOf(c.apt.id), { timeout: 10_000 }).toBe(null);
    await expect.poll(async () => (await statusOf(rig, o)).consultationsActive, { timeout: 10_000 }).toBe(before[o]!.consultationsActive);
  });
});
