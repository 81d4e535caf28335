// How busy the machine was during a benchmark, and how much of that was the
// benchmark itself: total busy CPU from /proc/stat; ours by sampling every
// descendant of this process (/proc/<pid>/stat, every 250 ms), keeping each
// one's last-seen CPU time after it exits. (Parents' cutime cannot be used:
// Chromium's zygote does not wait for its renderers, so their time is lost
// to it.) What is left is other people's work on the same cores, printed
// next to the figures it distorts.
import { readdirSync, readFileSync } from 'node:fs';

const TICK = 100; // USER_HZ on Linux
const EVERY_MS = 250;

function busyTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return user + nice + system + irq + softirq + steal;
}

/** pid -> [ppid, utime + stime] for every process now. */
function snapshot(): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      // after the name: state(0) ppid(1) ... utime(11) stime(12)
      out.set(Number(d), [Number(f[1]), Number(f[11]) + Number(f[12])]);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export interface CpuShare {
  wallS: number;
  /** Average cores busy machine-wide. */
  busyCores: number;
  /** Average cores used by the benchmark's own processes (Chromium, servers, workers, load generators). */
  benchCores: number;
  /** Average cores used by everything else on the machine. */
  otherCores: number;
  loadavg: string;
}

export function cpuMonitor(): { stop(): CpuShare } {
  const t0 = performance.now();
  const b0 = busyTicks();
  const first = snapshot();
  const ours = new Set<number>([process.pid]);
  /** pid -> [ticks when first seen in the window (0 if born in it), last seen]. */
  const ticks = new Map<number, [number, number]>();
  let exited = 0; // ticks of our processes that have gone
  const sample = (snap = snapshot()) => {
    for (const pid of [...ours]) {
      if (snap.has(pid) || pid === process.pid) continue;
      const t = ticks.get(pid);
      if (t) exited += t[1] - t[0];
      ticks.delete(pid);
      ours.delete(pid); // so a foreign process that reuses the pid is not taken for ours
    }
    for (let pass = 0; pass < 2; pass++) {
      // Two passes catch grandchildren listed before their parents.
      for (const [pid, [ppid]] of snap) if (!ours.has(pid) && ours.has(ppid)) ours.add(pid);
    }
    for (const pid of ours) {
      const now = snap.get(pid);
      if (!now) continue;
      const t = ticks.get(pid);
      if (t) t[1] = now[1];
      else ticks.set(pid, [first.get(pid)?.[1] ?? 0, now[1]]);
    }
  };
  sample(first);
  const timer = setInterval(() => sample(), EVERY_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      const wallS = (performance.now() - t0) / 1000;
      const busy = (busyTicks() - b0) / TICK / wallS;
      let mine = exited;
      for (const [start, last] of ticks.values()) mine += last - start;
      const benchCores = mine / TICK / wallS;
      return {
        wallS,
        busyCores: busy,
        benchCores,
        otherCores: Math.max(0, busy - benchCores),
        loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
      };
    },
  };
}
