// Several nodes on one Redis behind a reverse proxy, as real processes, for
// the integration tests, the e2e tests and the benchmark: a redis-server
// (append-only, so a restart keeps its data), two or three server processes
// (`node server/main.ts`, NODE_ID node-a/b/c) sharing one JWT signing key,
// one files directory and the API keys, each with its own media ports, and
// HAProxy in front (support/haproxy.ts). Every node's PUBLIC_URL is the
// proxy's balanced URL, so pages keep one origin whichever node serves them.
// Imports nothing from test/ (bench/ uses it too).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { clusterKeysFor } from '../server/cluster/cluster-keys.ts';
import type { AppointmentId } from '../server/core/ids.ts';
import { haproxy, haproxyAvailable, PIN_COOKIE, PIN_HEADER, SERVED_BY_HEADER, type Proxy } from './haproxy.ts';
import { freeMediaPorts, freeTcpPort } from './ports.ts';
import { startRedisServer, type RedisServerHandle } from './redis-server.ts';
import { certificateFor, serverProcess, type ServerProcess } from './server-process.ts';
import { TEST_API_KEY } from './server.ts';

export { haproxyAvailable };

export const NODE_IDS = ['node-a', 'node-b', 'node-c'] as const;

export interface ClusterOptions {
  nodes?: 2 | 3;
  /** mediasoup workers per node (default 1). */
  workers?: number;
  /** Environment for every node (config keys, e.g. DRAIN_SECONDS). */
  env?: Record<string, string>;
  /** More environment for node i only. */
  nodeEnv?: (i: number) => Record<string, string>;
  /** The address everything listens on and announces (default 127.0.0.1). */
  host?: string;
  /** The proxy speaks HTTPS with a certificate made for `host` (trusted by this process); the nodes behind it stay HTTP. */
  tls?: boolean;
}

export interface ClusterRig {
  /** The balanced frontend: every node, roundrobin, health-checked on /readyz. Every node's PUBLIC_URL. */
  readonly url: string;
  /** Its origin: the Origin every page sends, whichever frontend it uses. */
  readonly origin: string;
  /** The proxy's certificate (PEM) when tls. */
  readonly cert: string | undefined;
  /** The frontend pinned to node i (through the proxy, no health check). */
  urlOf(i: number): string;
  readonly nodeIds: readonly string[];
  readonly nodes: ServerProcess[];
  readonly redis: RedisServerHandle;
  readonly proxy: Proxy;
  /**
   * Headers for a client of the balanced frontend that should land on node i
   * while it is up (and elsewhere when it is not): a page "on node A" that
   * reconnects through the proxy to another node when A dies.
   */
  pinHeaders(i: number): Record<string, string>;
  /** The same as a cookie (for a browser context): name and value. */
  pinCookie(i: number): { name: string; value: string };
  /** The node index whose NODE_ID this is. */
  indexOf(nodeId: string): number;
  /** Node ids with a live heartbeat in Redis now. */
  liveNodes(): Promise<string[]>;
  /** The node that holds this consultation's media, as Redis says (null: not placed). */
  ownerOf(appointmentId: string): Promise<string | null>;
  /** Waits until the balanced frontend sends nothing to node i (its health check saw it not ready or gone). */
  proxyAvoids(i: number, ms?: number): Promise<void>;
  /** The node id that served this answer through the proxy. */
  servedBy(res: Response): string | null;
  /** Waits until every running node answers /readyz 200 through its pinned frontend, and the balanced frontend sends requests to each. */
  ready(ms?: number): Promise<void>;
  /** Stops the proxy, every node and Redis, and removes their files. */
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Ports for the proxy: distinct from each other and from the nodes' own. */
async function distinctPorts(count: number, taken: Set<number>): Promise<number[]> {
  const out: number[] = [];
  while (out.length < count) {
    const p = await freeTcpPort();
    if (!taken.has(p)) {
      taken.add(p);
      out.push(p);
    }
  }
  return out;
}

/** Media port ranges (workers consecutive ports each) that do not overlap. */
async function distinctMediaRanges(count: number, workers: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < count) {
    const base = await freeMediaPorts(workers);
    if (out.every((b) => base + workers <= b || b + workers <= base)) out.push(base);
  }
  return out;
}

