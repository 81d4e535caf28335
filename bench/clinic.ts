// Benchmark: the clinic waiting area's arrival alert. One server process on
// Redis, one clinic with 50 patients already waiting; the clinician's console
// (/staff, 'mine') and the coordinator's ('clinic') are open. Each measured
// patient redeems a fresh link and opens their socket; measured from the
// socket's opening to the clinician's and the coordinator's waiting:arrived,
// beside the patient's own link-to-waiting and socket-to-waiting times. Each
// measured patient leaves again, so 50 stay waiting throughout. The same
// arrivals at a bare socket.io + Redis server that pushes the alert straight
// to its desk (bench/bare/clinic-server.ts) are the floor under us.
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { api, Device } from '../support/api.ts';
import type { ConsultationView } from '../server/wire/participants.ts';
import { freeTcpPort } from '../support/ports.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { envOverrideFor, spawnNode, startOurServer, waitReady, type Child } from './lib/procs.ts';
import { BENCH_DIR, saveResult } from './lib/results.ts';
import { fmt, fmtRatio, ratio, summarize, table, until, type Summary } from './lib/stats.ts';

const CLINIC = 'bench-clinic';
const STAFF_COOKIE = '__Host-cr_clinician';

export interface ClinicResult {
  waiting: number;
  runs: number;
  /** Patient's socket opened -> the clinician's waiting:arrived. */
  toClinician: Summary;
  /** Patient's socket opened -> the coordinator's waiting:arrived. */
  toCoordinator: Summary;
  /** Patient's socket opened -> their own consultation:state 'waiting'. */
  ownWaiting: Summary;
  /** Link redeemed (POST /api/v1/session) -> their own 'waiting'. */
  linkToWaiting: Summary;
  bare: { toDesk: Summary; ownWaiting: Summary };
  /** Alerts per measured arrival the clinician received (1 when each arrival alerts once). */
  alertsPerArrival: number;
  failures: string[];
  wallMs: number;
}

/** A staff socket on /staff recording when each arrival reached it. */
async function staffSocket(base: string, cookie: string, scope: 'mine' | 'clinic'): Promise<{ socket: Socket; arrivals: Map<string, number[]> }> {
  const socket = io(`${base}/staff`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: `${STAFF_COOKIE}=${cookie}`, origin: base } });
  const arrivals = new Map<string, number[]>();
  socket.on('waiting:arrived', (a: { participantId: string }) => {
    const at = performance.now();
    arrivals.set(a.participantId, [...(arrivals.get(a.participantId) ?? []), at]);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const r = (await socket.timeout(10_000).emitWithAck('waiting:watch', { scope })) as { ok: boolean };
  if (!r.ok) throw new Error(`waiting:watch refused: ${JSON.stringify(r)}`);
  return { socket, arrivals };
}

async function book(base: string, clinicianId: string, name: string): Promise<{ clinicianUrl: string; patientUrl: string }> {
  const r = await api(base, 'POST', '/api/v1/appointments', { clinician: { id: clinicianId, name: `Dr ${clinicianId}` }, patient: { name }, startsAt: new Date().toISOString(), durationMinutes: 15, clinicId: CLINIC });
  if (r.status !== 201) throw new Error(`create appointment: ${r.status} ${await r.text()}`);
  return (await r.json()) as { clinicianUrl: string; patientUrl: string };
}

async function staffCookie(base: string, clinicianId: string): Promise<string> {
  const d = new Device(base);
  const r = await d.redeem((await book(base, clinicianId, `Setup ${clinicianId}`)).clinicianUrl);
  if (r.status !== 200) throw new Error(`console ticket: ${r.status}`);
  return d.cookies.get(STAFF_COOKIE)!;
}

/** A patient: link redeemed, socket opened, waiting (each time taken in the event's own listener, not by polling). */
async function patientArrives(base: string, patientUrl: string): Promise<{ linkAt: number; openAt: number; waitingAt: number; participantId: string; close(): void; leave(): Promise<void> }> {
  const device = new Device(base);
  const linkAt = performance.now();
  const r = await device.redeem(patientUrl);
  if (r.status !== 200) throw new Error(`redeem: ${r.status}`);
  const openAt = performance.now();
  const socket = io(base, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: device.cookieHeader, origin: base, 'user-agent': device.userAgent } });
  const waiting = new Promise<{ at: number; id: string }>((resolve, reject) => {
    socket.on('consultation:state', (v: ConsultationView) => {
      if (v.self.state === 'waiting') resolve({ at: performance.now(), id: v.self.id });
    });
    socket.once('connect_error', reject);
    setTimeout(() => reject(new Error('never waiting')), 10_000).unref();
  });
  const { at: waitingAt, id } = await waiting;
  return {
    linkAt,
    openAt,
    waitingAt,
    participantId: id,
    close: () => socket.close(),
    leave: async () => {
      await socket.timeout(5000).emitWithAck('consultation:leave', {});
      socket.close();
    },
  };
}

