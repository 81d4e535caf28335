// Benchmark `nodes` (run only when named: `npm run bench -- nodes`): one and
// two nodes on one Redis behind HAProxy (support/cluster.ts), on this
// machine, so both nodes share its cores.
// 1. Waiting-room joins per second: N simulated patients (the capacity
//    benchmark's load children, bench/load/patients.ts: redeem the link, then
//    a websocket until consultation:state says 'waiting') arrive as one burst
//    at the proxy's balanced frontend, with one node up (the other SIGKILLed)
//    and with both; the proxy checks the nodes as deploy/haproxy.cfg does
//    (every 2 s), not as the test rig does (every 250 ms, which takes a node
//    busy with the burst out of the proxy). Bare reference: the same burst at the bare socket.io +
//    Redis server (bench/bare/socket-server.ts), one process, no proxy.
// 2. Consultations held: admitted pairs set up through the balanced frontend
//    by socket.io clients (no browser): each side asks for capabilities,
//    creates both transports, produces audio and video and consumes the
//    other's two streams, so each consultation is a Router with four
//    consumers on its node; up to K of them, one after another, with one
//    node and with two, until the first one the cluster refuses. No RTP flows in these (Node has no WebRTC stack here): what a
//    call's media costs a node is measured on the browser call of part 3
//    (worker CPU per call) and per stream by `npm run bench -- forwarding`.
// 3. Time to media back after the node holding a call is SIGKILLed: a
//    clinician and an admitted patient in Chromium (each in a network
//    namespace of its own, pinned to different nodes through the proxy:
//    support/cluster-call.ts); from the kill to the first remote video frame
//    that ends a pause on BOTH pages. The cluster runs the default heartbeat
//    and dead-after timings. References: the dead-after bound (no fail-over
//    can start before it) and the single-node worker-death recovery from the
//    latest `recovery` result.
// BENCH_NODES_N (patients per burst, default 1000), BENCH_NODES_K
// (consultations per run, at most: the first refusal ends a run; default
// 100), BENCH_NODES_RUNS (kills, default 3); BENCH_QUICK=1: 300 patients, 20
// consultations, 1 kill.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Ack } from '../server/wire/errors.ts';
import { createAppointment, Device, tokenOf, type Client } from '../support/api.ts';
import { startCluster, type ClusterRig } from '../support/cluster.ts';
import { haproxy, haproxyConfig, type Proxy, type ProxyLayout } from '../support/haproxy.ts';
import { clusterCallRig, killOwner, type ClusterCallRig } from '../support/cluster-call.ts';
import { resumeAfter } from '../support/fault-browser.ts';
import { admissions, liveCall, stillDecoding } from '../support/fault-call.ts';
import { freeTcpPort } from '../support/ports.ts';
import { cpuTicks } from '../support/server-process.ts';
import type { PatientResult, RunOrder, RunReport } from './load/patients.ts';
import { buildClient } from './lib/flows.ts';
import { rssOf, spawnNode, waitReady, type Child } from './lib/procs.ts';
import { BENCH_DIR, latestResult, saveResult } from './lib/results.ts';
import { fmt, fmtRatio, ratio, sleep, summarize, table, type Summary } from './lib/stats.ts';
import type { RecoveryResult } from './recovery.ts';

/** The issue's bound: media back within 5 s of the death being detected. */
export const AFTER_DETECTION_TARGET_MS = 5000;
/** The cluster timings the fail-over runs use: config/default.json's (heartbeat, dead after). */
const HEARTBEAT_MS = 1000;
const DEAD_AFTER_MS = 3000;
const GIVE_UP_MS = 30_000;
const TICK_MS = 10; // USER_HZ 100

export interface JoinRun {
  target: string;
  nodes: number;
  n: number;
  joined: number;
  errors: Record<string, number>;
  joinMs: Summary;
  arrivalMs: Summary;
  /** Joins per second from the burst to the last join. */
  perSec: number;
  /** Times the proxy took a node out during the burst because its /readyz check timed out (-1: no proxy). */
  checkTimeouts: number;
}

