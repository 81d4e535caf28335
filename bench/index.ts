// `npm run bench [-- NAME...]`: runs the benchmarks named (all seven by
// default), each printing its own table and writing bench/results/*.json,
// then one summary table. bench/run.sh puts all of it in a loopback-only
// network namespace first. Benchmarks are measurements, never tests.
import { admit, type AdmitResult } from './admit.ts';
import { clinic, type ClinicResult } from './clinic.ts';
import { capacity, type CapacityResult, type CapacityRun } from './capacity.ts';
import { hostile, type HostileResult } from './hostile.ts';
import { costRatio, forwarding, type ForwardResult } from './forwarding.ts';
import { link, type LinkResult } from './link.ts';
import { nodes } from './nodes.ts';
import { recovery } from './recovery.ts';
import { cpuMonitor, type CpuShare } from './lib/machine.ts';
import { machine, saveResult } from './lib/results.ts';
import { fmt, fmtRatio, ratio, table } from './lib/stats.ts';
import { sharing, type SharingResult } from './sharing.ts';
import { GOALS, scale, type AllResults, type ScaleResult } from './scale.ts';

const ALL = ['admit', 'link', 'capacity', 'forwarding', 'sharing', 'hostile', 'clinic', 'recovery', 'nodes', 'scale'] as const;
type Name = (typeof ALL)[number];
/**
 * Run when none is named; recovery (8 minutes of faults in browser namespaces) and nodes (a cluster
 * behind HAProxy, 5 minutes) only when named: `npm run bench -- recovery`, `npm run bench -- nodes`.
 */
const DEFAULT: readonly Name[] = ALL.filter((n) => n !== 'recovery' && n !== 'nodes');
const ALIASES: Record<string, Name> = {
  'admit-to-first-frame': 'admit',
  'link-to-waiting': 'link',
  'waiting-room': 'capacity',
  'forwarding-cost': 'forwarding',
  'scale-curve': 'scale',
  'clinical-photos': 'sharing',
  'hostile-client': 'hostile',
  'arrival-alert': 'clinic',
};

function parseNames(args: string[]): Name[] {
  if (args.length === 0) return [...DEFAULT];
  return args.map((a) => {
    const n = (ALIASES[a] ?? a) as Name;
    if (!ALL.includes(n)) {
      console.error(`unknown benchmark "${a}"; choose from: ${ALL.join(', ')}`);
      process.exit(2);
    }
    return n;
  });
}

/** Each benchmark's own time budget; together they keep `npm run bench` under 17 minutes. */
const BUDGET_MS: Record<Name, number> = { admit: 3.5 * 60_000, link: 1.5 * 60_000, capacity: 6 * 60_000, forwarding: 2.5 * 60_000, sharing: 1.5 * 60_000, hostile: 2 * 60_000, clinic: 1.5 * 60_000, recovery: 8 * 60_000, nodes: 5 * 60_000, scale: 0 };
const DEADLINE_MS = 17.5 * 60_000;

const yes = (ok: boolean) => (ok ? 'yes' : 'NO');

