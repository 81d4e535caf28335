// Benchmark 5, the scale curve: from the capacity and forwarding figures (this
// run's, or the latest saved ones), how time and memory grow with the work,
// and the largest N and K this machine held within the goals.
import path from 'node:path';
import type { AdmitResult } from './admit.ts';
import type { CapacityResult, CapacityRun } from './capacity.ts';
import { costRatio, type ForwardResult } from './forwarding.ts';
import type { LinkResult } from './link.ts';
import { latestResult, saveResult } from './lib/results.ts';
import { fmt, ratio, table } from './lib/stats.ts';

export interface AllResults {
  admit?: AdmitResult | null;
  link?: LinkResult | null;
  capacity?: CapacityResult | null;
  forwarding?: ForwardResult | null;
}

export const GOALS = {
  admitP50Ratio: 1.2,
  joinP99Ratio: 2,
  memoryRatio: 1.5,
  forwardCostRatio: 1.1,
  /** Packet loss we still call "held". */
  maxLossPct: 0.5,
};

export interface ScaleResult {
  capacity: { mode: string; n: number; p99: number; bareP99: number; rssMB: number; rssPerPatientKB: number; redisPerPatientKB: number; withinGoals: boolean; why: string[] }[];
  forwarding: { k: number; cpuPct: number; usPerPacket: number; lossPct: number; costRatio: number; withinGoals: boolean; why: string[] }[];
  /** log-log slopes between the smallest and largest size: 1 = linear, 0 = flat. */
  growth: { what: string; from: string; to: string; exponent: number }[];
  largestN: Record<string, number | null>;
  largestNHeld: Record<string, number | null>;
  largestK: number | null;
  sources: Record<string, string>;
}

const errorsOf = (r: CapacityRun) => Object.values(r.errors).reduce((s, v) => s + v, 0) + r.dropped + (r.n - r.joined);
const exponent = (x0: number, y0: number, x1: number, y1: number) => Math.log(y1 / y0) / Math.log(x1 / x0);

export function computeScale(all: AllResults): ScaleResult {
  const out: ScaleResult = { capacity: [], forwarding: [], growth: [], largestN: {}, largestNHeld: {}, largestK: null, sources: {} };
  const cap = all.capacity;
  if (cap) {
    for (const mode of ['rate', 'burst'] as const) {
      const label = mode === 'rate' ? `${cap.ratePerSec}/s` : 'burst';
      const pts: { n: number; a: CapacityRun; b: CapacityRun }[] = [];
      for (const n of cap.ns) {
        const a = cap.runs.find((x) => x.target === 'ours' && x.mode === mode && x.n === n);
        const b = cap.runs.find((x) => x.target === 'bare' && x.mode === mode && x.n === n);
        if (!a || !b) continue;
        pts.push({ n, a, b });
        const why: string[] = [];
        if (errorsOf(a) > 0) why.push(`${errorsOf(a)} errors`);
        if (!(ratio(a.joinMs.p99, b.joinMs.p99) <= GOALS.joinP99Ratio)) why.push(`p99 ${fmt(ratio(a.joinMs.p99, b.joinMs.p99), 1)}x bare`);
        if (!(ratio(a.rssPerPatient, b.rssPerPatient) <= GOALS.memoryRatio)) why.push(`RSS ${fmt(ratio(a.rssPerPatient, b.rssPerPatient), 1)}x bare`);
        out.capacity.push({
          mode: label,
          n,
          p99: a.joinMs.p99,
          bareP99: b.joinMs.p99,
          rssMB: a.rssAfter / 2 ** 20,
          rssPerPatientKB: a.rssPerPatient / 1024,
          redisPerPatientKB: a.redisPerPatient / 1024,
          withinGoals: why.length === 0,
          why,
        });
      }
      const within = out.capacity.filter((c) => c.mode === label && c.withinGoals).map((c) => c.n);
      out.largestN[label] = within.length ? Math.max(...within) : null;
      const held = pts.filter((p) => errorsOf(p.a) === 0).map((p) => p.n);
      out.largestNHeld[label] = held.length ? Math.max(...held) : null;
      const [f, l] = [pts[0], pts.at(-1)];
      if (f && l && f !== l) {
        const g = (what: string, y0: number, y1: number) => out.growth.push({ what, from: `N=${f.n}`, to: `N=${l.n}`, exponent: exponent(f.n, y0, l.n, y1) });
        g(`join p50, ${label}, ours`, f.a.joinMs.p50, l.a.joinMs.p50);
        g(`join p99, ${label}, ours`, f.a.joinMs.p99, l.a.joinMs.p99);
        g(`join p99, ${label}, bare`, f.b.joinMs.p99, l.b.joinMs.p99);
        g(`server RSS growth, ${label}, ours`, Math.max(1, f.a.rssAfter - f.a.rssBefore), Math.max(1, l.a.rssAfter - l.a.rssBefore));
        g(`Redis memory growth, ${label}, ours`, Math.max(1, f.a.redisAfter - f.a.redisBefore), Math.max(1, l.a.redisAfter - l.a.redisBefore));
      }
    }
  }
  const fw = all.forwarding;
  if (fw) {
    for (const k of fw.ks) {
      const a = fw.runs.find((x) => x.target === 'ours' && x.k === k);
      const b = fw.runs.find((x) => x.target === 'bare' && x.k === k);
      if (!a || !b) continue;
      const why: string[] = [];
      if (!(a.lossPct <= GOALS.maxLossPct)) why.push(`loss ${fmt(a.lossPct, 2)}%`);
      if (!(costRatio(a, b) <= GOALS.forwardCostRatio)) why.push(`cost ${fmt(costRatio(a, b), 2)}x bare`);
      out.forwarding.push({
        k,
        cpuPct: (a.cpuMs / a.windowMs) * 100,
        usPerPacket: a.usPerPacket,
        lossPct: a.lossPct,
        costRatio: costRatio(a, b),
        withinGoals: why.length === 0,
        why,
      });
    }
    const within = out.forwarding.filter((f) => f.withinGoals).map((f) => f.k);
    out.largestK = within.length ? Math.max(...within) : null;
    const [f, l] = [out.forwarding[0], out.forwarding.at(-1)];
    if (f && l && f !== l) {
      out.growth.push({ what: 'worker CPU, total, ours', from: `K=${f.k}`, to: `K=${l.k}`, exponent: exponent(f.k, f.cpuPct, l.k, l.cpuPct) });
      out.growth.push({ what: 'worker CPU per packet, ours', from: `K=${f.k}`, to: `K=${l.k}`, exponent: exponent(f.k, f.usPerPacket, l.k, l.usPerPacket) });
    }
  }
  return out;
}

