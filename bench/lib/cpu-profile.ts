// Where a server's time went: a V8 .cpuprofile (what `node --cpu-prof` writes
// on a clean exit) summarised as the top functions by self and by total
// (inclusive) time, and self time rolled up by area (our server/ folders,
// node_modules packages, node internals, native code, GC, idle), once as
// sampled and once with node's and native time charged to the nearest caller
// in our code or a package (who asked for that JSON.stringify). Each sample is weighted by
// the time until the next one, as Chrome DevTools does; a window (on the
// monotonic clock, which the profile's timestamps and process.hrtime share)
// keeps start-up and shutdown out of the figures.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, table } from './stats.ts';

export interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based, -1 when unknown. */
  lineNumber: number;
  columnNumber?: number;
  scriptId?: string | number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  hitCount?: number;
}

/** The JSON V8 writes (Profiler.Profile); times in microseconds. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface FunctionTime {
  /** Function name, '(anonymous)' when it has none, or V8's '(garbage collector)', '(idle)', '(program)'. */
  name: string;
  /** Repo-relative file, `package/path` for node_modules, `node:...` for node internals, '' for V8's own entries. */
  where: string;
  /** 1-based line of the first frame seen (0 when unknown). */
  line: number;
  area: string;
  selfMs: number;
  selfPct: number;
  totalMs: number;
  totalPct: number;
}

export interface AreaTime {
  area: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  samples: number;
  /** Sampled time in the window, the 100% of every percentage (idle included). */
  sampledMs: number;
  /** Share of the sampled time not idle: how busy the process's main thread was. */
  busyPct: number;
  bySelf: FunctionTime[];
  byTotal: FunctionTime[];
  areas: AreaTime[];
  /** The same, with node internals and native code charged to their nearest caller outside them (our code or a package). */
  areasByCaller: AreaTime[];
}

export interface SummaryOptions {
  /** Repo root: files under it are shown relative to it. */
  root: string;
  /** How many functions to keep in each list (default 15). */
  top?: number;
  /** Only samples taken in [fromUs, toUs) on the monotonic clock (process.hrtime.bigint() / 1000n). */
  window?: { fromUs: number; toUs: number };
}

interface Place {
  where: string;
  area: string;
}

const NODE_MODULES = '/node_modules/';
const NATIVE = '(native)';
const NODE_INTERNALS = 'node internals';
/** Areas whose time is charged to their caller in areasByCaller. */
const RUNTIME = new Set([NATIVE, NODE_INTERNALS]);

/** The package a node_modules path belongs to (the innermost one, scoped names kept). */
function packageOf(rest: string): { pkg: string; file: string } {
  const parts = rest.split('/');
  const n = parts[0]?.startsWith('@') ? 2 : 1;
  return { pkg: parts.slice(0, n).join('/'), file: parts.slice(n).join('/') };
}

/** Where a frame's code lives, for people: repo-relative, by package, or as node/V8 names it. */
export function placeOf(frame: CallFrame, root: string): Place {
  const url = frame.url;
  if (url === '') {
    // V8's own entries ('(garbage collector)', '(idle)', '(program)', '(root)'); named ones are
    // node's C++ bindings (writeUtf8String, writev) and V8 builtins, which have no script.
    if (/^\(.*\)$/.test(frame.functionName)) return { where: '', area: frame.functionName };
    return { where: '', area: NATIVE };
  }
  if (url.startsWith('node:')) return { where: url, area: NODE_INTERNALS };
  let file: string;
  try {
    file = url.startsWith('file:') ? fileURLToPath(url) : url;
  } catch {
    return { where: url, area: 'other' };
  }
  const nm = file.lastIndexOf(NODE_MODULES);
  if (nm >= 0) {
    const { pkg, file: inner } = packageOf(file.slice(nm + NODE_MODULES.length));
    return { where: inner ? `${pkg}/${inner}` : pkg, area: pkg };
  }
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return { where: file, area: 'other' };
  const parts = rel.split(path.sep);
  // server/<folder>/... is the folder (signaling, domain, stores, cluster, http, ...); top-level files by their dir.
  const area = parts.length > 2 && parts[0] === 'server' ? `server/${parts[1]}` : parts.length > 1 ? parts[0]! : rel;
  return { where: parts.join('/'), area };
}

interface Group {
  name: string;
  place: Place;
  line: number;
  selfUs: number;
  totalUs: number;
}

/** Per-sample weights: the time to the next sample (the last one runs to endTime); 0 outside the window. */
function sampleWeights(p: CpuProfile, window: SummaryOptions['window']): number[] {
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  const at: number[] = [];
  let t = p.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    at.push(t);
  }
  return at.map((ti, i) => {
    if (window && (ti < window.fromUs || ti >= window.toUs)) return 0;
    const next = i + 1 < at.length ? at[i + 1]! : Math.max(ti, p.endTime);
    return Math.max(0, (window ? Math.min(next, window.toUs) : next) - ti);
  });
}

