// Benchmark 4, forwarding cost: K concurrent 1:1 consultations, each its own
// Router with two peers that each produce VP8 video and Opus audio and consume
// the other's two streams (4 forwarded streams per consultation). Synthetic
// media from one ffmpeg per kind, fanned out by the bench into every
// producer's PlainTransport; consumers send to local UDP sinks that count.
// OURS: Routers from our WorkerPool via RoomRegistry.open() (the Room's own
// router, room.router); our Peer class only creates WebRtcTransports, which
// need a browser's ICE/DTLS, so the plain transports, producers and consumers
// are built by the bench on room.router. BARE: mediasoup.createWorker() and
// worker.createRouter() directly, the same codecs, the same transports.
// Cost = worker CPU (getResourceUsage, user + system) over a fixed window.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { createLogger } from '../server/core/logger.ts';
import { MEDIA_CODECS } from '../server/media/codecs.ts';
import { RoomRegistry } from '../server/media/rooms.ts';
import { WorkerPool } from '../server/media/worker-pool.ts';
import { freeMediaPorts } from '../support/ports.ts';
import { PAYLOAD_TYPE, SSRC, MediaSource, type Kind, type Target } from './forward/source.ts';
import { BENCH_DIR, saveResult } from './lib/results.ts';
import { fmt, fmtRatio, ratio, sleep, table } from './lib/stats.ts';

export interface ForwardRun {
  target: 'ours' | 'bare';
  k: number;
  streams: number;
  windowMs: number;
  cpuMs: number;
  /** Percent of one core per forwarded stream. */
  cpuPctPerStream: number;
  /** Worker CPU microseconds per forwarded RTP packet. */
  usPerPacket: number;
  expected: number;
  received: number;
  lossPct: number;
  setupMs: number;
  /** CPU of the bench's own fan-out process in the window (it must not be the bottleneck). */
  fanoutCpuPct: number;
  /** RTP packets per second the source delivered to the fan-out in the window. */
  sourcePps: Record<Kind, number>;
}

export interface ForwardResult {
  ks: number[];
  workers: number;
  windowMs: number;
  runs: ForwardRun[];
  idleCpuPct: { ours: number; bare: number };
  skipped: string[];
  note: string;
  wallMs: number;
}

interface Backend {
  name: 'ours' | 'bare';
  router(id: string): Promise<types.Router>;
  closeRouter(id: string): void;
  cpuMs(): Promise<number>;
  close(): void;
}

async function ourBackend(workers: number, workerBin: string | undefined): Promise<Backend> {
  const pool = await WorkerPool.create(
    { numWorkers: workers, workerBin, logLevel: 'warn', listenIp: '127.0.0.1', port: await freeMediaPorts(workers) },
    createLogger('warn'),
  );
  const rooms = new RoomRegistry(pool);
  return {
    name: 'ours',
    router: async (id) => (await rooms.open(id)).router,
    closeRouter: (id) => rooms.close(id),
    cpuMs: async () => (await pool.resourceUsage()).reduce((s, w) => s + w.usage.ru_utime + w.usage.ru_stime, 0),
    close: () => {
      rooms.closeAll();
      pool.close();
    },
  };
}

async function bareBackend(workers: number, workerBin: string | undefined): Promise<Backend> {
  const ws: types.Worker[] = [];
  for (let i = 0; i < workers; i++) ws.push(await mediasoup.createWorker({ logLevel: 'warn', ...(workerBin ? { workerBin } : {}) }));
  const routers = new Map<string, types.Router>();
  let next = 0;
  return {
    name: 'bare',
    router: async (id) => {
      const r = await ws[next++ % ws.length]!.createRouter({ mediaCodecs: MEDIA_CODECS });
      routers.set(id, r);
      return r;
    },
    closeRouter: (id) => {
      routers.get(id)?.close();
      routers.delete(id);
    },
    cpuMs: async () => (await Promise.all(ws.map((w) => w.getResourceUsage()))).reduce((s, u) => s + u.ru_utime + u.ru_stime, 0),
    close: () => {
      for (const w of ws) w.close();
    },
  };
}