export interface HoldRun {
  nodes: number;
  k: number;
  held: number;
  /** Admit click to the last of the four consumers resumed (both sides set up). */
  setupMs: Summary;
  /** Consultations placed on each node. */
  placed: Record<string, number>;
  /** Server process RSS growth per consultation, on the nodes that hold them. */
  rssPerConsultationKB: number;
  errors: string[];
}

export interface FailoverSample {
  killed: string;
  /** SIGKILL to a frame on both pages (ms); Infinity when it never came. */
  bothMs: number;
  clinicianMs: number;
  patientMs: number;
  readmissions: number;
}

export interface NodesResult {
  joins: JoinRun[];
  holds: HoldRun[];
  /** One browser call's media on its node: worker CPU, percent of one core. */
  callWorkerCpuPct: number | null;
  failover: { samples: FailoverSample[]; both: Summary; heartbeatMs: number; deadAfterMs: number; errors: string[] };
  skipped: string[];
  wallMs: number;
}

// ---- 1. joins per second ---------------------------------------------------

interface LoadChild {
  proc: ChildProcess;
  next<T>(type: string): Promise<T>;
}

function startLoadChild(): Promise<LoadChild> {
  const proc = fork(path.join(BENCH_DIR, 'load', 'patients.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue: { type: string; resolve: (m: unknown) => void }[] = [];
  proc.on('message', (m: { type: string }) => {
    const i = queue.findIndex((q) => q.type === m.type);
    if (i >= 0) queue.splice(i, 1)[0]!.resolve(m);
  });
  const child: LoadChild = { proc, next: <T>(type: string) => new Promise<T>((resolve) => queue.push({ type, resolve: resolve as (m: unknown) => void })) };
  return child.next('ready').then(() => child);
}

/** An appointment, asked for again (up to 5 times) while the server says it is busy (503): setup, not what is measured. */
async function appointment(base: string, over: Parameters<typeof createAppointment>[1]): Promise<Awaited<ReturnType<typeof createAppointment>>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createAppointment(base, over);
    } catch (e) {
      if (attempt >= 5 || !/: 503 /.test((e as Error).message)) throw e;
      await sleep(200 * attempt);
    }
  }
}

async function createLinks(base: string, count: number, tag: string): Promise<string[]> {
  const tokens: string[] = new Array<string>(count);
  const startsAt = new Date().toISOString();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const a = await appointment(base, { clinicianId: `gp-${tag}-${i % 50}`, patientName: `Patient ${i}`, startsAt });
      tokens[i] = tokenOf(a.patientUrl);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return tokens;
}

/** Health checks that timed out in the proxy's output so far (it keeps its last 8,000 characters: a lower bound). */
const checkTimeouts = (proxy: Proxy | null): number => (proxy ? (proxy.output().match(/is DOWN, reason: Layer7 timeout/g) ?? []).length : -1);

async function burst(children: LoadChild[], target: 'ours' | 'bare', base: string, keys: string[], label: string, nodes: number, proxy: Proxy | null = null): Promise<JoinRun> {
  await sleep(500);
  const timeoutsBefore = checkTimeouts(proxy);
  const startAt = Date.now() + 300;
  const done = children.map((c) => c.next<RunReport>('done'));
  children.forEach((c, ci) => {
    const order: RunOrder = {
      type: 'run',
      target,
      base,
      patients: keys.map((key, index) => ({ index, key })).filter((p) => p.index % children.length === ci),
      mode: 'burst',
      ratePerSec: 0,
      startAt,
      timeoutMs: 30_000,
    };
    c.proc.send(order);
  });
  const results: PatientResult[] = (await Promise.all(done)).flatMap((r) => r.results);
  const wallMs = Date.now() - startAt;
  await Promise.all(
    children.map(async (c) => {
      const closed = c.next('closed');
      c.proc.send({ type: 'close' });
      return closed;
    }),
  );
  const joined = results.filter((r) => r.joinMs !== null);
  const errors: Record<string, number> = {};
  for (const r of results) if (r.error) errors[r.error] = (errors[r.error] ?? 0) + 1;
  const lastJoin = Math.max(...joined.map((r) => r.arrivalMs!), 1);
  return {
    target: label,
    nodes,
    n: keys.length,
    joined: joined.length,
    errors,
    joinMs: summarize(joined.map((r) => r.joinMs!)),
    arrivalMs: summarize(joined.map((r) => r.arrivalMs!)),
    perSec: joined.length / (Math.min(wallMs, lastJoin) / 1000),
    checkTimeouts: proxy ? Math.max(0, checkTimeouts(proxy) - timeoutsBefore) : -1,
  };
}