export function summarizeCpuProfile(p: CpuProfile, o: SummaryOptions): ProfileSummary {
  const top = o.top ?? 15;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const groups = new Map<string, Group>();
  const groupOfNode = new Map<number, Group>();
  const groupOf = (id: number): Group => {
    const known = groupOfNode.get(id);
    if (known) return known;
    const f = byId.get(id)!.callFrame;
    const place = placeOf(f, o.root);
    const name = f.functionName || '(anonymous)';
    const line = f.lineNumber >= 0 ? f.lineNumber + 1 : 0;
    // Named functions group by name + file; anonymous ones also by line, or every callback in a file would merge.
    const key = `${name}\0${place.where}\0${f.functionName ? '' : line}`;
    let g = groups.get(key);
    if (!g) {
      g = { name, place, line, selfUs: 0, totalUs: 0 };
      groups.set(key, g);
    }
    groupOfNode.set(id, g);
    return g;
  };

  const weights = sampleWeights(p, o.window);
  const samples = p.samples ?? [];
  let totalUs = 0;
  let counted = 0;
  let idleUs = 0;
  const callerUs = new Map<string, number>();
  for (let i = 0; i < samples.length; i++) {
    const w = weights[i]!;
    const leaf = samples[i]!;
    if (w <= 0 || !byId.has(leaf)) continue;
    totalUs += w;
    counted++;
    const g = groupOf(leaf);
    g.selfUs += w;
    if (g.name === '(idle)' && g.place.where === '') idleUs += w;
    // Inclusive: each group on the stack once, however often it recurses.
    const seen = new Set<Group>();
    let caller: string | undefined;
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const sg = groupOf(id);
      if (sg.name === '(root)' && sg.place.where === '') continue;
      if (caller === undefined && !RUNTIME.has(sg.place.area)) caller = sg.place.area;
      if (seen.has(sg)) continue;
      seen.add(sg);
      sg.totalUs += w;
    }
    // Nothing but the runtime on the stack (an event-loop phase, microtask bookkeeping): it stays the runtime's.
    caller ??= g.place.area;
    callerUs.set(caller, (callerUs.get(caller) ?? 0) + w);
  }

  const pct = (us: number) => (totalUs > 0 ? (100 * us) / totalUs : 0);
  const row = (g: Group): FunctionTime => ({
    name: g.name,
    where: g.place.where,
    line: g.line,
    area: g.place.area,
    selfMs: g.selfUs / 1000,
    selfPct: pct(g.selfUs),
    totalMs: g.totalUs / 1000,
    totalPct: pct(g.totalUs),
  });
  const rollup = (m: Map<string, number>): AreaTime[] =>
    [...m].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, selfMs: us / 1000, selfPct: pct(us) }));
  const all = [...groups.values()];
  const areaUs = new Map<string, number>();
  for (const g of all) if (g.selfUs > 0) areaUs.set(g.place.area, (areaUs.get(g.place.area) ?? 0) + g.selfUs);
  return {
    samples: counted,
    sampledMs: totalUs / 1000,
    busyPct: totalUs > 0 ? 100 - pct(idleUs) : 0,
    bySelf: all.filter((g) => g.selfUs > 0).sort((a, b) => b.selfUs - a.selfUs).slice(0, top).map(row),
    byTotal: all.filter((g) => g.totalUs > 0).sort((a, b) => b.totalUs - a.totalUs).slice(0, top).map(row),
    areas: rollup(areaUs),
    areasByCaller: rollup(callerUs),
  };
}

/** The newest .cpuprofile in a directory (node names them CPU.<date>.<time>.<pid>...), or null. */
export function readNewestCpuProfile(dir: string): CpuProfile | null {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return null;
  }
  const newest = files.map((f) => path.join(dir, f)).sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs).at(-1);
  return newest ? (JSON.parse(readFileSync(newest, 'utf8')) as CpuProfile) : null;
}

const label = (f: FunctionTime) => (f.where ? `${f.name} (${f.where}${f.line ? `:${f.line}` : ''})` : f.name);

/** The functions by self time, with their total, as a printable table. */
export function functionsTable(fs: readonly FunctionTime[]): string {
  return table(
    ['function (file:line)', 'area', 'self ms', 'self %', 'total ms', 'total %'],
    fs.map((f) => [label(f), f.area, fmt(f.selfMs), fmt(f.selfPct, 1), fmt(f.totalMs), fmt(f.totalPct, 1)]),
  );
}

/** The self time by area, one line. */
export function areasLine(areas: readonly AreaTime[], minPct = 0.5): string {
  const shown = areas.filter((a) => a.selfPct >= minPct);
  const rest = areas.slice(shown.length).reduce((s, a) => s + a.selfPct, 0);
  return [...shown.map((a) => `${a.area} ${fmt(a.selfPct, 1)}%`), ...(rest > 0 ? [`others ${fmt(rest, 1)}%`] : [])].join(', ');
}
