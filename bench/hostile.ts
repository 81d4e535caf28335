// Benchmark 7, one hostile client: what each attack of issue 11 costs everyone
// else. Our server runs as its own process with its default limits; four
// consultations are live (clinician and patient admitted, each from its own
// loopback address), and every clinician asks for its view every 50 ms. Each
// phase runs one attacker, from an address of its own, for a fixed time; the
// figures are the victims' acknowledgement latency and the server's RSS,
// beside the same figures with no attacker (the first and last phases).
// BENCH_STORE=redis runs the server on a private redis-server instead.
import { request as httpRequest } from 'node:http';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { loadConfig } from '../config/load.ts';
import type { Socket } from 'socket.io-client';
import { startRedisServer } from '../support/redis-server.ts';
import { createAppointment, type CreatedAppointment } from '../support/api.ts';
import { ack, LoopbackBrowser } from './lib/loopback.ts';
import { startOurServer, type OurServer } from './lib/procs.ts';
import { saveResult } from './lib/results.ts';
import { fmt, sleep, summarize, table, until, type Summary } from './lib/stats.ts';

const VICTIMS = 4;
const PROBE_EVERY_MS = 50;

export interface HostilePhase {
  attack: string;
  what: string;
  acks: Summary;
  ackFailures: number;
  rssStartMiB: number;
  rssPeakMiB: number;
  /** What the attacker was answered: status or code -> count. */
  outcomes: Record<string, number>;
}

export interface HostileResult {
  store: 'memory' | 'redis';
  phaseSeconds: number;
  phases: HostilePhase[];
}

interface View {
  self: { id: string; state: string };
  participants?: { id: string; state: string }[];
}

/** The latest view a socket was pushed. */
function track(socket: Socket): () => View | undefined {
  let last: View | undefined;
  socket.on('consultation:state', (v: View) => (last = v));
  return () => last;
}

let hostCounter = 0;
/** A loopback address of its own for each browser (127.0.x.y). */
const nextHost = () => `127.0.${20 + (hostCounter >> 8)}.${1 + (hostCounter++ & 0xff) % 250}`;
/**
 * Each attack comes from an address of its own (127.0.66.N), so what one
 * attack earned from the failure limiter does not hide the next one's cost.
 */
const attackerAddress = (phase: number) => `127.0.66.${1 + phase}`;

interface Live {
  apt: CreatedAppointment;
  gp: Socket;
  patient: Socket;
  patientBrowser: LoopbackBrowser;
}

/** A consultation with its clinician and its patient admitted. */
async function liveConsultation(base: string, patientFrom = nextHost()): Promise<Live> {
  const apt = await createAppointment(base, { patientName: 'Bench Patient' });
  const p = new LoopbackBrowser(base, patientFrom);
  if ((await p.redeem(apt.patientUrl)).status !== 200) throw new Error('patient could not redeem the link');
  const patient = await p.connect();
  if (!patient) throw new Error('patient socket refused');
  const pView = track(patient);
  const c = new LoopbackBrowser(base, nextHost());
  if ((await c.redeem(apt.clinicianUrl)).status !== 200) throw new Error('clinician could not redeem the console link');
  const gp = await c.connect({ appointmentId: apt.id });
  if (!gp) throw new Error('clinician socket refused');
  const selfId = await until('patient waiting', () => (pView()?.self.state === 'waiting' ? pView()!.self.id : undefined), 10_000);
  const r = await ack(gp, 'lobby:admit', { participantId: selfId });
  if (!r.ok) throw new Error(`admit failed: ${r.code}`);
  await until('patient admitted', () => (pView()?.self.state === 'admitted' ? true : undefined), 10_000);
  return { apt, gp, patient, patientBrowser: p };
}

// ---- hostile files -------------------------------------------------------

/** An interlaced (Adam7) RGB PNG of zeros, w x h: tiny on the wire, huge to decode. */
function interlacedPng(w: number, h: number): Buffer {
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ] as const;
  let raw = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((w - x0) / dx);
    const ph = Math.ceil((h - y0) / dy);
    if (pw > 0 && ph > 0) raw += ph * (1 + pw * 3);
  }
  const idat = deflateSync(Buffer.alloc(raw), { level: 9 });
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    td.copy(out, 4);
    out.writeUInt32BE(crc(td), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  ihdr[12] = 1; // Adam7
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

async function hostileFiles(): Promise<{ name: string; bytes: Buffer }[]> {
  const side = 7000; // 49 MP: at the pixel limit a phone photo needs
  const jpeg = await sharp({ create: { width: side, height: side, channels: 3, background: { r: 90, g: 120, b: 150 } } })
    .jpeg({ progressive: true, quality: 50 })
    .toBuffer();
  return [
    { name: 'progressive.jpg', bytes: jpeg },
    { name: 'interlaced.png', bytes: interlacedPng(side, side) },
  ];
}

// ---- the attacks ----------------------------------------------------------

interface AttackContext {
  base: string;
  /** This attack's own address. */
  from: string;
  /** A live consultation of the attacker's own (a forwarded link admitted by mistake). */
  own: Live;
  /** A consultation where the attacker only waits (never admitted). */
  waiting: CreatedAppointment;
  files: { name: string; bytes: Buffer }[];
  tally(outcome: string | number): void;
  running(): boolean;
}

type Attack = { name: string; what: string; run(c: AttackContext): Promise<void> };

/** Runs `n` loops of `fn` until the phase ends. */
async function loops(n: number, c: AttackContext, fn: () => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (c.running()) await fn();
    }),
  );
}