/** The rig's health checks (support/haproxy.ts), and the deployment's (deploy/haproxy.cfg: every 2 s, out after 3 misses). */
const RIG_CHECK = /inter 250 fall 2 rise 1/g;
const DEPLOY_CHECK = 'inter 2s fall 3 rise 1';

/**
 * Replaces the rig's proxy with one on the same ports (the nodes' PUBLIC_URL)
 * whose health checks are the deployment's: the rig's 250 ms checks, made for
 * quick fail-over in the tests, take a node busy with a burst out of the
 * proxy (its /readyz answer is late), and the joins would then measure the
 * checks, not the nodes. stop() stops it and removes its files.
 */
async function deploymentProxy(cluster: ClusterRig): Promise<Proxy> {
  const port = (u: string): number => Number(new URL(u).port);
  const layout: ProxyLayout = {
    host: new URL(cluster.url).hostname,
    port: port(cluster.url),
    pinnedPorts: cluster.nodes.map((_, i) => port(cluster.urlOf(i))),
    backends: cluster.nodes.map((n, i) => ({ id: cluster.nodeIds[i]!, address: new URL(n.url).host })),
  };
  const text = haproxyConfig(layout);
  if (!RIG_CHECK.test(text)) throw new Error("support/haproxy.ts's health checks changed: update bench/nodes.ts");
  const dir = mkdtempSync(path.join(tmpdir(), 'consultroom-bench-proxy-'));
  const proxy = haproxy(layout, dir);
  const cfg = path.join(dir, 'haproxy.cfg');
  if (!existsSync(cfg)) throw new Error(`support/haproxy.ts no longer writes ${cfg}: update bench/nodes.ts`);
  writeFileSync(cfg, text.replace(RIG_CHECK, DEPLOY_CHECK));
  await cluster.proxy.stop();
  await proxy.start();
  return {
    ...proxy,
    async stop() {
      await proxy.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startBare(redisUrl: string): Promise<Child> {
  const port = await freeTcpPort();
  const child = spawnNode('bare-socket', path.join(BENCH_DIR, 'bare', 'socket-server.ts'), [String(port), redisUrl], {}, `http://127.0.0.1:${port}`);
  await waitReady(child, '/readyz');
  return child;
}

// ---- 2. consultations held -------------------------------------------------

const RECV_CAPS_KEYS = ['kind', 'mimeType', 'preferredPayloadType', 'clockRate', 'channels', 'parameters', 'rtcpFeedback'] as const;
const rtp = (kind: 'audio' | 'video', ssrc: number) =>
  kind === 'audio'
    ? { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: { minptime: 10, useinbandfec: 1 } }], encodings: [{ ssrc }], rtcp: { cname: `b${ssrc}` } }
    : {
        codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] }],
        encodings: [{ ssrc }],
        rtcp: { cname: `b${ssrc}` },
      };

function ok<T>(what: string, a: Ack<T>): T {
  if (!a.ok) throw new Error(`${what} refused: ${a.error.code}`);
  return a.data;
}

