// A call across two nodes, for test/e2e/cluster-call.test.ts and
// `npm run bench -- nodes`: the nodes (support/cluster.ts) listen on
// SERVER_ADDRESS behind HAProxy, which speaks HTTPS there (the pages need a
// secure context: support/fault-browser.ts); the patient and the clinician
// each run Chromium in a network namespace of their own (support/netns.ts)
// with the frame probe. Each person's browser context carries the proxy's pin
// cookie, so the patient's page and socket go to one node and the
// clinician's to another while those nodes are up; when one dies the proxy
// sends its page elsewhere, as the balanced frontend does for everyone.
import { Redis } from 'ioredis';
import { clusterKeysFor } from '../server/cluster/cluster-keys.ts';
import { startCluster, type ClusterOptions, type ClusterRig } from './cluster.ts';
import { launchBrowserIn, probedPage } from './fault-browser.ts';
import type { CallRig, Person } from './fault-call.ts';
import { faultLab, SERVER_ADDRESS, type FaultLab } from './netns.ts';

export interface ClusterCallRig extends CallRig {
  cluster: ClusterRig;
  lab: FaultLab;
  patient: Person;
  gp: Person;
  /** The node index each person's requests are pinned to (while it is up). */
  patientNode: number;
  gpNode: number;
  /** Appointment ids that the participants' sockets on this node belong to (the node's presence ledger). */
  consultationsWithSocketsOn(nodeId: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface ClusterCallOptions extends Pick<ClusterOptions, 'nodes' | 'workers' | 'env'> {
  /** Node index for the patient's page (default 0) and the clinician's (default 1). */
  patientNode?: number;
  gpNode?: number;
}

/** The cluster, a lab of namespaces and two pinned browsers; close() stops all of it, also when start-up fails half way. */
export async function clusterCallRig(o: ClusterCallOptions = {}): Promise<ClusterCallRig> {
  const stops: (() => Promise<unknown>)[] = [];
  const close = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  const patientNode = o.patientNode ?? 0;
  const gpNode = o.gpNode ?? 1;
  try {
    const lab = await faultLab(); // makes SERVER_ADDRESS local first: the cluster listens on it
    stops.push(() => lab.close());
    const cluster = await startCluster({ nodes: o.nodes ?? 2, workers: o.workers ?? 1, host: SERVER_ADDRESS, tls: true, ...(o.env ? { env: o.env } : {}) });
    stops.push(() => cluster.close());
    const cert = cluster.cert;
    if (!cert) throw new Error('the proxy has no certificate');
    const person = async (node: number): Promise<Person> => {
      const net = await lab.network();
      const browser = await launchBrowserIn(net, cert);
      stops.push(() => browser.close());
      const { ctx, page } = await probedPage(browser);
      await ctx.addCookies([{ ...cluster.pinCookie(node), url: cluster.url }]);
      return { net, browser, ctx, page };
    };
    const patient = await person(patientNode);
    const gp = await person(gpNode);
    const redis = new Redis(cluster.redis.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    stops.push(() => redis.quit().catch(() => redis.disconnect()));
    const keys = clusterKeysFor();
    return {
      cluster,
      lab,
      patient,
      gp,
      patientNode,
      gpNode,
      server: { url: cluster.url },
      consultationsWithSocketsOn: async (nodeId) => redis.hvals(keys.presence(nodeId)),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** SIGKILLs the node holding this consultation's media; resolves with its index and the moment of the kill (epoch ms). */
export async function killOwner(rig: ClusterCallRig, appointmentId: string): Promise<{ index: number; nodeId: string; killedAt: number }> {
  const nodeId = await rig.cluster.ownerOf(appointmentId);
  if (!nodeId) throw new Error(`consultation ${appointmentId} is not placed on any node`);
  const index = rig.cluster.indexOf(nodeId);
  if (index < 0) throw new Error(`consultation ${appointmentId} is placed on an unknown node "${nodeId}"`);
  const node = rig.cluster.nodes[index]!;
  const killedAt = Date.now();
  await node.kill(); // SIGKILL at once, then waits for it and its workers to be gone
  return { index, nodeId, killedAt };
}