function summaryRows(r: AllResults, s: ScaleResult | null, sh: SharingResult | null, h: HostileResult | null, cl: ClinicResult | null = null): string[][] {
  const rows: string[][] = [];
  if (cl) {
    rows.push([`arrival alert, ${cl.waiting} waiting: socket -> clinician`, `p50 ${fmt(cl.toClinician.p50, 1)} / p95 ${fmt(cl.toClinician.p95, 1)} ms`, `p50 ${fmt(cl.bare.toDesk.p50, 1)} ms`, fmtRatio(ratio(cl.toClinician.p50, cl.bare.toDesk.p50)), '-', '-']);
    rows.push([`arrival alert: patient's link -> waiting`, `p50 ${fmt(cl.linkToWaiting.p50, 1)} / p95 ${fmt(cl.linkToWaiting.p95, 1)} ms`, '-', '-', '-', '-']);
  }
  const a = r.admit;
  if (a) {
    for (const [side, label] of [
      ['patient', "admit -> first frame, patient's page"],
      ['clinician', "admit -> first frame, clinician's page"],
    ] as const) {
      const o = a.ours[side];
      const b = a.bare[side];
      const x = ratio(o.p50, b.p50);
      rows.push([label, `p50 ${fmt(o.p50)} / p95 ${fmt(o.p95)} / max ${fmt(o.max)} ms`, `p50 ${fmt(b.p50)} ms`, fmtRatio(x), `p50 <= ${GOALS.admitP50Ratio}x`, yes(x <= GOALS.admitP50Ratio)]);
    }
  }
  const l = r.link;
  if (l) {
    rows.push(['link -> waiting list, from goto', `p50 ${fmt(l.fromGoto.p50)} / p95 ${fmt(l.fromGoto.p95)} ms`, '-', '-', '-', '-']);
    rows.push(['link -> waiting list, from Join click', `p50 ${fmt(l.fromJoinClick.p50)} / p95 ${fmt(l.fromJoinClick.p95)} ms`, '-', '-', '-', '-']);
  }
  const c = r.capacity;
  if (c) {
    const top = Math.max(...c.ns);
    for (const mode of ['rate', 'burst'] as const) {
      const find = (t: string): CapacityRun | undefined => c.runs.find((x) => x.target === t && x.mode === mode && x.n === top);
      const o = find('ours');
      const b = find('bare');
      if (!o || !b) continue;
      const label = mode === 'rate' ? `${c.ratePerSec}/s` : 'burst';
      const errs = Object.values(o.errors).reduce((s2, v) => s2 + v, 0) + o.dropped;
      rows.push([`waiting room N=${top} (${label}): joined, errors`, `${o.joined} joined, ${errs} errors`, `${b.joined} joined`, '-', 'no errors', yes(errs === 0 && o.joined === top)]);
      const jr = ratio(o.joinMs.p99, b.joinMs.p99);
      rows.push([`waiting room N=${top} (${label}): join p99 (connect -> waiting)`, `${fmt(o.joinMs.p99, 1)} ms (p50 ${fmt(o.joinMs.p50, 1)})`, `${fmt(b.joinMs.p99, 1)} ms`, fmtRatio(jr), `<= ${GOALS.joinP99Ratio}x`, yes(jr <= GOALS.joinP99Ratio)]);
      rows.push([
        `waiting room N=${top} (${label}): arrival -> waiting p99`,
        `${fmt(o.arrivalMs.p99)} ms (redeem p50 ${fmt(o.redeemMs?.p50 ?? Number.NaN)} ms), ${fmt(o.throughput)} joins/s`,
        `${fmt(b.arrivalMs.p99)} ms, ${fmt(b.throughput)} joins/s`,
        fmtRatio(ratio(o.arrivalMs.p99, b.arrivalMs.p99)),
        '-',
        '-',
      ]);
      const mr = ratio(o.rssPerPatient, b.rssPerPatient);
      rows.push([`waiting room N=${top} (${label}): RSS per patient`, `${fmt(o.rssPerPatient / 1024, 1)} KB`, `${fmt(b.rssPerPatient / 1024, 1)} KB`, fmtRatio(mr), `<= ${GOALS.memoryRatio}x`, yes(mr <= GOALS.memoryRatio)]);
      rows.push([
        `waiting room N=${top} (${label}): Redis per patient`,
        `${fmt(o.redisPerPatient / 1024, 2)} KB, ${fmt(o.redisCommandsPerPatient, 1)} commands`,
        `${fmt(b.redisPerPatient / 1024, 2)} KB, ${fmt(b.redisCommandsPerPatient, 1)} commands`,
        fmtRatio(ratio(o.redisPerPatient, b.redisPerPatient)),
        '-',
        '-',
      ]);
    }
  }
  const f = r.forwarding;
  if (f) {
    for (const k of f.ks) {
      const o = f.runs.find((x) => x.target === 'ours' && x.k === k);
      const b = f.runs.find((x) => x.target === 'bare' && x.k === k);
      if (!o || !b) continue;
      const x = costRatio(o, b);
      rows.push([
        `forwarding K=${k} (${4 * k} streams)`,
        `${fmt(o.cpuPctPerStream, 3)}% core/stream, ${fmt(o.usPerPacket, 1)} us/pkt, loss ${fmt(o.lossPct, 2)}%`,
        `${fmt(b.usPerPacket, 1)} us/pkt, loss ${fmt(b.lossPct, 2)}%`,
        fmtRatio(x),
        `<= ${GOALS.forwardCostRatio}x`,
        yes(x <= GOALS.forwardCostRatio && o.lossPct <= GOALS.maxLossPct),
      ]);
    }
  }
  if (sh) {
    const mb = (sh.photo.bytes / 1e6).toFixed(1);
    rows.push([`photo ${sh.photo.width}x${sh.photo.height} (${mb} MB): content check`, `p50 ${fmt(sh.check.ours.p50)} ms`, `hash+seal p50 ${fmt(sh.check.bare.p50)} ms`, fmtRatio(ratio(sh.check.ours.p50, sh.check.bare.p50)), '-', '-']);
    rows.push([`photo: upload -> 201 / -> clinician's thread`, `p50 ${fmt(sh.upload.ours.p50)} / ${fmt(sh.upload.toClinician.p50)} ms`, `write-to-disk p50 ${fmt(sh.upload.bare.p50)} ms`, fmtRatio(ratio(sh.upload.ours.p50, sh.upload.bare.p50)), '-', '-']);
    rows.push([`photo: ${sh.concurrent.n} uploads at once`, `${fmt(sh.concurrent.wallMs)} ms, RSS +${fmt(sh.concurrent.rssGrowthBytes / 2 ** 20, 1)} MiB`, '-', '-', '-', '-']);
  }
  if (h) {
    const none = h.phases[0];
    for (const p of h.phases.slice(1, -1)) {
      rows.push([`hostile client: ${p.attack}`, `ack p99 ${fmt(p.acks.p99, 1)} ms, RSS peak ${fmt(p.rssPeakMiB)} MiB`, `no attacker: p99 ${fmt(none?.acks.p99, 1)} ms, ${fmt(none?.rssPeakMiB)} MiB`, fmtRatio(ratio(p.acks.p99, none?.acks.p99 ?? Number.NaN)), '-', '-']);
    }
  }
  if (s) {
    const n = Object.entries(s.largestN).map(([m, v]) => `${v ?? 'none'} (${m})`).join(', ');
    if (n) rows.push(['largest N within goals', n, '-', '-', '-', '-']);
    if (s.forwarding.length) rows.push(['largest K within goals', String(s.largestK ?? 'none'), '-', '-', '-', '-']);
  }
  return rows;
}