/** One side's media, as a page sets it up, without ICE: capabilities, both transports, two producers. */
async function publish(c: Client, ssrc: number): Promise<{ recv: string; caps: unknown }> {
  const { rtpCapabilities } = ok('capabilities', await c.request('media:capabilities', {}));
  const send = ok('send transport', await c.request('media:createTransport', { direction: 'send' })).id;
  const recv = ok('recv transport', await c.request('media:createTransport', { direction: 'recv' })).id;
  for (const [i, kind] of (['audio', 'video'] as const).entries()) {
    ok(`produce ${kind}`, await c.request('media:produce', { transportId: send, kind, rtpParameters: rtp(kind, ssrc + i), source: kind === 'audio' ? 'microphone' : 'camera' }));
  }
  // The router's codecs as a receiver's capabilities (the wire schema takes a subset of their fields).
  const codecs = ((rtpCapabilities as { codecs?: Record<string, unknown>[] }).codecs ?? []).map((codec) =>
    Object.fromEntries(RECV_CAPS_KEYS.filter((k) => codec[k] !== undefined).map((k) => [k, codec[k]])),
  );
  return { recv, caps: { codecs, headerExtensions: [] } };
}

async function consumeOthers(c: Client, self: string, mine: { recv: string; caps: unknown }): Promise<number> {
  const { producers } = ok('producers', await c.request('media:producers', {}));
  let n = 0;
  for (const p of producers.filter((x) => x.participantId !== self)) {
    const info = ok('consume', await c.request('media:consume', { transportId: mine.recv, producerId: p.producerId, rtpCapabilities: mine.caps as never }));
    ok('resume consumer', await c.request('media:resumeConsumer', { consumerId: info.id }));
    n++;
  }
  return n;
}

interface Held {
  aptId: string;
  clients: Client[];
}

/** A consultation through the balanced frontend: patient waits, clinician admits, both publish and consume. */
async function holdOne(base: string, i: number, tag: string): Promise<{ held: Held; setupMs: number }> {
  const apt = await appointment(base, { clinicianId: `gp-hold-${tag}-${i}`, patientName: `Held ${i}` });
  const patientDevice = new Device(base);
  if ((await patientDevice.redeem(apt.patientUrl)).status !== 200) throw new Error('patient link refused');
  const patient = await patientDevice.connect();
  const clients = [patient];
  try {
    const patientId = (await patient.until((v) => v.self.state === 'waiting', 10_000)).self.id;
    const gpDevice = new Device(base, 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36 consultroom-bench');
    if ((await gpDevice.redeem(apt.clinicianUrl)).status !== 200) throw new Error('clinician link refused');
    const gp = await gpDevice.connect({ appointmentId: apt.id });
    clients.push(gp);
    const gpId = (await gp.until((v) => v.self.id !== undefined, 10_000)).self.id;
    const t0 = performance.now();
    ok('admit', await gp.request('lobby:admit', { participantId: patientId }));
    await patient.until((v) => v.self.state === 'admitted', 10_000);
    const [pm, gm] = await Promise.all([publish(patient, 10_000 + 4 * i), publish(gp, 20_000_000 + 4 * i)]);
    const consumed = (await Promise.all([consumeOthers(patient, patientId, pm), consumeOthers(gp, gpId, gm)])).reduce((a, b) => a + b, 0);
    if (consumed !== 4) throw new Error(`${consumed} of 4 consumers`);
    return { held: { aptId: apt.id, clients }, setupMs: performance.now() - t0 };
  } catch (e) {
    for (const c of clients) c.close();
    throw e;
  }
}

async function holdRun(cluster: ClusterRig, k: number, up: number[], budgetEnd: number): Promise<HoldRun> {
  const tag = `${up.length}n${Date.now() % 100_000}`;
  const rssBefore = cluster.nodes.map((n, i) => (up.includes(i) ? rssOf(n.pid()) : Number.NaN));
  const held: Held[] = [];
  const times: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < k; i++) {
    if (Date.now() > budgetEnd) {
      errors.push(`stopped at ${i}: over the time budget`);
      break;
    }
    try {
      const r = await holdOne(cluster.url, i, tag);
      held.push(r.held);
      times.push(r.setupMs);
    } catch (e) {
      errors.push(`consultation ${i + 1}: ${(e as Error).message.split('\n')[0]}`);
      break; // the limit: the first consultation the cluster could not set up
    }
  }
  await sleep(500);
  const placed: Record<string, number> = {};
  for (const h of held) {
    const owner = (await cluster.ownerOf(h.aptId)) ?? 'none';
    placed[owner] = (placed[owner] ?? 0) + 1;
  }
  const growth = up.reduce((s, i) => s + (rssOf(cluster.nodes[i]!.pid()) - rssBefore[i]!), 0);
  for (const h of held) {
    const gp = h.clients[1];
    await gp?.request('consultation:end', {}).catch(() => undefined);
    for (const c of h.clients) c.close();
  }
  await sleep(500);
  return { nodes: up.length, k, held: held.length, setupMs: summarize(times), placed, rssPerConsultationKB: held.length ? growth / held.length / 1024 : Number.NaN, errors };
}

