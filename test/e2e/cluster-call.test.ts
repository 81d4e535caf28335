// A call across two nodes on one Redis, behind HAProxy (support/cluster.ts):
// the patient's page and socket on node A, the clinician's console on node B
// (each browser pinned by the proxy's cookie, in a network namespace of its
// own), video decoded both ways. Then the node that holds the call's media
// is SIGKILLed: the other declares it dead, the page whose socket was there
// reconnects through the proxy to the survivor, and both sides decode video
// again with nobody clicking anything and nobody admitted twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedAppointment } from '../support/api.ts';
import { chromiumAvailable } from '../support/browser.ts';
import { haproxyAvailable } from '../../support/cluster.ts';
import { clusterCallRig, killOwner, type ClusterCallRig } from '../../support/cluster-call.ts';
import { resumeAfter } from '../support/fault-browser.ts';
import { bothDecoding, liveCall, seen, type CallRig } from '../support/fault-call.ts';
import { netnsAvailable } from '../support/netns.ts';
import { expectNoReadmission, RECOVERY_WAIT_MS } from '../support/recovery.ts';

function proxyAvailable(): boolean {
  if (haproxyAvailable()) return true;
  if (process.env.CI === 'true') throw new Error('the cluster tests must run under CI, but haproxy is not installed (apt-get install haproxy)');
  console.warn('\n[e2e] SKIPPED cluster call: haproxy is not installed (apt-get install haproxy)\n');
  return false;
}

const describeCluster = describe.runIf(chromiumAvailable() && netnsAvailable() && proxyAvailable());

/**
 * Video stopped on both pages after the kill and came back (a frame ending a
 * pause of at least 500 ms, so not one still in the pipeline), and keeps
 * flowing; prints the time from the kill (informational: bench/nodes.ts measures).
 */
async function expectVideoBackAfterKill(r: CallRig, killedAt: number, what: string): Promise<void> {
  const back = await Promise.all([resumeAfter(r.gp.page, killedAt, RECOVERY_WAIT_MS), resumeAfter(r.patient.page, killedAt, RECOVERY_WAIT_MS)]).catch((e: unknown) => {
    throw new Error(`${what}: video did not stop and come back on both sides within ${RECOVERY_WAIT_MS} ms (${(e as Error).message})`, { cause: e });
  });
  const at = Math.max(...back);
  expect(await bothDecoding(r, at + 1000, 10_000).catch(() => null), `${what}: video kept flowing after it came back`).not.toBeNull();
  console.log(`[e2e] ${what}: video back on both sides ${Math.round(at - killedAt)} ms after the SIGKILL (informational)`);
}

describeCluster('a call across two nodes', () => {
  let rig: ClusterCallRig | undefined;
  let apt: CreatedAppointment | undefined;

  beforeAll(async () => {
    rig = await clusterCallRig({ nodes: 2 });
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
  });

  it('carries video both ways with the patient on node A and the clinician on node B, and brings it back without a click when the node holding the media dies', async () => {
    const r = rig!;
    const [nodeA, nodeB] = [r.cluster.nodeIds[r.patientNode]!, r.cluster.nodeIds[r.gpNode]!];
    const call = await liveCall(r);
    apt = call;
    // Each page's socket is on its own node (each node's presence ledger), so the call crosses nodes.
    await expect.poll(() => r.consultationsWithSocketsOn(nodeA), { timeout: 10_000 }).toContain(call.id);
    await expect.poll(() => r.consultationsWithSocketsOn(nodeB), { timeout: 10_000 }).toContain(call.id);
    const owner = await r.cluster.ownerOf(call.id);
    expect([nodeA, nodeB]).toContain(owner);
    console.log(`[e2e] patient on ${nodeA}, clinician on ${nodeB}, media on ${owner}`);

    const clicks = (await seen(r.gp.page)).admitClicks;
    const killed = await killOwner(r, call.id);
    const survivor = r.cluster.nodeIds.find((id) => id !== killed.nodeId)!;
    await expectVideoBackAfterKill(r, killed.killedAt, `SIGKILL of ${killed.nodeId}, the node holding the call`);
    await expectNoReadmission(r, call, clicks);
    // The call's media is now placed on the node that is left, and only that node is alive.
    await expect.poll(() => r.cluster.ownerOf(call.id), { timeout: RECOVERY_WAIT_MS }).toBe(survivor);
    expect(await r.cluster.liveNodes()).toEqual([survivor]);
  }, 180_000);

  it('brings it back again when the dead node has returned and the node now holding the call (and both sockets) dies', async () => {
    const r = rig!;
    if (!apt) throw new Error('the first test left no call');
    const call = apt;
    const dead = r.cluster.nodes.findIndex((n) => !n.running());
    expect(dead, 'a node is down after the first test').toBeGreaterThanOrEqual(0);
    await r.cluster.nodes[dead]!.start();
    await r.cluster.ready();
    await expect.poll(() => r.cluster.liveNodes(), { timeout: 10_000 }).toEqual([...r.cluster.nodeIds].sort());
    // Both pages' sockets are on the node that holds the call now (the returned node has none yet).
    const holder = await r.cluster.ownerOf(call.id);
    expect(holder).not.toBe(r.cluster.nodeIds[dead]);
    await expect.poll(async () => (await r.consultationsWithSocketsOn(holder!)).filter((id) => id === call.id).length, { timeout: 10_000 }).toBe(2);
    const clicks = (await seen(r.gp.page)).admitClicks;
    const killed = await killOwner(r, call.id);
    await expectVideoBackAfterKill(r, killed.killedAt, `SIGKILL of ${killed.nodeId}, which held the call and both sockets`);
    await expectNoReadmission(r, call, clicks);
    await expect.poll(() => r.cluster.ownerOf(call.id), { timeout: RECOVERY_WAIT_MS }).toBe(r.cluster.nodeIds[dead]);
  }, 180_000);
});