async function main(): Promise<void> {
  const names = parseNames(process.argv.slice(2));
  const t0 = Date.now();
  const m = machine();
  console.log(`consultroom benchmarks: ${names.join(', ')} on ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}`);
  if (!process.env.CONSULTROOM_NETNS) console.log('  (not in a loopback-only namespace: run through `npm run bench` / bench/run.sh)');
  const results: AllResults = {};
  let scaled: ScaleResult | null = null;
  let shared: SharingResult | null = null;
  let hostileRun: HostileResult | null = null;
  let clinicRun: ClinicResult | null = null;
  const cpu: Record<string, CpuShare> = {};
  for (const [i, name] of names.entries()) {
    const mon = cpuMonitor();
    // What is left before the deadline, less what the benchmarks after this one are owed.
    const later = names.slice(i + 1).reduce((s, n) => s + BUDGET_MS[n], 0);
    const budget = Math.max(30_000, Math.min(BUDGET_MS[name], DEADLINE_MS - (Date.now() - t0) - later));
    try {
      if (name === 'admit') results.admit = (await admit(budget)) satisfies AdmitResult;
      else if (name === 'link') results.link = (await link(budget)) satisfies LinkResult;
      else if (name === 'capacity') results.capacity = (await capacity(budget)) satisfies CapacityResult;
      else if (name === 'forwarding') results.forwarding = (await forwarding(budget)) satisfies ForwardResult;
      else if (name === 'sharing') shared = await sharing(budget);
      else if (name === 'hostile') hostileRun = (await hostile(budget, process.env.BENCH_STORE === 'redis' ? 'redis' : 'memory')) satisfies HostileResult;
      else if (name === 'clinic') clinicRun = await clinic(budget);
      else if (name === 'recovery') await recovery(budget);
      else if (name === 'nodes') await nodes(budget);
      else scaled = await scale(results);
    } catch (e) {
      console.error(`\n${name} FAILED: ${(e as Error).stack ?? String(e)}`);
      process.exitCode = 1;
    }
    cpu[name] = mon.stop();
    const c = cpu[name];
    console.log(
      `  [${name}: ${c.wallS.toFixed(0)} s; CPU busy ${c.busyCores.toFixed(2)} of ${m.cores} cores: bench ${c.benchCores.toFixed(2)}, other processes ${c.otherCores.toFixed(2)}; load ${c.loadavg}]`,
    );
  }
  const wallS = (Date.now() - t0) / 1000;
  if (names.length > 1 || names[0] === 'scale') {
    console.log('\n== summary (o = ours, b = bare floor) ==');
    console.log(table(['benchmark', 'ours', 'bare', 'ratio', 'goal', 'met'], summaryRows(results, scaled, shared, hostileRun, clinicRun)));
    const others = Object.entries(cpu).map(([k, v]) => `${k} ${v.otherCores.toFixed(2)}`).join(', ');
    console.log(`  other processes on the machine used (cores, average): ${others}`);
  }
  console.log(`\ntotal wall time: ${Math.floor(wallS / 60)} min ${Math.round(wallS % 60)} s`);
  if (names.length > 1) saveResult('summary', { names, wallS, cpu, rows: summaryRows(results, scaled, shared, hostileRun, clinicRun) });
}

await main();