// ---- 3. fail-over ----------------------------------------------------------

/** Worker CPU of the node holding the call, percent of one core, over `ms`. */
async function callCpu(rig: ClusterCallRig, aptId: string, ms = 3000): Promise<number | null> {
  const owner = await rig.cluster.ownerOf(aptId);
  const node = owner ? rig.cluster.nodes[rig.cluster.indexOf(owner)] : undefined;
  if (!node?.running()) return null;
  const pids = node.workerPids();
  const before = pids.map(cpuTicks);
  await sleep(ms);
  const used = pids.reduce((s, p, i) => s + (cpuTicks(p) - before[i]!), 0);
  return ((used * TICK_MS) / ms) * 100;
}

async function failover(runs: number, budgetEnd: number): Promise<{ samples: FailoverSample[]; errors: string[]; cpuPct: number | null }> {
  const samples: FailoverSample[] = [];
  const errors: string[] = [];
  let cpuPct: number | null;
  const rig = await clusterCallRig({ nodes: 2, env: { LOG_LEVEL: 'warn', CLUSTER_HEARTBEAT_MS: String(HEARTBEAT_MS), CLUSTER_DEAD_AFTER_MS: String(DEAD_AFTER_MS) } });
  try {
    let apt = await liveCall(rig);
    cpuPct = await callCpu(rig, apt.id);
    for (let i = 0; i < runs; i++) {
      if (Date.now() + 20_000 > budgetEnd) {
        errors.push(`run ${i + 1} skipped: over the time budget`);
        break;
      }
      try {
        if (!(await stillDecoding(rig, 5000))) apt = await liveCall(rig);
        await sleep(1000);
        const before = await admissions(rig.cluster.url, apt.id);
        const killed = await killOwner(rig, apt.id);
        const side = (p: Parameters<typeof resumeAfter>[0]) => resumeAfter(p, killed.killedAt, GIVE_UP_MS).then((at) => at - killed.killedAt, () => Infinity);
        const [clinicianMs, patientMs] = await Promise.all([side(rig.gp.page), side(rig.patient.page)]);
        const s: FailoverSample = { killed: killed.nodeId, bothMs: Math.max(clinicianMs, patientMs), clinicianMs, patientMs, readmissions: (await admissions(rig.cluster.url, apt.id)) - before };
        samples.push(s);
        console.log(`  SIGKILL of ${killed.nodeId} #${i + 1}: media back on both pages after ${never(s.bothMs)} ms (clinician ${never(clinicianMs)}, patient ${never(patientMs)}), re-admissions ${s.readmissions}`);
        // The killed node comes back, so the next run has somewhere to move the call.
        await rig.cluster.nodes[killed.index]!.start();
        await rig.cluster.ready();
        const t0 = Date.now();
        while ((await rig.cluster.liveNodes()).length < rig.cluster.nodes.length && Date.now() - t0 < 10_000) await sleep(100);
      } catch (e) {
        errors.push(`run ${i + 1}: ${(e as Error).message.split('\n')[0]}`);
        console.log(`  fail-over run ${i + 1}: ERROR ${(e as Error).message.split('\n')[0]}`);
        for (const n of rig.cluster.nodes) if (!n.running()) await n.start().catch(() => undefined);
      }
    }
  } finally {
    await rig.close();
  }
  return { samples, errors, cpuPct };
}

const never = (v: number): string => (v === Infinity ? `never (>${GIVE_UP_MS / 1000} s)` : fmt(v));

// ---- the benchmark -----------------------------------------------------------