async function runBare(redisUrl: string, waiting: number, runs: number): Promise<{ toDesk: number[]; ownWaiting: number[] }> {
  const port = await freeTcpPort();
  const child: Child = spawnNode('bare-clinic', path.join(BENCH_DIR, 'bare', 'clinic-server.ts'), [String(port), redisUrl], {}, `http://127.0.0.1:${port}`);
  await waitReady(child, '/readyz');
  const base = child.url;
  const open = (auth: Record<string, unknown>) => io(base, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { origin: base }, auth });
  const sockets: Socket[] = [];
  const toDesk: number[] = [];
  const ownWaiting: number[] = [];
  try {
    const desk = open({ desk: true });
    sockets.push(desk);
    await new Promise<void>((r) => desk.once('connect', () => r()));
    const seen = new Map<string, number>();
    desk.on('waiting:arrived', (a: { participantId: string }) => seen.set(a.participantId, performance.now()));
    for (let i = 0; i < waiting + runs; i++) {
      const id = `p${i}`;
      const t0 = performance.now();
      const s = open({ id });
      sockets.push(s);
      const own = await new Promise<number>((resolve) => s.once('consultation:state', () => resolve(performance.now())));
      const at = await until('the desk alert', () => seen.get(id), 10_000, 1);
      if (i >= waiting) {
        ownWaiting.push(own - t0);
        toDesk.push(at - t0);
        s.close();
      }
    }
  } finally {
    for (const s of sockets) s.close();
    await child.stop();
  }
  return { toDesk, ownWaiting };
}

