// Benchmark 3, waiting-room capacity: N simulated patients (separate Node
// processes, bench/load/patients.ts) arrive at a fixed rate and as a burst at
// ONE server process on Redis, each with its own appointment created through
// the API; joined = consultation:state 'waiting'. The same arrivals go to a
// bare socket.io + Redis server (one HSET per join): the floor under us.
// Every run gets a fresh server process, so its RSS and heap growth is the
// waiting patients' and nothing else's. The rate run at the largest N is run
// a second time (new appointments) under `node --cpu-prof`: where our server's
// time goes is summarised (top functions, self time by area) beside the
// figures, for the next engineer, and no figure carries the profiler's cost.
// BENCH_CAPACITY_NS=1000 (comma-separated) runs only those N, for a quick check;
// BENCH_CAPACITY_KEEP_PROFILE=DIR keeps the raw .cpuprofile there.
import { fork, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createAppointment, tokenOf } from '../support/api.ts';
import { freeTcpPort } from '../support/ports.ts';
import { startRedisServer } from '../support/redis-server.ts';
import type { PatientResult, RunOrder, RunReport } from './load/patients.ts';
import { areasLine, functionsTable, readNewestCpuProfile, summarizeCpuProfile, type ProfileSummary } from './lib/cpu-profile.ts';
import { envOverrideFor, spawnNode, startOurServer, waitReady, type Child, type MemUsage } from './lib/procs.ts';
import { BENCH_DIR, ROOT, saveResult } from './lib/results.ts';
import { fmt, fmtRatio, ratio, sleep, summarize, table, type Summary } from './lib/stats.ts';

export interface CapacityRun {
  target: 'ours' | 'bare';
  mode: 'rate' | 'burst';
  n: number;
  joined: number;
  errors: Record<string, number>;
  heldAfter: number;
  dropped: number;
  /** Socket connect start to consultation:state 'waiting'. */
  joinMs: Summary;
  redeemMs: Summary | null;
  /** Scheduled arrival to 'waiting' (ours: redeem + join; bare: join), queueing in the load generator included. */
  arrivalMs: Summary;
  /** Joins per second from the first arrival to the last join. */
  throughput: number;
  wallMs: number;
  rssBefore: number;
  rssAfter: number;
  heapBefore: number | null;
  heapAfter: number | null;
  redisBefore: number;
  redisAfter: number;
  rssPerPatient: number;
  heapPerPatient: number | null;
  redisPerPatient: number;
  /** CPU time of the server process (all threads) from the first arrival to the last report, per joined patient (ms). */
  serverCpuMsPerPatient: number;
  /** CPU time of redis-server over the same span, per joined patient (ms; INFO cpu). */
  redisCpuMsPerPatient: number;
  /** Mean size of the waiting view each patient received (consultation:state as JSON, bytes). */
  viewBytes: number;
  /** Redis commands per joined patient (redeem + join + the view pushed), from INFO stats. */
  redisCommandsPerPatient: number;
  /** The same by command (INFO commandstats), largest first. */
  redisCommandMix: Record<string, number>;
  /** Growth of Redis memory per joined patient by kind of key (MEMORY USAGE; ids in key names shown as *), largest first; ours only. */
  redisBytesByKey?: Record<string, number>;
  /** Where our server's time went in a second, profiled run of the same arrivals (ours, rate, largest N only): `joined` of N there. */
  cpuProfile?: ProfileSummary & { intervalUs: number; joined: number };
}

export interface CapacityResult {
  ns: number[];
  ratePerSec: number;
  children: number;
  /** Setup: appointments created through the API, and the Redis memory each one holds before anyone joins. */
  creation: { count: number; ms: number; perSec: number; redisPerAppointment: number; redisCommandsPerAppointment: number; redisBytesByKey?: Record<string, number> };
  runs: CapacityRun[];
  skipped: string[];
  limits: string[];
  wallMs: number;
}

export interface CapacityOptions {
  ns?: number[];
  ratePerSec?: number;
  children?: number;
  /** Skip the runs that would not finish within this long (estimated from this machine's rates so far). */
  budgetMs?: number;
}

