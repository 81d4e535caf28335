// Child processes the benchmarks measure: our server (`node server/main.ts`,
// real config from the environment) and the bare servers, each with the
// memory probe preloaded; RSS from /proc; readiness by polling a URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, ENV_VARS, loadConfig } from '../../config/load.ts';
import { freeMediaPorts, freeTcpPort } from '../../support/ports.ts';
import { TEST_API_KEY } from '../../support/server.ts';
import { ROOT } from './results.ts';
import { sleep } from './stats.ts';

/** The same key as the tests, so support/api.ts's helpers drive the API unchanged. */
export const BENCH_API_KEY = TEST_API_KEY;
const PROBE = path.join(ROOT, 'bench', 'lib', 'probe.ts');

export interface MemUsage {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  url: string;
  /** Last lines the process wrote to stdout/stderr. */
  output(): string;
  /** VmRSS from /proc/<pid>/status, in bytes. */
  rss(): number;
  /** CPU time the process has used so far (user + system, all its threads), in ms. */
  cpuMs(): number;
  /** process.memoryUsage() after a full GC, from the preloaded probe. */
  mem(): Promise<MemUsage | null>;
  /** SIGTERM, then SIGKILL if still running after graceMs (default 8 s); resolves on exit. */
  stop(graceMs?: number): Promise<void>;
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux, whatever the kernel's HZ). */
const USER_HZ = 100;

/** utime + stime from /proc/<pid>/stat (fields 14 and 15, after the parenthesised name), in ms. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return Number.NaN;
  }
}

export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Which server settings have an environment override (looked up by config path, so renames are found). */
export function envOverrideFor(configPath: string): string | undefined {
  return Object.entries(ENV_VARS).find(([, [p]]) => p === configPath)?.[0];
}

export function spawnNode(name: string, file: string, args: string[], env: Record<string, string>, url: string, nodeArgs: string[] = []): Child {
  const proc = spawn(process.execPath, ['--expose-gc', '--import', PROBE, ...nodeArgs, file, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString('utf8')).slice(-8000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let seq = 0;
  const waiters = new Map<number, (m: MemUsage) => void>();
  proc.on('message', (m: MemUsage & { type?: string; id?: number }) => {
    if (m.type === 'mem' && m.id !== undefined) waiters.get(m.id)?.(m);
  });
  const kill = () => proc.kill('SIGKILL');
  process.once('exit', kill);
  return {
    name,
    proc,
    pid: proc.pid!,
    url,
    output: () => out,
    rss: () => rssOf(proc.pid!),
    cpuMs: () => cpuMsOf(proc.pid!),
    mem: () =>
      new Promise((resolve) => {
        if (!proc.connected) return resolve(null);
        const id = ++seq;
        const timer = setTimeout(() => {
          waiters.delete(id);
          resolve(null);
        }, 5000);
        waiters.set(id, (m) => {
          clearTimeout(timer);
          waiters.delete(id);
          resolve(m);
        });
        proc.send({ type: 'mem', id });
      }),
    stop: async (graceMs = 8000) => {
      process.off('exit', kill);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(t);
    },
  };
}

export async function waitReady(child: Child, readyPath: string, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (child.proc.exitCode !== null) throw new Error(`${child.name} exited (${child.proc.exitCode}):\n${child.output()}`);
    try {
      const r = await fetch(child.url + readyPath);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await child.stop();
  throw new Error(`${child.name} not ready after ${ms} ms:\n${child.output()}`);
}

export interface OurServerOptions {
  redisUrl?: string;
  workers?: number;
  /** Raise the per-address HTTP limits (only where the server has a setting for them). */
  liftRateLimits?: boolean;
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof, whose profile is written only on a clean exit: stop() and wait). */
  nodeArgs?: string[];
}

export interface OurServer extends Child {
  env: Record<string, string>;
  /** What could not be lifted because the server has no setting for it. */
  missingOverrides: string[];
}

/** `node server/main.ts` with the real config loader; the env is validated here first so a bad value names itself. */
export async function startOurServer(o: OurServerOptions = {}): Promise<OurServer> {
  const port = await freeTcpPort();
  const workers = o.workers ?? 1;
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    API_KEYS: BENCH_API_KEY,
    LOG_LEVEL: 'warn',
    MEDIASOUP_NUM_WORKERS: String(workers),
    MEDIASOUP_PORT: String(await freeMediaPorts(workers)),
    MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN ?? '',
    // The schema caps security.maxFailures at 1,000,000 (100,000,000 is refused at start-up).
    MAX_FAILURES: '1000000',
  };
  if (o.redisUrl) env.REDIS_URL = o.redisUrl;
  Object.assign(env, o.env ?? {});
  const missingOverrides: string[] = [];
  if (o.liftRateLimits) {
    // Each raised to its schema's maximum: every simulated patient comes from 127.0.0.1.
    for (const [configPath, what, most] of [
      ['security.requestsPerMinute', 'the global @fastify/rate-limit (requests per address per minute)', '100000000'],
      ['security.sessionAttemptsPerMinute', 'POST /api/v1/session (link redemptions per address per minute)', '100000000'],
      ['security.socketsPerAddress', 'open consultation sockets per address', '1000000'],
    ] as const) {
      const name = envOverrideFor(configPath);
      if (name) env[name] ??= most; // a value the caller set wins
      else missingOverrides.push(what);
    }
  }
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`the bench's server environment is refused by config/load.ts:\n${e.message}`, { cause: e });
    throw e;
  }
  // BENCH_SERVER_CPU_PROF=DIR: each server process writes a V8 CPU profile there when it stops (a diagnosis aid).
  const prof = process.env.BENCH_SERVER_CPU_PROF;
  const nodeArgs = [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), ...(o.nodeArgs ?? [])];
  const child = spawnNode('consultroom', path.join(ROOT, 'server', 'main.ts'), [], env, env.PUBLIC_URL!, nodeArgs);
  await waitReady(child, '/readyz');
  return { ...child, env, missingOverrides };
}