const rtpParameters = (kind: Kind): types.RtpParameters => ({
  codecs: [
    kind === 'video'
      ? { mimeType: 'video/VP8', payloadType: PAYLOAD_TYPE.video, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] }
      : { mimeType: 'audio/opus', payloadType: PAYLOAD_TYPE.audio, clockRate: 48000, channels: 2 },
  ],
  encodings: [{ ssrc: SSRC[kind] }],
});

interface Sinks {
  proc: ChildProcess;
  ask<T>(msg: object, reply: string): Promise<T>;
}

async function startSinks(): Promise<Sinks> {
  const proc = fork(path.join(BENCH_DIR, 'forward', 'sink.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<string, (m: unknown) => void>();
  proc.on('message', (m: { type: string }) => {
    waiting.get(m.type)?.(m);
    waiting.delete(m.type);
  });
  const ask = <T>(msg: object, reply: string) =>
    new Promise<T>((resolve) => {
      waiting.set(reply, resolve as (m: unknown) => void);
      if (Object.keys(msg).length) proc.send(msg);
    });
  await ask({}, 'ready');
  return { proc, ask };
}

/** One consultation: two peers, each one send and one receive PlainTransport, like our Peer's pair of WebRtcTransports. */
async function buildConsultation(router: types.Router, sinkPorts: [number, number]) {
  const listenInfo: types.TransportListenInfo = { protocol: 'udp', ip: '127.0.0.1' };
  const targets: Target[] = [];
  const consumers: { sinkPort: number; ssrc: number; kind: Kind }[] = [];
  const producers: types.Producer[][] = [];
  for (let peer = 0; peer < 2; peer++) {
    const send = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true });
    targets.push({ ip: '127.0.0.1', port: send.tuple.localPort });
    const mine: types.Producer[] = [];
    for (const kind of ['video', 'audio'] as const) mine.push(await send.produce({ kind, rtpParameters: rtpParameters(kind) }));
    producers.push(mine);
  }
  for (let peer = 0; peer < 2; peer++) {
    const recv = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: false });
    await recv.connect({ ip: '127.0.0.1', port: sinkPorts[peer]! });
    for (const producer of producers[1 - peer]!) {
      // As our Peer.consume does: paused until set up, then resumed.
      const c = await recv.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, paused: true });
      await c.resume();
      consumers.push({ sinkPort: sinkPorts[peer]!, ssrc: c.rtpParameters.encodings![0]!.ssrc!, kind: producer.kind });
    }
  }
  return { targets, consumers };
}

interface Built {
  backend: Backend;
  targets: Target[];
  consumers: { sinkPort: number; ssrc: number; kind: Kind }[];
  setupMs: number;
  acc: { cpuMs: number; windowMs: number; expected: number; received: number; selfCpuMs: number; sent: Record<Kind, number> };
}

async function build(backend: Backend, k: number, ports: number[]): Promise<Built> {
  const t0 = Date.now();
  const b: Built = {
    backend,
    targets: [],
    consumers: [],
    setupMs: 0,
    acc: { cpuMs: 0, windowMs: 0, expected: 0, received: 0, selfCpuMs: 0, sent: { audio: 0, video: 0 } },
  };
  for (let i = 0; i < k; i++) {
    const router = await backend.router(`fwd-${backend.name}-${k}-${i}`);
    const c = await buildConsultation(router, [ports[2 * i]!, ports[2 * i + 1]!]);
    b.targets.push(...c.targets);
    b.consumers.push(...c.consumers);
  }
  b.setupMs = Date.now() - t0;
  return b;
}