export async function nodes(budgetMs = 5 * 60_000): Promise<NodesResult> {
  const quick = process.env.BENCH_QUICK === '1';
  const num = (name: string, dflt: number) => Math.max(1, Number(process.env[name] ?? dflt) || dflt);
  const n = num('BENCH_NODES_N', quick ? 300 : 1000);
  const k = num('BENCH_NODES_K', quick ? 20 : 100);
  const runs = num('BENCH_NODES_RUNS', quick ? 1 : 3);
  const t0 = Date.now();
  const budgetEnd = t0 + budgetMs;
  console.log(`\n== nodes: 1 and 2 nodes on one Redis behind HAProxy, on this machine (${n} patients per burst, ${k} consultations per run, ${runs} node kill(s)) ==`);
  buildClient();
  const joins: JoinRun[] = [];
  const holds: HoldRun[] = [];
  const skipped: string[] = [];

  // Every simulated patient comes through the proxy from 127.0.0.1: lift the per-address socket cap (a NAT setting).
  const cluster = await startCluster({ nodes: 2, env: { LOG_LEVEL: 'warn', SOCKETS_PER_ADDRESS: '1000000' } });
  const children: LoadChild[] = [];
  let proxy: Proxy | undefined;
  try {
    for (let i = 0; i < 2; i++) children.push(await startLoadChild());
    const bare = await startBare(cluster.redis.url);
    try {
      joins.push(await burst(children, 'bare', bare.url, Array.from({ length: n }, (_, i) => `b-${i}`), 'bare socket.io + Redis (1 process, direct)', 1));
    } finally {
      await bare.stop();
    }
    proxy = await deploymentProxy(cluster);
    // One node: node-b SIGKILLed, and gone from Redis and from the proxy's health checks (3 x 2 s).
    await cluster.nodes[1]!.kill();
    const gone = Date.now();
    while ((await cluster.liveNodes()).length > 1 && Date.now() - gone < 15_000) await sleep(100);
    await sleep(Math.max(0, gone + 7000 - Date.now()));
    joins.push(await burst(children, 'ours', cluster.url, await createLinks(cluster.url, n, 'one'), 'ours through the proxy', 1, proxy));
    holds.push(await holdRun(cluster, k, [0], budgetEnd - 2 * 60_000));
    await cluster.nodes[1]!.start();
    await cluster.ready();
    const back = Date.now();
    while ((await cluster.liveNodes()).length < 2 && Date.now() - back < 15_000) await sleep(100);
    await sleep(2500); // the proxy's next check lets it in
    joins.push(await burst(children, 'ours', cluster.url, await createLinks(cluster.url, n, 'two'), 'ours through the proxy', 2, proxy));
    holds.push(await holdRun(cluster, k, [0, 1], budgetEnd - 90_000));
  } finally {
    for (const c of children) c.proc.kill();
    await proxy?.stop();
    await cluster.close();
  }
  for (const j of joins) console.log(`  joins, ${j.target}, ${j.nodes} node(s): ${j.joined}/${j.n} joined, ${fmt(j.perSec)} joins/s, join p50 ${fmt(j.joinMs.p50, 1)} / p99 ${fmt(j.joinMs.p99, 1)} ms${Object.keys(j.errors).length ? `; errors ${JSON.stringify(j.errors)}` : ''}${j.checkTimeouts > 0 ? `; the proxy took a node out ${j.checkTimeouts} time(s): its /readyz check timed out (an HTTP 503 from the proxy while no node is in)` : ''}`);
  for (const h of holds) console.log(`  held, ${h.nodes} node(s): ${h.held}/${h.k}, setup p50 ${fmt(h.setupMs.p50)} ms, placed ${JSON.stringify(h.placed)}${h.errors.length ? `; ${h.errors.join('; ')}` : ''}`);

  let fo: Awaited<ReturnType<typeof failover>> = { samples: [], errors: [], cpuPct: null };
  if (Date.now() + 45_000 > budgetEnd) skipped.push('fail-over (over the time budget)');
  else fo = await failover(runs, budgetEnd);

  const result: NodesResult = {
    joins,
    holds,
    callWorkerCpuPct: fo.cpuPct,
    failover: { samples: fo.samples, both: summarize(fo.samples.map((s) => s.bothMs)), heartbeatMs: HEARTBEAT_MS, deadAfterMs: DEAD_AFTER_MS, errors: fo.errors },
    skipped,
    wallMs: Date.now() - t0,
  };
  console.log(nodesTable(result));
  for (const e of [...fo.errors, ...skipped]) console.log(`  ${e}`);
  const file = saveResult('nodes', result);
  console.log(`  -> ${path.relative(process.cwd(), file)}`);
  return result;
}

