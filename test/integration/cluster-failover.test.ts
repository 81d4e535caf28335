// Two nodes on one Redis behind HAProxy, as real processes (support/cluster.ts),
// when something goes: a node drained by SIGTERM keeps its calls and takes no
// new one; a node SIGKILLed under a live call is declared dead and the call's
// media is rebuilt on the survivor without re-admission; Redis killed and
// restarted on the same data loses no waiting patient; a waiting patient
// whose node dies reconnects through the proxy and is still waiting, in the
// same place. The tests run in order and put the rig back (both nodes up)
// after each.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { haproxyAvailable, startCluster, type ClusterRig } from '../../support/cluster.ts';
import { auditOf, candidatesOn, count, openCall, openPage, statusOf, type Call, type Page } from '../support/cluster-pages.ts';

/** A drain long enough for the checks below on a busy machine, short enough to watch it end. */
const DRAIN_SECONDS = 15;
/** Dead after 1.2 s without a heartbeat, media back within 5 s of that: generous for a loaded machine. */
const FAILOVER_WAIT_MS = 20_000;

function haveHaproxy(): boolean {
  const ok = haproxyAvailable();
  if (!ok && process.env.CI === 'true') throw new Error('CI needs haproxy (apt-get install haproxy)');
  if (!ok) console.warn('\n[integration] SKIPPED cluster fail-over tests: haproxy not installed (apt-get install haproxy)\n');
  return ok;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.runIf(haveHaproxy())('several nodes behind HAProxy: drain, node death, Redis restart', () => {
  let rig: ClusterRig;
  let pages: Page[] = [];
  beforeAll(async () => {
    rig = await startCluster({ nodes: 2, env: { DRAIN_SECONDS: String(DRAIN_SECONDS) } });
  }, 90_000);
  afterEach(async () => {
    for (const p of pages) p.close();
    pages = [];
    // Both nodes up again for the next test, seen by the proxy and by each other.
    for (const n of rig.nodes) {
      // Gone, or still draining: a fresh process.
      if (n.running() && (await fetch(`${n.url}/readyz`).then((r) => r.ok, () => false))) continue;
      await n.kill();
      await n.start();
    }
    await rig.ready();
    await expect.poll(() => rig.liveNodes(), { timeout: 15_000 }).toEqual([...rig.nodeIds]);
  }, 90_000);
  afterAll(async () => {
    for (const p of pages) p.close();
    await rig?.close();
  });

  /** A consultation, its patient waiting, whose media the clinician placed (their media:capabilities). */
  async function placedCall(on: number): Promise<Call & { owner: number }> {
    const c = await openCall(rig, { gpOn: { on }, patientOn: { on }, pages });
    const caps = await c.gp.request('media:capabilities', {});
    expect(caps.ok).toBe(true);
    const owner = await rig.ownerOf(c.apt.id);
    expect(rig.nodeIds).toContain(owner);
    // The owner's next heartbeat carries its new Router into its score.
    await sleep(800);
    return { ...c, owner: rig.indexOf(owner!) };
  }

  it('drains a node on SIGTERM: not ready, its call goes on, new consultations go to the other node', async () => {
    // Consultations placed until each node holds one and one node holds fewer: that one is
    // drained, so that only its draining (not its load) keeps a new consultation off it.
    const calls: (Call & { owner: number })[] = [];
    const per = (): number[] => [0, 1].map((i) => calls.filter((c) => c.owner === i).length);
    const settled = (): boolean => Math.min(...per()) > 0 && per()[0] !== per()[1];
    for (let i = 0; i < 8 && !settled(); i++) calls.push(await placedCall(i % 2));
    expect(Math.min(...per())).toBeGreaterThan(0);
    const drained = per()[0]! <= per()[1]! ? 0 : 1;
    const other = 1 - drained;
    const held = calls.find((c) => c.owner === drained)!;
    // The held call's patient reloads onto the drained node and is let in.
    held.patient.close();
    const patient = await openPage(rig, held.patientDevice, { on: drained });
    pages.push(patient);
    await patient.until((v) => v.self.state === 'waiting');
    expect(await held.gp.request('lobby:admit', { participantId: held.patientId })).toEqual({ ok: true, data: {} });
    await patient.until((v) => v.self.state === 'admitted');
    expect((await patient.request('media:capabilities', {})).ok).toBe(true);

    rig.nodes[drained]!.signal('SIGTERM');
    await patient.eventWhere('server:draining');
    await expect.poll(async () => (await fetch(`${rig.urlOf(drained)}/readyz`)).status, { timeout: 5000 }).toBe(503);
    expect((await statusOf(rig, drained)).draining).toBe(true);
    await rig.proxyAvoids(drained);

    // A new consultation: its media is on the other node.
    const fresh = await openCall(rig, { gpOn: { on: other }, patientOn: { on: other }, admit: true, pages });
    expect((await fresh.patient.request('media:capabilities', {})).ok).toBe(true);
    expect(await rig.ownerOf(fresh.apt.id)).toBe(rig.nodeIds[other]);
    const t = await fresh.gp.request('media:createTransport', { direction: 'send' });
    expect(t.ok && candidatesOn(rig, other, t.data.iceCandidates)).toBe(true);

    // The held call still has its media on the draining node, for both pages.
    expect(await rig.ownerOf(held.apt.id)).toBe(rig.nodeIds[drained]);
    for (const page of [held.gp, patient]) {
      const r = await page.request('media:createTransport', { direction: 'recv' });
      expect(r.ok && candidatesOn(rig, drained, r.data.iceCandidates)).toBe(true);
    }
    expect(patient.view!.self.state).toBe('admitted');

    // The drain ends: the node leaves cleanly and gives its consultations up.
    expect(await rig.nodes[drained]!.exited((DRAIN_SECONDS + 20) * 1000)).toBe(0);
    await expect.poll(() => rig.liveNodes(), { timeout: FAILOVER_WAIT_MS }).toEqual([rig.nodeIds[other]]);
    await expect.poll(() => rig.ownerOf(held.apt.id), { timeout: FAILOVER_WAIT_MS }).not.toBe(rig.nodeIds[drained]);
    // The patient's page comes back through the proxy: still admitted, media on the other node.
    const back = await openPage(rig, held.patientDevice, { on: other, follow: true });
    pages.push(back);
    expect((await back.until((v) => v.self.state === 'admitted')).self.id).toBe(held.patientId);
    expect((await back.request('media:capabilities', {})).ok).toBe(true);
    expect(await rig.ownerOf(held.apt.id)).toBe(rig.nodeIds[other]);
    expect(count(await auditOf(rig, held.apt.id), 'participant.admitted')).toBe(1);
  }, 150_000);

  it('moves a call whose node is SIGKILLed to the survivor: media:reset media-lost, media again, nobody re-admitted', async () => {
    const c = await openCall(rig, { gpOn: { on: 1, follow: true }, patientOn: { on: 0, follow: true }, admit: true, pages });
    expect((await c.patient.request('media:capabilities', {})).ok).toBe(true);
    expect((await c.gp.request('media:capabilities', {})).ok).toBe(true);
    const owner = rig.indexOf((await rig.ownerOf(c.apt.id))!);
    expect(owner).toBeGreaterThanOrEqual(0);
    const survivor = 1 - owner;
    // The page whose socket is on the survivor, and the one on the node that dies.
    const [onSurvivor, onOwner] = survivor === 0 ? [c.patient, c.gp] : [c.gp, c.patient];
    const from = onSurvivor.events.length;

    await rig.nodes[owner]!.kill();
    expect(await onSurvivor.eventWhere('media:reset', (p) => (p as { reason?: string }).reason === 'media-lost', FAILOVER_WAIT_MS, from)).toEqual({ reason: 'media-lost' });
    expect(await rig.liveNodes()).toEqual([rig.nodeIds[survivor]]);
    // A fresh start places the consultation on the survivor.
    const caps = await onSurvivor.request('media:capabilities', {});
    expect(caps.ok).toBe(true);
    expect(await rig.ownerOf(c.apt.id)).toBe(rig.nodeIds[survivor]);
    const t = await onSurvivor.request('media:createTransport', { direction: 'send' });
    expect(t.ok && candidatesOn(rig, survivor, t.data.iceCandidates)).toBe(true);

    // The page that was on the dead node is back through the proxy, on the survivor, still in.
    await expect.poll(() => onOwner.reconnects >= 1 && onOwner.socket.connected, { timeout: FAILOVER_WAIT_MS }).toBe(true);
    const again = await onOwner.request('media:capabilities', {});
    expect(again.ok).toBe(true);
    for (const page of [c.patient, c.gp]) {
      const state = await page.request('consultation:state', {});
      expect(state.ok && state.data.self.state).toBe('admitted');
      expect(page.events.filter((e) => e.name === 'consultation:ended')).toEqual([]);
    }
    const audit = await auditOf(rig, c.apt.id);
    expect(count(audit, 'participant.admitted')).toBe(1);
    expect(count(audit, 'participant.waiting')).toBe(1);
  }, 90_000);

  it('keeps a waiting patient through a Redis crash and restart on the same data', async () => {
    const c = await openCall(rig, { gpOn: { on: 1, follow: true }, patientOn: { on: 0, follow: true }, pages });
    await c.gp.until((v) => v.waiting.some((p) => p.id === c.patientId && p.connected));
    const waitingSince = c.patient.view!.self.waitingSince;

    await rig.redis.halt('SIGKILL');
    await sleep(500);
    await rig.redis.restart();
    await rig.ready(30_000);
    await expect.poll(() => rig.liveNodes(), { timeout: 15_000 }).toEqual([...rig.nodeIds]);

    // Still waiting, in the same place, on the same page.
    await expect
      .poll(async () => {
        const r = await c.patient.request('consultation:state', {}).catch(() => null);
        return r?.ok ? r.data.self : null;
      }, { timeout: 15_000, interval: 200 })
      .toMatchObject({ id: c.patientId, state: 'waiting', waitingSince });
    // A reload: the page comes back still waiting, not asked to consent again.
    c.patient.close();
    const session = (await (await c.patientDevice.fetch('GET', '/api/v1/session')).json()) as Record<string, unknown>;
    expect(session).toMatchObject({ state: 'waiting', enteredWaitingRoom: true, participantId: c.patientId });
    const reloaded = await openPage(rig, c.patientDevice, { on: 0, follow: true });
    pages.push(reloaded);
    expect((await reloaded.until((v) => v.self.state === 'waiting')).self.id).toBe(c.patientId);
    // The clinician on the other node still sees them, connected, and can let them in.
    await c.gp.until((v) => v.waiting.some((p) => p.id === c.patientId && p.connected), 15_000);
    expect(await c.gp.request('lobby:admit', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    await reloaded.until((v) => v.self.state === 'admitted');
    expect(count(await auditOf(rig, c.apt.id), 'participant.waiting')).toBe(1);
  }, 90_000);

  it("reconnects a waiting patient whose node is SIGKILLed to the other node, still waiting in the same place", async () => {
    const c = await openCall(rig, { gpOn: { on: 1 }, patientOn: { on: 0, follow: true }, pages });
    await c.gp.until((v) => v.waiting.some((p) => p.id === c.patientId && p.connected));
    const before = c.patient.view!.self;
    const before1 = await statusOf(rig, 1);

    await rig.nodes[0]!.kill();
    await expect.poll(() => c.patient.reconnects >= 1 && c.patient.socket.connected, { timeout: FAILOVER_WAIT_MS }).toBe(true);
    // Now on node B (the only one left), as B's own count shows.
    expect((await statusOf(rig, 1)).socketConnections).toBe(before1.socketConnections + 1);
    const state = await c.patient.request('consultation:state', {});
    expect(state.ok && state.data.self).toMatchObject({ id: c.patientId, state: 'waiting', waitingSince: before.waitingSince });
    // Not asked to consent again, not admitted by anyone.
    expect(await (await c.patientDevice.fetch('GET', '/api/v1/session')).json()).toMatchObject({ state: 'waiting', enteredWaitingRoom: true, participantId: c.patientId });
    const audit = await auditOf(rig, c.apt.id);
    expect(count(audit, 'participant.waiting')).toBe(1);
    expect(count(audit, 'participant.admitted')).toBe(0);
    // The clinician sees them waiting and online again, and lets them in.
    await c.gp.until((v) => v.waiting.some((p) => p.id === c.patientId && p.connected), 15_000);
    expect(await c.gp.request('lobby:admit', { participantId: c.patientId })).toEqual({ ok: true, data: {} });
    await c.patient.until((v) => v.self.state === 'admitted');
  }, 90_000);
});