/** One counting window on one backend; the other backend gets no packets meanwhile. */
async function window(b: Built, source: MediaSource, sinks: Sinks, ms: number): Promise<void> {
  source.setTargets(b.targets);
  await sinks.ask({ type: 'reset' }, 'reset');
  // The workers are idle while the gate is closed, so the CPU samples need no precise timing:
  // the delta covers exactly the packets forwarded between opening and closing the gate.
  const cpu0 = await b.backend.cpuMs();
  const self0 = process.cpuUsage();
  const w0 = performance.now();
  source.gate(true, true);
  await sleep(ms);
  source.gate(false);
  const w1 = performance.now();
  const self = process.cpuUsage(self0);
  await sleep(400);
  const cpu1 = await b.backend.cpuMs();
  const { counts } = await sinks.ask<{ counts: { port: number; bySsrc: [number, number][] }[] }>({ type: 'report' }, 'report');
  const got = new Map(counts.map((c) => [c.port, new Map(c.bySsrc)]));
  for (const c of b.consumers) {
    b.acc.expected += source.sent[c.kind];
    b.acc.received += Math.min(source.sent[c.kind], got.get(c.sinkPort)?.get(c.ssrc) ?? 0);
  }
  b.acc.cpuMs += cpu1 - cpu0;
  b.acc.windowMs += w1 - w0;
  b.acc.selfCpuMs += (self.user + self.system) / 1000;
  b.acc.sent.audio += source.sent.audio;
  b.acc.sent.video += source.sent.video;
}

function result(b: Built, k: number): ForwardRun {
  const { cpuMs, windowMs, expected, received, selfCpuMs, sent } = b.acc;
  const streams = 4 * k;
  return {
    target: b.backend.name,
    k,
    streams,
    windowMs,
    cpuMs,
    cpuPctPerStream: ((cpuMs / windowMs) * 100) / streams,
    usPerPacket: received > 0 ? (cpuMs * 1000) / received : Number.NaN,
    expected,
    received,
    lossPct: expected > 0 ? (1 - received / expected) * 100 : Number.NaN,
    setupMs: b.setupMs,
    fanoutCpuPct: (selfCpuMs / windowMs) * 100,
    sourcePps: { video: sent.video / (windowMs / 1000), audio: sent.audio / (windowMs / 1000) },
  };
}

/**
 * Both backends built side by side for one K, warmed, then measured in
 * alternating windows (ours, bare, ours, bare) so a change in the machine's
 * background load falls on both alike.
 */
async function measureK(backends: Backend[], k: number, source: MediaSource, sinks: Sinks, windowMs: number, rounds: number): Promise<ForwardRun[]> {
  const built: Built[] = [];
  for (const backend of backends) {
    const { ports } = await sinks.ask<{ ports: number[] }>({ type: 'open', count: 2 * k }, 'opened');
    built.push(await build(backend, k, ports));
  }
  source.setTargets(built.flatMap((b) => b.targets));
  source.gate(true);
  await sleep(2500); // comedia learns each source; every video consumer sees a keyframe (GOP 1 s)
  source.gate(false);
  await sleep(300);
  for (let r = 0; r < rounds; r++) for (const b of built) await window(b, source, sinks, windowMs / rounds);
  source.setTargets([]);
  for (const b of built) for (let i = 0; i < k; i++) b.backend.closeRouter(`fwd-${b.backend.name}-${k}-${i}`);
  await sinks.ask({ type: 'close' }, 'closed');
  return built.map((b) => result(b, k));
}