export async function startCluster(o: ClusterOptions = {}): Promise<ClusterRig> {
  if (!haproxyAvailable()) throw new Error('haproxy is not installed (apt-get install haproxy)');
  const count = o.nodes ?? 2;
  const workers = o.workers ?? 1;
  const host = o.host ?? '127.0.0.1';
  const dir = mkdtempSync(path.join(tmpdir(), 'consultroom-cluster-'));
  const filesDir = path.join(dir, 'files');
  const keyFile = path.join(dir, 'jwt-signing-key.pem');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const cert = o.tls ? certificateFor(host, dir) : undefined;
  const tlsPem = cert ? path.join(dir, 'proxy.pem') : undefined;
  if (cert && tlsPem) writeFileSync(tlsPem, cert.pem + readFileSync(cert.keyFile, 'utf8'), { mode: 0o600 });

  const started: { stop(): Promise<void> }[] = [];
  const undo = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Every write on disk before a test's SIGKILL of Redis (everysec could lose the last second).
    const redis = await startRedisServer({ appendOnly: true, fsync: 'always' });
    started.push(redis);
    const nodeIds = NODE_IDS.slice(0, count);
    const media = await distinctMediaRanges(count, workers);
    // The balanced URL must be known before the nodes are made: it is their PUBLIC_URL.
    const proxyPorts = await distinctPorts(count + 1, new Set([redis.port]));
    const scheme = cert ? 'https' : 'http';
    const url = `${scheme}://${host}:${proxyPorts[0]!}`;
    const nodes: ServerProcess[] = [];
    for (let i = 0; i < count; i++) {
      const node = await serverProcess({
        host,
        workers,
        redisUrl: redis.url,
        env: {
          NODE_ID: nodeIds[i]!,
          PUBLIC_URL: url,
          TRUST_PROXY: 'true',
          API_KEYS: TEST_API_KEY,
          JWT_SIGNING_KEY_FILE: keyFile,
          FILES_DIR: filesDir,
          MEDIASOUP_PORT: String(media[i]!),
          CLUSTER_HEARTBEAT_MS: '300',
          CLUSTER_DEAD_AFTER_MS: '1200',
          ...o.env,
          ...o.nodeEnv?.(i),
        },
      });
      nodes.push(node);
      started.push({ stop: () => node.close() });
    }
    const taken = new Set(proxyPorts);
    for (const n of nodes) {
      const p = Number(new URL(n.url).port);
      if (taken.has(p)) throw new Error(`port ${p} was handed out twice; try again`);
      taken.add(p);
    }
    const proxy = haproxy(
      {
        host,
        port: proxyPorts[0]!,
        pinnedPorts: proxyPorts.slice(1),
        backends: nodes.map((n, i) => ({ id: nodeIds[i]!, address: new URL(n.url).host })),
        ...(tlsPem ? { tlsPem } : {}),
      },
      dir,
    );
    started.push(proxy);
    // One after another: each node's startup is CPU-heavy (workers, Redis connections) on a small machine.
    for (const n of nodes) await n.start();
    await proxy.start();

    const keys = clusterKeysFor();
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true, enableOfflineQueue: true });
    client.on('error', () => undefined); // a test may stop Redis; each call then fails on its own
    started.push({ stop: () => client.quit().then(() => undefined, () => client.disconnect()) });
    const urlOf = (i: number): string => `${scheme}://${host}:${proxyPorts[1 + i]!}`;

    const rig: ClusterRig = {
      url,
      origin: new URL(url).origin,
      cert: cert?.pem,
      urlOf,
      nodeIds,
      nodes,
      redis,
      proxy,
      pinHeaders: (i) => ({ [PIN_HEADER]: nodeIds[i]! }),
      pinCookie: (i) => ({ name: PIN_COOKIE, value: nodeIds[i]! }),
      indexOf: (id) => nodeIds.indexOf(id as (typeof NODE_IDS)[number]),
      async liveNodes() {
        const ids = await client.smembers(keys.nodes);
        const alive = await Promise.all(ids.map(async (id) => ((await client.exists(keys.node(id))) === 1 ? id : null)));
        return alive.filter((x): x is string => x !== null).sort();
      },
      ownerOf: (appointmentId) => client.get(keys.placement(appointmentId as AppointmentId)),
      async ready(ms = 20_000) {
        const t0 = Date.now();
        const urls = [...nodes.flatMap((n, i) => (n.running() ? [urlOf(i)] : [])), url];
        for (const u of urls) {
          for (;;) {
            const status = await fetch(`${u}/readyz`).then((r) => r.status, () => 0);
            if (status === 200) break;
            if (Date.now() - t0 > ms) throw new Error(`${u}/readyz answered ${status}, not 200, for ${ms} ms`);
            await sleep(100);
          }
        }
        // And the proxy's health checks have every running node back in the rotation (a page pinned
        // by header lands on its node only then).
        const want = new Set(nodeIds.filter((_, i) => nodes[i]!.running()));
        const seen = new Set<string>();
        while ([...want].some((id) => !seen.has(id))) {
          const served = await fetch(`${url}/readyz`).then((r) => (r.ok ? r.headers.get(SERVED_BY_HEADER) : null), () => null);
          if (served) seen.add(served);
          else await sleep(100);
          if (Date.now() - t0 > ms) throw new Error(`the proxy did not send requests to ${[...want].filter((id) => !seen.has(id)).join(', ')} within ${ms} ms`);
        }
      },
      async proxyAvoids(i, ms = 10_000) {
        const t0 = Date.now();
        // Roundrobin: a few answers in a row from the others means node i is out of the rotation.
        for (let clean = 0; clean < 2 * count; ) {
          const served = await fetch(`${url}/healthz`).then((r) => r.headers.get(SERVED_BY_HEADER), () => null);
          clean = served !== null && served !== nodeIds[i] ? clean + 1 : 0;
          if (Date.now() - t0 > ms) throw new Error(`the proxy still sends requests to ${nodeIds[i]!} after ${ms} ms`);
          if (clean === 0) await sleep(100);
        }
      },
      servedBy: (res) => res.headers.get(SERVED_BY_HEADER),
      close: undo,
    };
    await rig.ready();
    return rig;
  } catch (e) {
    await undo();
    throw e;
  }
}