/** A raw upload from the attacker's address with no cookie: a big declared body, written at `bytesPerTick`. */
function anonymousUpload(c: AttackContext, totalBytes: number, bytesPerTick: number, tickMs: number): Promise<void> {
  const url = new URL(c.base);
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: `/api/v1/consultations/${c.waiting.id}/files`,
        method: 'POST',
        localAddress: c.from,
        agent: false,
        headers: { origin: url.origin, 'content-type': 'image/jpeg', 'content-length': String(totalBytes) },
      },
      (res) => {
        c.tally(res.statusCode ?? 0);
        res.resume();
        res.on('end', resolve);
        res.on('error', () => resolve());
      },
    );
    req.on('error', () => {
      c.tally('connection closed');
      resolve();
    });
    const chunk = Buffer.alloc(bytesPerTick, 0xab);
    let sent = 0;
    const tick = () => {
      if (req.destroyed || !c.running() || sent >= totalBytes) {
        if (!c.running()) req.destroy();
        return;
      }
      const n = Math.min(chunk.length, totalBytes - sent);
      sent += n;
      req.write(n === chunk.length ? chunk : chunk.subarray(0, n), () => setTimeout(tick, tickMs));
    };
    tick();
  });
}

const ATTACKS: Attack[] = [
  {
    name: 'anonymous uploads',
    what: '100 at once, no cookie, 20 MB bodies as fast as they go',
    run: (c) => loops(100, c, () => anonymousUpload(c, 20 * 2 ** 20, 256 * 1024, 0)),
  },
  {
    name: 'slow uploads',
    what: '100 at once, no cookie, 20 MB declared, 1 KB every 100 ms',
    run: (c) => loops(100, c, () => anonymousUpload(c, 20 * 2 ** 20, 1024, 100)),
  },
  {
    name: 'hostile images',
    what: 'admitted guest: 49 MP progressive JPEG and interlaced PNG, 2 at once',
    run: async (c) => {
      let i = 0;
      const guest = new LoopbackBrowser(c.base, c.from);
      for (const [k, v] of c.own.patientBrowser.cookies) guest.cookies.set(k, v);
      await loops(2, c, async () => {
        const f = c.files[i++ % c.files.length]!;
        const r = await guest.upload(c.own.apt.id, f.bytes, f.name);
        c.tally(r.status === 201 ? 'accepted (201)' : (safeCode(r.text) ?? r.status));
      });
    },
  },
  {
    name: 'socket churn',
    what: 'waiting session opens and closes sockets, 50 at once',
    run: async (c) => {
      const b = new LoopbackBrowser(c.base, c.from);
      await b.redeem(c.waiting.patientUrl);
      await loops(50, c, async () => {
        const s = await b.connect();
        c.tally(s ? 'connected' : 'refused');
        if (!s) return void (await sleep(20));
        s.close();
      });
    },
  },
  {
    name: 'thread:list flood',
    what: 'waiting guest, one socket, 20 requests in flight',
    run: async (c) => {
      const b = new LoopbackBrowser(c.base, c.from);
      await b.redeem(c.waiting.patientUrl);
      let s = await b.connect();
      await loops(20, c, async () => {
        if (!s?.connected) {
          c.tally('disconnected');
          await sleep(200);
          s = await b.connect();
          return;
        }
        const r = await ack(s, 'thread:list', {}, 2000);
        c.tally(r.ok ? 'answered' : (r.code ?? 'error'));
      });
      s?.close();
    },
  },
  {
    name: 'guessing',
    what: 'bad link tokens and forged session cookies on sockets, 50 at once',
    run: async (c) => {
      let i = 0;
      await loops(50, c, async () => {
        const b = new LoopbackBrowser(c.base, c.from);
        if (i++ % 2) {
          const r = await b.send('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: `x${'A'.repeat(40)}${i}` }) });
          c.tally(`HTTP ${r.status}`);
        } else {
          b.cookies.set('__Host-cr_guest', 'A'.repeat(22));
          const s = await b.connect();
          c.tally(s ? 'socket accepted' : 'socket refused');
          s?.close();
        }
      });
    },
  },
  {
    name: 'self-test churn',
    what: 'open /selftest, ask for media, disconnect at once; 8 at once',
    run: async (c) => {
      const b = new LoopbackBrowser(c.base, c.from);
      await loops(8, c, async () => {
        const s = await b.connect(undefined, '/selftest');
        if (!s) {
          c.tally('refused');
          return void (await sleep(50));
        }
        void s.emit('media:capabilities', {}, () => undefined);
        s.close();
        c.tally('opened');
      });
    },
  },
];

function safeCode(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

// ---- measurement ------------------------------------------------------------

async function phase(server: OurServer, victims: Live[], attack: Attack | null, ctx: Omit<AttackContext, 'tally' | 'running'>, seconds: number): Promise<HostilePhase> {
  const outcomes: Record<string, number> = {};
  let live = true;
  const c: AttackContext = { ...ctx, tally: (o) => void (outcomes[String(o)] = (outcomes[String(o)] ?? 0) + 1), running: () => live };
  const rssStart = server.rss();
  let rssPeak = rssStart;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, server.rss())), 100);
  const attackDone = attack?.run(c).catch((e: unknown) => c.tally(`attacker error: ${(e as Error).message}`));
  await sleep(500); // let the attack get going before measuring
  const times: number[] = [];
  let failures = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    victims.map(async (v) => {
      while (Date.now() < deadline) {
        const t0 = Date.now();
        const r = await ack(v.gp, 'consultation:state', {});
        if (r.ok) times.push(r.ms);
        else failures++;
        await sleep(Math.max(0, PROBE_EVERY_MS - (Date.now() - t0)));
      }
    }),
  );
  live = false;
  await attackDone;
  clearInterval(sampler);
  return {
    attack: attack?.name ?? 'none',
    what: attack?.what ?? 'no attacker',
    acks: summarize(times),
    ackFailures: failures,
    rssStartMiB: rssStart / 2 ** 20,
    rssPeakMiB: rssPeak / 2 ** 20,
    outcomes,
  };
}