/** Sampling interval of the profiled run: half the default rate, so the profiler costs the run less; 20 s still gives 10,000 samples. */
const CPU_PROF_INTERVAL_US = 2000;
/** Writing a profile of a long run takes a while after SIGTERM: don't kill the server meanwhile. */
const PROFILED_STOP_GRACE_MS = 120_000;

/** Now on the monotonic clock, in microseconds: the clock a V8 profile's timestamps use. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

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
  const child: LoadChild = {
    proc,
    next: <T>(type: string) => new Promise<T>((resolve) => queue.push({ type, resolve: resolve as (m: unknown) => void })),
  };
  return child.next('ready').then(() => child);
}

/** redis-server's CPU time so far (user + system, all its threads), in ms. */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const num = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (num('used_cpu_user') + num('used_cpu_sys')) * 1000;
}

async function redisUsed(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** Calls per command so far (INFO commandstats). */
async function redisCommandStats(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  return new Map([...info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

/** Commands Redis has processed so far (INFO stats), to count round trips per join. */
async function redisCommands(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** A key's kind: its name with ids (22 base64url characters) and hashed secrets (64 hex) as *, so cr:participant:* is every participant. */
const keyKind = (key: string): string => key.replace(/:(?:[A-Za-z0-9_-]{22}|[0-9a-f]{64})(?=:|$)/g, ':*');

/**
 * Bytes Redis holds by kind of key (MEMORY USAGE, every entry of a stream or
 * hash counted: SAMPLES 0). A walk over every key: taken outside the measured
 * span, and only for our server (the bare one writes one hash).
 */
async function redisBytesByKind(redis: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const k of keys) pipeline.memory('USAGE', k, 'SAMPLES', 0);
    const sizes = (await pipeline.exec()) ?? [];
    keys.forEach((k, i) => {
      const bytes = Number(sizes[i]?.[1] ?? 0);
      out.set(keyKind(k), (out.get(keyKind(k)) ?? 0) + bytes);
    });
  } while (cursor !== '0');
  return out;
}

/** Growth per unit by kind of key, largest first (kinds that moved by under a byte each left out). */
function bytesPer(before: Map<string, number>, after: Map<string, number>, units: number): Record<string, number> {
  return Object.fromEntries(
    [...after]
      .map(([k, v]) => [k, units > 0 ? (v - (before.get(k) ?? 0)) / units : Number.NaN] as const)
      .filter(([, v]) => Math.abs(v) >= 1)
      .sort((x, y) => y[1] - x[1]),
  );
}

const bytesLine = (m: Record<string, number>): string => Object.entries(m).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');

/** Heap and RSS after a full GC in the measured process (RSS from /proc). */
async function memOf(server: Child): Promise<{ rss: number; heap: number | null }> {
  const m: MemUsage | null = await server.mem();
  await sleep(200);
  return { rss: server.rss(), heap: m ? m.heapUsed : null };
}

async function createAll(base: string, count: number, concurrency: number): Promise<string[]> {
  const tokens: string[] = new Array<string>(count);
  const startsAt = new Date().toISOString();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const a = await createAppointment(base, { clinicianId: `gp-${i % 200}`, patientName: `Patient ${i}`, startsAt });
      tokens[i] = tokenOf(a.patientUrl);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return tokens;
}

async function runOnce(
  target: 'ours' | 'bare',
  mode: 'rate' | 'burst',
  keys: string[],
  ratePerSec: number,
  children: LoadChild[],
  server: Child,
  redis: Redis,
  /** Filled with the run's span on the monotonic clock (arrivals start to last report). */
  span = { fromUs: 0, toUs: 0 },
): Promise<CapacityRun> {
  const n = keys.length;
  await sleep(1000);
  const bytesBefore = target === 'ours' ? await redisBytesByKind(redis) : null;
  const before = await memOf(server);
  const redisBefore = await redisUsed(redis);
  const commandsBefore = await redisCommands(redis);
  const statsBefore = await redisCommandStats(redis);
  const cpuBefore = server.cpuMs();
  const redisCpuBefore = await redisCpuMs(redis);
  const startAt = Date.now() + 300;
  span.fromUs = monotonicUs() + 300_000;
  const timeoutMs = 30_000;
  const done = children.map((c) => c.next<RunReport>('done'));
  children.forEach((c, ci) => {
    const order: RunOrder = {
      type: 'run',
      target,
      base: server.url,
      patients: keys.map((key, index) => ({ index, key })).filter((p) => p.index % children.length === ci),
      mode,
      ratePerSec,
      startAt,
      timeoutMs,
    };
    c.proc.send(order);
  });
  const reports = await Promise.all(done);
  span.toUs = monotonicUs();
  const cpuAfter = server.cpuMs();
  const redisCpuAfter = await redisCpuMs(redis);
  const wallMs = Date.now() - startAt;
  const results: PatientResult[] = reports.flatMap((r) => r.results);
  await sleep(1000);
  const counts = await Promise.all(children.map(async (c) => {
    const w = c.next<{ connected: number; dropped: number }>('count');
    c.proc.send({ type: 'count' });
    return w;
  }));
  const commandsAfter = await redisCommands(redis);
  const statsAfter = await redisCommandStats(redis);
  const after = await memOf(server);
  const redisAfter = await redisUsed(redis);
  const bytesAfter = bytesBefore ? await redisBytesByKind(redis) : null;
  await Promise.all(children.map(async (c) => {
    const w = c.next('closed');
    c.proc.send({ type: 'close' });
    return w;
  }));
  const ok = results.filter((r) => r.joinMs !== null);
  const errors: Record<string, number> = {};
  for (const r of results) if (r.error) errors[r.error] = (errors[r.error] ?? 0) + 1;
  const joined = ok.length;
  const per = (a: number, b: number) => (joined > 0 ? (a - b) / joined : Number.NaN);
  const redeems = results.map((r) => r.redeemMs).filter((x): x is number => x !== null);
  return {
    target,
    mode,
    n,
    joined,
    errors,
    heldAfter: counts.reduce((s, c) => s + c.connected, 0),
    dropped: counts.reduce((s, c) => s + c.dropped, 0),
    joinMs: summarize(ok.map((r) => r.joinMs!)),
    redeemMs: redeems.length ? summarize(redeems) : null,
    arrivalMs: summarize(ok.map((r) => r.arrivalMs!)),
    throughput: joined / (wallMs / 1000),
    wallMs,
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapBefore: before.heap,
    heapAfter: after.heap,
    redisBefore,
    redisAfter,
    rssPerPatient: per(after.rss, before.rss),
    heapPerPatient: before.heap !== null && after.heap !== null ? per(after.heap, before.heap) : null,
    redisPerPatient: per(redisAfter, redisBefore),
    serverCpuMsPerPatient: per(cpuAfter, cpuBefore),
    viewBytes: ok.length ? ok.reduce((t, r) => t + (r.viewBytes ?? 0), 0) / ok.length : Number.NaN,
    redisCpuMsPerPatient: per(redisCpuAfter, redisCpuBefore),
    // The four INFO calls between the samples (stats, commandstats, cpu twice) are not the patients'.
    redisCommandsPerPatient: per(commandsAfter - 4, commandsBefore),
    redisCommandMix: Object.fromEntries(
      [...statsAfter]
        .map(([k, v]) => [k, per(v - (k === 'info' ? 5 : 0), statsBefore.get(k) ?? 0)] as const)
        .filter(([, v]) => v > 0.01)
        .sort((x, y) => y[1] - x[1]),
    ),
    ...(bytesBefore && bytesAfter ? { redisBytesByKey: bytesPer(bytesBefore, bytesAfter, joined) } : {}),
  };
}

async function startBare(redisUrl: string): Promise<Child> {
  const port = await freeTcpPort();
  const child = spawnNode('bare-socket', path.join(BENCH_DIR, 'bare', 'socket-server.ts'), [String(port), redisUrl], {}, `http://127.0.0.1:${port}`);
  await waitReady(child, '/readyz');
  return child;
}

export async function runCapacity(o: CapacityOptions = {}): Promise<CapacityResult> {
  const t0 = Date.now();
  const ns = o.ns ?? [500, 2000, 5000, 10_000];
  const ratePerSec = o.ratePerSec ?? 500;
  const budgetMs = o.budgetMs ?? 6 * 60_000;
  const modes = ['rate', 'burst'] as const;
  const limits: string[] = [];
  const skipped: string[] = [];
  const runs: CapacityRun[] = [];

  const redisServer = await startRedisServer();
  const redis = new Redis(redisServer.url);
  const tmp = mkdtempSync(path.join(tmpdir(), 'consultroom-bench-'));
  const children: LoadChild[] = [];
  try {
    // A fixed signing key, so the links created once stay valid across the fresh server of each run.
    const keyFile = path.join(tmp, 'signing-key.pem');
    writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const keyVar = envOverrideFor('auth.signingKeyFile');
    if (!keyVar) throw new Error('the server has no setting for auth.signingKeyFile: links cannot outlive a server restart');
    const serverOpts = { redisUrl: redisServer.url, liftRateLimits: true, env: { [keyVar]: keyFile } };

    const nChildren = o.children ?? 2;
    for (let i = 0; i < nChildren; i++) children.push(await startLoadChild());

    // One appointment per patient (each patient waits for their own clinician, as in a clinic),
    // created just before each run on a separate server process that then sits idle.
    const creator = await startOurServer(serverOpts);
    if (creator.missingOverrides.length) {
      limits.push(...creator.missingOverrides.map((m) => `no setting to raise ${m}; its default limits the load generator`));
    }
    const creation: CapacityResult['creation'] = { count: 0, ms: 0, perSec: 0, redisPerAppointment: 0, redisCommandsPerAppointment: 0 };
    let redisCreated = 0;
    let commandsCreated = 0;
    const rate = { create: 300, ours: 150, bare: 400 }; // first guesses, then what this machine did
    try {
      // Largest first: N = 10,000 is the goal; the smaller runs are cheap and fill the curve.
      for (const n of [...ns].sort((a, b) => b - a)) {
        for (const mode of modes) {
          const joinS = (r: number) => n / Math.min(mode === 'rate' ? ratePerSec : Infinity, r);
          const estimateMs = (n / rate.create + joinS(rate.ours) + joinS(rate.bare)) * 1000 + 12_000;
          if (Date.now() - t0 + estimateMs > budgetMs) {
            skipped.push(`${mode} N=${n} (would not finish within the ${budgetMs / 60_000} min budget: about ${Math.round(estimateMs / 1000)} s)`);
            continue;
          }
          // The first (largest) creation is also broken down by kind of key, outside the counts.
          const kinds0 = creation.redisBytesByKey ? null : await redisBytesByKind(redis);
          const r0 = await redisUsed(redis);
          const k0 = await redisCommands(redis);
          const c0 = Date.now();
          const keys = await createAll(creator.url, n, 48);
          const cms = Date.now() - c0;
          if (kinds0) creation.redisBytesByKey = bytesPer(kinds0, await redisBytesByKind(redis), n);
          redisCreated += (await redisUsed(redis)) - r0;
          commandsCreated += (await redisCommands(redis)) - k0 - 2;
          creation.count += n;
          creation.ms += cms;
          rate.create = n / (cms / 1000);

          // Our server, measured; then, for the headline rate run only, the same arrivals again
          // (new appointments) under the profiler, so no figure above carries the profiler's cost.
          const runOurs = async (ids: string[], profDir?: string): Promise<{ run: CapacityRun; profile: ProfileSummary | null }> => {
            const nodeArgs = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', String(CPU_PROF_INTERVAL_US)] : [];
            const ours = await startOurServer({ ...serverOpts, nodeArgs });
            const span = { fromUs: 0, toUs: 0 };
            let measured: CapacityRun;
            try {
              measured = await runOnce('ours', mode, ids, ratePerSec, children, ours, redis, span);
            } finally {
              // The profile is written on a clean exit only.
              await ours.stop(profDir ? PROFILED_STOP_GRACE_MS : undefined);
            }
            if (!profDir) return { run: measured, profile: null };
            const profile = readNewestCpuProfile(profDir);
            // The raw profile, for Chrome DevTools or a closer look, when asked for.
            const keep = process.env.BENCH_CAPACITY_KEEP_PROFILE;
            if (keep) cpSync(profDir, keep, { recursive: true });
            if (!profile) limits.push(`no CPU profile from the ${mode} N=${n} run: the server did not exit cleanly (${ours.proc.exitCode ?? ours.proc.signalCode})`);
            return { run: measured, profile: profile ? summarizeCpuProfile(profile, { root: ROOT, top: 15, window: span }) : null };
          };
          const { run } = await runOurs(keys);
          if (mode === 'rate' && n === Math.max(...ns)) {
            const profDir = path.join(tmp, `cpu-${mode}-${n}`);
            mkdirSync(profDir);
            const again = await runOurs(await createAll(creator.url, n, 48), profDir);
            if (again.profile) run.cpuProfile = { ...again.profile, intervalUs: CPU_PROF_INTERVAL_US, joined: again.run.joined };
          }
          runs.push(run);
          const bare = await startBare(redisServer.url);
          try {
            const ids = keys.map((_, i) => `${mode}-${n}-${i}`);
            runs.push(await runOnce('bare', mode, ids, ratePerSec, children, bare, redis));
          } finally {
            await bare.stop();
          }
          const [a, b] = runs.slice(-2) as [CapacityRun, CapacityRun];
          rate.ours = Math.max(1, a.throughput);
          rate.bare = Math.max(1, b.throughput);
          console.log(
            `  ${mode.padEnd(5)} N=${String(n).padStart(5)}: ours ${a.joined}/${n} joined, p99 ${fmt(a.joinMs.p99, 1)} ms, ` +
              `${fmt(a.rssPerPatient / 1024, 1)} KB RSS/patient; bare ${b.joined}/${n}, p99 ${fmt(b.joinMs.p99, 1)} ms, ${fmt(b.rssPerPatient / 1024, 1)} KB ` +
              `(${n} appointments created first at ${fmt(n / (cms / 1000))}/s)`,
          );
        }
      }
    } finally {
      await creator.stop();
    }
    creation.perSec = creation.ms > 0 ? creation.count / (creation.ms / 1000) : Number.NaN;
    creation.redisPerAppointment = creation.count ? redisCreated / creation.count : Number.NaN;
    creation.redisCommandsPerAppointment = creation.count ? commandsCreated / creation.count : Number.NaN;
    return { ns, ratePerSec, children: nChildren, creation, runs, skipped, limits, wallMs: Date.now() - t0 };
  } finally {
    for (const c of children) c.proc.kill();
    redis.disconnect();
    await redisServer.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function capacityTable(r: CapacityResult): string {
  const rows: string[][] = [];
  const find = (t: string, m: string, n: number) => r.runs.find((x) => x.target === t && x.mode === m && x.n === n);
  for (const mode of ['rate', 'burst'] as const) {
    for (const n of r.ns) {
      const a = find('ours', mode, n);
      const b = find('bare', mode, n);
      if (!a || !b) continue;
      const errs = (x: CapacityRun) => Object.values(x.errors).reduce((s, v) => s + v, 0) + x.dropped;
      rows.push([
        mode === 'rate' ? `${r.ratePerSec}/s` : 'burst',
        String(n),
        `${a.joined}/${b.joined}`,
        `${errs(a)}/${errs(b)}`,
        `${fmt(a.joinMs.p50, 1)}/${fmt(b.joinMs.p50, 1)}`,
        `${fmt(a.joinMs.p99, 1)}/${fmt(b.joinMs.p99, 1)}`,
        fmtRatio(ratio(a.joinMs.p99, b.joinMs.p99)),
        a.redeemMs ? `${fmt(a.redeemMs.p50)}/${fmt(a.redeemMs.p99)}` : '-',
        `${fmt(a.arrivalMs.p99)}/${fmt(b.arrivalMs.p99)}`,
        `${fmt(a.throughput)}/${fmt(b.throughput)}`,
        `${fmt(a.rssPerPatient / 1024, 1)}/${fmt(b.rssPerPatient / 1024, 1)}`,
        fmtRatio(ratio(a.rssPerPatient, b.rssPerPatient)),
        `${fmt((a.heapPerPatient ?? Number.NaN) / 1024, 1)}/${fmt((b.heapPerPatient ?? Number.NaN) / 1024, 1)}`,
        `${fmt(a.redisPerPatient / 1024, 2)}/${fmt(b.redisPerPatient / 1024, 2)}`,
        `${fmt(a.redisCommandsPerPatient, 1)}/${fmt(b.redisCommandsPerPatient, 1)}`,
        `${fmt(a.serverCpuMsPerPatient, 2)}/${fmt(b.serverCpuMsPerPatient, 2)}`,
        `${fmt(a.viewBytes)}/${fmt(b.viewBytes)}`,
        `${fmt(a.redisCpuMsPerPatient, 2)}/${fmt(b.redisCpuMsPerPatient, 2)}`,
        `${fmt(a.rssAfter / 2 ** 20)}`,
      ]);
    }
  }
  return table(
    [
      'arrivals',
      'N',
      'joined o/b',
      'errors o/b',
      'join p50 ms o/b',
      'join p99 ms o/b',
      'p99 ratio',
      'ours redeem p50/p99 ms',
      'arrival->waiting p99 ms o/b',
      'joins/s o/b',
      'RSS KB/pt o/b',
      'RSS ratio',
      'heap KB/pt o/b',
      'Redis KB/pt o/b',
      'Redis cmds/pt o/b',
      'server CPU ms/pt o/b',
      'waiting view B o/b',
      'Redis CPU ms/pt o/b',
      'our RSS MB',
    ],
    rows,
  );
}

function profileReport(ratePerSec: number, run: CapacityRun, p: ProfileSummary & { intervalUs: number; joined: number }): string {
  const label = run.mode === 'rate' ? `N=${run.n} at ${ratePerSec} joins/s` : `burst of ${run.n}`;
  return [
    `  where our server's time went, ${label}: a second run of the same arrivals (new appointments; ${p.joined}/${run.n} joined) under node --cpu-prof sampling every`,
    `  ${p.intervalUs / 1000} ms, so the figures above carry no profiler cost: ${p.samples} samples over ${fmt(p.sampledMs / 1000, 1)} s from the first arrival to the last join, main thread busy ${fmt(p.busyPct, 1)}%`,
    functionsTable(p.bySelf),
    `  self time by area: ${areasLine(p.areas)}`,
    `  the same, node internals and native code charged to their nearest caller: ${areasLine(p.areasByCaller)}`,
  ].join('\n');
}

export async function capacity(budgetMs?: number): Promise<CapacityResult> {
  console.log('\n== waiting-room capacity: N patients on one server process + Redis (o = ours, b = bare socket.io + 1 HSET) ==');
  const ns = process.env.BENCH_CAPACITY_NS?.split(',').map(Number);
  if (ns && (ns.length === 0 || ns.some((n) => !Number.isInteger(n) || n < 1))) throw new Error(`BENCH_CAPACITY_NS must be positive integers separated by commas, not "${process.env.BENCH_CAPACITY_NS}"`);
  const r = await runCapacity({ ...(budgetMs ? { budgetMs } : {}), ...(ns ? { ns } : {}) });
  console.log(capacityTable(r));
  for (const run of r.runs) if (run.cpuProfile) console.log(profileReport(r.ratePerSec, run, run.cpuProfile));
  console.log(
    `  setup: ${r.creation.count} appointments created (POST /api/v1/appointments, 48 concurrent) in ${(r.creation.ms / 1000).toFixed(1)} s = ${fmt(r.creation.perSec)}/s; ` +
      `each holds ${fmt(r.creation.redisPerAppointment / 1024, 2)} KB of Redis (${fmt(r.creation.redisCommandsPerAppointment, 1)} commands) before its patient arrives (not in the per-patient figures above)`,
  );
  const mix = r.runs.find((x) => x.target === 'ours' && x.joined > 0)?.redisCommandMix;
  if (mix) console.log(`  our Redis commands per joined patient, by command: ${Object.entries(mix).map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ')}`);
  const headline = r.runs.find((x) => x.target === 'ours' && x.mode === 'rate' && x.n === Math.max(...r.ns) && x.joined > 0)?.redisBytesByKey;
  if (headline) {
    const total = Object.values(headline).reduce((a, b) => a + b, 0);
    console.log(`  our Redis bytes per joined patient, by key (MEMORY USAGE growth over the ${r.ratePerSec}/s run, ${fmt(total)} B in all): ${bytesLine(headline)}`);
  }
  if (r.creation.redisBytesByKey) console.log(`  Redis bytes per appointment created, by key: ${bytesLine(r.creation.redisBytesByKey)}`);
  for (const l of r.limits) console.log(`  LIMIT: ${l}`);
  for (const s of r.skipped) console.log(`  skipped: ${s}`);
  const file = saveResult('capacity', r);
  console.log(`  -> ${path.relative(process.cwd(), file)}`);
  return r;
}