export function scaleTables(s: ScaleResult): string {
  const parts: string[] = [];
  if (s.capacity.length) {
    parts.push(
      table(
        ['arrivals', 'N waiting', 'join p99 ms o/b', 'server RSS MB', 'RSS KB/patient', 'Redis KB/patient', 'within goals'],
        s.capacity.map((c) => [c.mode, String(c.n), `${fmt(c.p99, 1)}/${fmt(c.bareP99, 1)}`, fmt(c.rssMB), fmt(c.rssPerPatientKB, 1), fmt(c.redisPerPatientKB, 2), c.withinGoals ? 'yes' : `no: ${c.why.join(', ')}`]),
      ),
    );
  }
  if (s.forwarding.length) {
    parts.push(
      table(
        ['K consultations', 'forwarded streams', 'worker CPU % (of 1 core)', 'us/packet', 'loss %', 'cost vs bare', 'within goals'],
        s.forwarding.map((f) => [String(f.k), String(4 * f.k), fmt(f.cpuPct, 1), fmt(f.usPerPacket, 2), fmt(f.lossPct, 3), `${fmt(f.costRatio, 2)}x`, f.withinGoals ? 'yes' : `no: ${f.why.join(', ')}`]),
      ),
    );
  }
  if (s.growth.length) {
    parts.push(table(['grows with the work', 'from', 'to', 'exponent (1 = linear)'], s.growth.map((g) => [g.what, g.from, g.to, fmt(g.exponent, 2)])));
  }
  const n = Object.entries(s.largestN).map(([m, v]) => `${m}: ${v ?? 'none'}`).join(', ');
  const held = Object.entries(s.largestNHeld).map(([m, v]) => `${m}: ${v ?? 'none'}`).join(', ');
  parts.push(`  largest N within the goals (no errors, p99 <= ${GOALS.joinP99Ratio}x bare, RSS <= ${GOALS.memoryRatio}x bare): ${n || '-'}`);
  parts.push(`  largest N held with no errors at all: ${held || '-'}`);
  parts.push(`  largest K within the goals (loss <= ${GOALS.maxLossPct}%, cost <= ${GOALS.forwardCostRatio}x bare): ${s.largestK ?? 'none'}`);
  return parts.join('\n\n');
}

export async function scale(all: AllResults = {}): Promise<ScaleResult> {
  console.log('\n== scale curve: how time and memory grow with the work ==');
  const sources: Record<string, string> = {};
  const pick = <T>(name: string, given: T | null | undefined): T | null => {
    if (given) {
      sources[name] = 'this run';
      return given;
    }
    const saved = latestResult<T & { at?: string }>(name);
    sources[name] = saved ? `saved ${saved.at ?? ''}` : 'none';
    return saved;
  };
  const s = computeScale({ capacity: pick('capacity', all.capacity), forwarding: pick('forwarding', all.forwarding) });
  s.sources = sources;
  console.log(scaleTables(s));
  console.log(`  figures from: ${Object.entries(sources).map(([k, v]) => `${k} (${v})`).join(', ')}`);
  const file = saveResult('scale', s);
  console.log(`  -> ${path.relative(process.cwd(), file)}`);
  return s;
}