export async function runForwarding(o: { ks?: number[]; windowMs?: number; workers?: number; budgetMs?: number } = {}): Promise<ForwardResult> {
  const t0 = Date.now();
  const ks = o.ks ?? [10, 25, 50, 100];
  const windowMs = o.windowMs ?? 10_000;
  const workers = o.workers ?? 2;
  const budgetMs = o.budgetMs ?? 2.5 * 60_000;
  const skipped: string[] = [];
  const workerBin = process.env.MEDIASOUP_WORKER_BIN || undefined;
  const ours = await ourBackend(workers, workerBin);
  const bare = await bareBackend(workers, workerBin);
  const sinks = await startSinks();
  // ffmpeg runs for a bounded time; every K and both backends fit in it.
  const source = await MediaSource.start(ks.length * 2 * (windowMs / 1000 + 10) + 60);
  const runs: ForwardRun[] = [];
  try {
    await sleep(1000);
    if (source.received.video === 0 || source.received.audio === 0) throw new Error(`ffmpeg sends no RTP:\n${source.ffmpegOutput}`);
    const idle = async (b: Backend) => {
      const c0 = await b.cpuMs();
      await sleep(2000);
      return ((await b.cpuMs()) - c0) / 20;
    };
    const idleCpuPct = { ours: await idle(ours), bare: await idle(bare) };
    for (const k of ks) {
      // Setup (about 40 ms per consultation and side), warm-up, two windows per side, drains.
      const estimateMs = k * 2 * 40 + 2800 + 2 * windowMs + 4 * 700;
      if (Date.now() - t0 + estimateMs > budgetMs) {
        skipped.push(`K=${k} (would not finish within the ${budgetMs / 60_000} min budget)`);
        continue;
      }
      if (!source.alive()) throw new Error(`ffmpeg stopped:\n${source.ffmpegOutput}`);
      const [a, b] = (await measureK([ours, bare], k, source, sinks, windowMs, 2)) as [ForwardRun, ForwardRun];
      runs.push(a, b);
      console.log(
        `  K=${String(k).padStart(3)}: ours ${fmt(a.usPerPacket, 2)} us/packet, loss ${fmt(a.lossPct, 3)}%; ` +
          `bare ${fmt(b.usPerPacket, 2)} us/packet, loss ${fmt(b.lossPct, 3)}%`,
      );
    }
    return {
      ks,
      workers,
      windowMs,
      runs,
      idleCpuPct,
      skipped,
      note: 'ours = Routers from WorkerPool + RoomRegistry (room.router); Peer creates only WebRtcTransports, so the plain transports/producers/consumers are built on room.router by the bench',
      wallMs: Date.now() - t0,
    };
  } finally {
    source.stop();
    sinks.proc.kill();
    ours.close();
    bare.close();
  }
}

/**
 * Ours over bare, per forwarded packet: the same as per stream at equal
 * packet rates, and unaffected by small differences in the source's pace
 * between the two windows.
 */
export const costRatio = (a: ForwardRun, b: ForwardRun): number => ratio(a.usPerPacket, b.usPerPacket);

export function forwardingTable(r: ForwardResult): string {
  const rows: string[][] = [];
  for (const k of r.ks) {
    const a = r.runs.find((x) => x.target === 'ours' && x.k === k);
    const b = r.runs.find((x) => x.target === 'bare' && x.k === k);
    if (!a || !b) continue;
    rows.push([
      String(k),
      String(a.streams),
      `${fmt((a.cpuMs / a.windowMs) * 100, 1)}/${fmt((b.cpuMs / b.windowMs) * 100, 1)}`,
      `${fmt(a.cpuPctPerStream, 3)}/${fmt(b.cpuPctPerStream, 3)}`,
      `${fmt(a.usPerPacket, 2)}/${fmt(b.usPerPacket, 2)}`,
      fmt(a.received / a.streams / (a.windowMs / 1000), 1),
      fmtRatio(costRatio(a, b)),
      `${fmt(a.lossPct, 3)}/${fmt(b.lossPct, 3)}`,
      `${a.received}/${a.expected}`,
      `${fmt(a.fanoutCpuPct)}/${fmt(b.fanoutCpuPct)}`,
    ]);
  }
  return table(['K', 'streams', 'worker CPU % o/b', 'CPU %/stream o/b', 'us/packet o/b', 'pkt/s/stream', 'cost ratio', 'loss % o/b', 'ours rcvd/expected', 'fan-out CPU % o/b'], rows);
}

export async function forwarding(budgetMs?: number): Promise<ForwardResult> {
  console.log('\n== forwarding cost: K 1:1 consultations, 4 forwarded streams each (VP8 600k + Opus), o = ours, b = bare mediasoup ==');
  const r = await runForwarding(budgetMs ? { budgetMs } : {});
  console.log(forwardingTable(r));
  console.log(`  ${r.workers} mediasoup workers each side; CPU = worker ru_utime+ru_stime over ${r.windowMs / 1000} s per side (2 alternating windows); idle worker CPU ours ${fmt(r.idleCpuPct.ours, 2)}%, bare ${fmt(r.idleCpuPct.bare, 2)}%`);
  console.log(`  NOTE: ${r.note}`);
  for (const x of r.skipped) console.log(`  skipped: ${x}`);
  const file = saveResult('forwarding', r);
  console.log(`  -> ${path.relative(process.cwd(), file)}`);
  return r;
}