export async function runClinic(o: { waiting?: number; runs?: number; warmup?: number; budgetMs?: number } = {}): Promise<ClinicResult> {
  const t0 = Date.now();
  const waiting = o.waiting ?? 50;
  const runs = o.runs ?? 30;
  const warmup = o.warmup ?? 3;
  const budgetMs = o.budgetMs ?? 90_000;
  const redis = await startRedisServer();
  const perAddress = envOverrideFor('security.socketsPerAddress');
  const server = await startOurServer({ redisUrl: redis.url, liftRateLimits: true, env: perAddress ? { [perAddress]: '100000' } : {} });
  const base = server.url;
  const failures: string[] = [];
  const samples = { toClinician: [] as number[], toCoordinator: [] as number[], ownWaiting: [] as number[], linkToWaiting: [] as number[] };
  let alerts = 0;
  const closers: (() => void)[] = [];
  try {
    if ((await api(base, 'POST', '/api/v1/clinics', { id: CLINIC, name: 'Bench Clinic' })).status !== 201) throw new Error('could not create the clinic');
    for (const [userId, roles] of [['gp-bench', ['clinician']], ['gp-other', ['clinician']], ['coord-bench', ['clinic-coordinator']]] as const) {
      await api(base, 'PUT', `/api/v1/clinics/${CLINIC}/members/${userId}`, { roles });
    }
    const gp = await staffSocket(base, await staffCookie(base, 'gp-bench'), 'mine');
    const coord = await staffSocket(base, await staffCookie(base, 'coord-bench'), 'clinic');
    closers.push(() => gp.socket.close(), () => coord.socket.close());
    // The clinic's waiting room: 50 people, half of them the clinician's.
    for (let i = 0; i < waiting; i++) {
      const p = await patientArrives(base, (await book(base, i % 2 ? 'gp-other' : 'gp-bench', `Waiting ${i}`)).patientUrl);
      closers.push(() => p.close());
    }
    for (let i = 0; i < warmup + runs && Date.now() - t0 < budgetMs; i++) {
      try {
        const apt = await book(base, 'gp-bench', `Arriving ${i}`);
        const p = await patientArrives(base, apt.patientUrl);
        const atGp = await until('the clinician\'s alert', () => gp.arrivals.get(p.participantId)?.[0], 10_000, 1);
        const atCoord = await until('the coordinator\'s alert', () => coord.arrivals.get(p.participantId)?.[0], 10_000, 1);
        await p.leave();
        if (i < warmup) continue;
        samples.toClinician.push(atGp - p.openAt);
        samples.toCoordinator.push(atCoord - p.openAt);
        samples.ownWaiting.push(p.waitingAt - p.openAt);
        samples.linkToWaiting.push(p.waitingAt - p.linkAt);
        alerts += gp.arrivals.get(p.participantId)?.length ?? 0;
      } catch (e) {
        failures.push(`run ${i}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    for (const c of closers) c();
    await server.stop();
  }
  let bare = { toDesk: [] as number[], ownWaiting: [] as number[] };
  try {
    bare = await runBare(redis.url, waiting, runs);
  } catch (e) {
    failures.push(`bare: ${(e as Error).message.split('\n')[0]}`);
  }
  await redis.stop();
  return {
    waiting,
    runs: samples.toClinician.length,
    toClinician: summarize(samples.toClinician),
    toCoordinator: summarize(samples.toCoordinator),
    ownWaiting: summarize(samples.ownWaiting),
    linkToWaiting: summarize(samples.linkToWaiting),
    bare: { toDesk: summarize(bare.toDesk), ownWaiting: summarize(bare.ownWaiting) },
    alertsPerArrival: samples.toClinician.length ? alerts / samples.toClinician.length : Number.NaN,
    failures,
    wallMs: Date.now() - t0,
  };
}

export function clinicTable(r: ClinicResult): string {
  const row = (label: string, s: Summary, b?: Summary) => [label, String(s.n), fmt(s.p50, 1), fmt(s.p95, 1), fmt(s.max, 1), b ? fmt(b.p50, 1) : '-', b ? fmtRatio(ratio(s.p50, b.p50)) : '-'];
  return table(
    [`with ${r.waiting} waiting in the clinic`, 'n', 'p50 ms', 'p95 ms', 'max ms', 'bare p50 ms', 'ratio'],
    [
      row("socket opened -> clinician's waiting:arrived", r.toClinician, r.bare.toDesk),
      row("socket opened -> coordinator's waiting:arrived", r.toCoordinator, r.bare.toDesk),
      row("socket opened -> patient's own 'waiting'", r.ownWaiting, r.bare.ownWaiting),
      row("link redeemed -> patient's own 'waiting'", r.linkToWaiting),
    ],
  );
}

export async function clinic(budgetMs?: number): Promise<ClinicResult> {
  console.log('\n== clinic waiting area: arrival alert with 50 waiting (socket.io clients, Redis) ==');
  const r = await runClinic(budgetMs ? { budgetMs } : {});
  console.log(clinicTable(r));
  console.log(`  alerts per arrival at the clinician's socket: ${fmt(r.alertsPerArrival, 2)}`);
  for (const f of r.failures) console.log(`  FAILED: ${f}`);
  const file = saveResult('clinic', r);
  console.log(`  -> ${path.relative(process.cwd(), file)}`);
  return r;
}