export async function hostile(budgetMs: number, store: 'memory' | 'redis' = 'memory'): Promise<HostileResult> {
  const phaseSeconds = Math.max(4, Math.min(10, Math.floor(budgetMs / 1000 / (ATTACKS.length + 2) - 4)));
  console.log(`\n== hostile: ${VICTIMS} live consultations probed every ${PROBE_EVERY_MS} ms; each attack ${phaseSeconds} s from one address (${store} store) ==`);
  const files = await hostileFiles();
  const redis = store === 'redis' ? await startRedisServer() : null;
  // The shipped limits, the failure limiter's included (the other benchmarks lift it): each
  // victim has its own address, so only the attacker meets them.
  const server = await startOurServer({ ...(redis ? { redisUrl: redis.url } : {}), env: { MAX_FAILURES: String(loadConfig({}).security.maxFailures) } });
  const sockets: Socket[] = [];
  try {
    const victims: Live[] = [];
    for (let i = 0; i < VICTIMS; i++) victims.push(await liveConsultation(server.url));
    const own = await liveConsultation(server.url, attackerAddress(0));
    const waiting = await createAppointment(server.url, { patientName: 'Bench Waiting' });
    for (const v of [...victims, own]) sockets.push(v.gp, v.patient);
    const ctx = { base: server.url, from: attackerAddress(0), own, waiting, files };
    const phases: HostilePhase[] = [];
    const report = (p: HostilePhase) => {
      phases.push(p);
      const out = Object.entries(p.outcomes)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([k, n]) => `${k} x${n}`)
        .join(', ');
      console.log(`  ${p.attack}: ack p99 ${fmt(p.acks.p99, 1)} ms, RSS peak ${fmt(p.rssPeakMiB)} MiB${out ? `; attacker got ${out}` : ''}`);
    };
    report(await phase(server, victims, null, ctx, phaseSeconds));
    for (const [i, a] of ATTACKS.entries()) {
      report(await phase(server, victims, a, { ...ctx, from: attackerAddress(1 + i) }, phaseSeconds));
      await sleep(1500); // let timeouts and GC settle between attacks
    }
    report(await phase(server, victims, null, ctx, phaseSeconds));
    const none = phases[0]!;
    console.log(
      table(
        ['attack', 'victims\' ack p50 / p99 / max ms', 'failed acks', 'server RSS start -> peak MiB', 'ack p99 vs none'],
        phases.map((p) => [
          `${p.attack} (${p.what})`,
          `${fmt(p.acks.p50, 1)} / ${fmt(p.acks.p99, 1)} / ${fmt(p.acks.max, 1)}`,
          String(p.ackFailures),
          `${fmt(p.rssStartMiB)} -> ${fmt(p.rssPeakMiB)}`,
          `${fmt(p.acks.p99 / none.acks.p99, 2)}x`,
        ]),
      ),
    );
    const result: HostileResult = { store, phaseSeconds, phases };
    saveResult(`hostile-${store}`, result);
    return result;
  } finally {
    for (const s of sockets) s.close();
    await server.stop();
    await redis?.stop();
  }
}