export function nodesTable(r: NodesResult): string {
  const rows: string[][] = [];
  const bare = r.joins.find((j) => j.target.startsWith('bare'));
  const one = r.joins.find((j) => j !== bare && j.nodes === 1);
  for (const j of r.joins.filter((x) => x !== bare)) {
    const errs = Object.values(j.errors).reduce((s, v) => s + v, 0);
    const scaling = j !== one && one ? ` (${fmtRatio(ratio(j.perSec, one.perSec))} one node's)` : '';
    rows.push([
      `waiting-room joins/s, ${j.nodes} node${j.nodes > 1 ? 's' : ''} (burst of ${j.n})`,
      `${fmt(j.perSec)} joins/s${scaling} (${j.joined}/${j.n}, ${errs} errors${j.checkTimeouts > 0 ? `; a node's /readyz check timed out ${j.checkTimeouts}x` : ''}), join p99 ${fmt(j.joinMs.p99)} ms`,
      bare ? `${fmt(bare.perSec)} joins/s, p99 ${fmt(bare.joinMs.p99)} ms` : '-',
      bare ? fmtRatio(ratio(j.perSec, bare.perSec)) : '-',
    ]);
  }
  for (const h of r.holds) {
    rows.push([
      `consultations held, ${h.nodes} node${h.nodes > 1 ? 's' : ''} (4 consumers each, no RTP)`,
      `${h.held}/${h.k}, setup p50 ${fmt(h.setupMs.p50)} / p95 ${fmt(h.setupMs.p95)} ms, ${fmt(h.rssPerConsultationKB)} KB RSS each, placed ${Object.entries(h.placed).map(([n, c]) => `${n} ${c}`).join(', ')}`,
      '-',
      '-',
    ]);
  }
  if (r.callWorkerCpuPct !== null) {
    const perCore = r.callWorkerCpuPct > 0 ? 100 / r.callWorkerCpuPct : Number.NaN;
    rows.push(['one browser call, worker CPU on its node', `${fmt(r.callWorkerCpuPct, 1)}% of a core: about ${fmt(perCore)} such calls per worker core`, '-', '-']);
  }
  const f = r.failover;
  if (f.samples.length) {
    const worker = latestResult<RecoveryResult>('recovery')?.faults.find((x) => x.fault.startsWith('worker death'));
    const readmitted = f.samples.reduce((s, x) => s + x.readmissions, 0);
    // The node's key expires deadAfterMs after its last heartbeat, which came up to one heartbeat before the kill.
    const detection = f.deadAfterMs - f.heartbeatMs;
    rows.push([
      `media back after SIGKILL of the call's node (${f.samples.length} runs)`,
      `p50 ${never(f.both.p50)} / max ${never(f.both.max)} ms; after the earliest detection: p50 ${never(f.both.p50 - detection)} / max ${never(f.both.max - detection)} ms (target <= ${AFTER_DETECTION_TARGET_MS}); re-admissions ${readmitted}`,
      `detected ${detection}-${f.deadAfterMs} ms after the kill (dead after ${f.deadAfterMs} ms without a heartbeat, one every ${f.heartbeatMs} ms); one node, worker death: ${worker ? `p50 ${never(worker.both.p50)} ms` : 'no saved recovery result'}`,
      worker ? fmtRatio(ratio(f.both.p50, worker.both.p50)) : '-',
    ]);
  }
  return table(['measure', 'ours', 'bare reference', 'ratio'], rows);
}
