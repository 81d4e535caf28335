// The real server as a child process (`node server/main.ts`, config from the
// environment), for tests and benchmarks that signal it: SIGKILL or SIGTERM
// it, SIGKILL one of its mediasoup workers, and start a new process on the
// same ports and the same Redis. Its JSON log lines are kept across restarts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.ts';
import { freeMediaPorts, freeTcpPort } from './ports.ts';
import { TEST_API_KEY } from './server.ts';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const READY_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 10_000;

export interface ServerProcessOptions {
  /** The address it listens on and publishes (HTTP and media); default 127.0.0.1. */
  host?: string;
  workers?: number;
  redisUrl?: string;
  /** More environment (config keys, e.g. DRAIN_SECONDS). */
  env?: Record<string, string>;
  /**
   * Serve HTTPS with a certificate made for `host` (which this process then
   * trusts for its own fetches): a secure context for a browser that reaches
   * the server at an address other than 127.0.0.1.
   */
  tls?: boolean;
}

export interface ServerProcess {
  readonly url: string;
  readonly env: Readonly<Record<string, string>>;
  /** The certificate (PEM) when serving HTTPS. */
  readonly cert: string | undefined;
  /** True while a server process runs. */
  running(): boolean;
  /** The running process's pid (throws when none runs). */
  pid(): number;
  /** Every log line of every process so far, in order. */
  logs(): string[];
  /** Its mediasoup workers: the child processes of the server process. */
  workerPids(): number[];
  signal(sig: NodeJS.Signals): void;
  /** Resolves with the exit code (null after a signal) when the current process exits. */
  exited(ms?: number): Promise<number | null>;
  /** Starts a process (again) with the same environment, once the last one and its workers are gone; resolves when /readyz answers 200. */
  start(): Promise<void>;
  /** SIGKILL, then waits for it and its workers to be gone. */
  kill(): Promise<void>;
  /** Stops everything and removes its files directory. */
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter(Boolean);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A self-signed certificate for one IP address, trusted from now on by this
 * process's TLS clients (fetch included) beside the usual roots.
 */
export function certificateFor(host: string, dir: string): { certFile: string; keyFile: string; pem: string } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${host}`,
    '-addext', `subjectAltName=IP:${host}`, '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  const pem = readFileSync(certFile, 'utf8');
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), pem]);
  return { certFile, keyFile, pem };
}

/** CPU time a process has used (user + system), in clock ticks; NaN when it is gone. */
export function cpuTicks(pid: number): number {
  try {
    // Fields after the parenthesised command name: state is 3rd, utime 14th, stime 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return Number.NaN;
  }
}

/** The worker that used the most CPU over `ms`: the one forwarding a live call's media. */
export async function busiestWorker(server: ServerProcess, ms = 2000): Promise<{ pid: number; ticks: number; others: number[] }> {
  const pids = server.workerPids();
  const before = pids.map(cpuTicks);
  await sleep(ms);
  const used = pids.map((p, i) => cpuTicks(p) - before[i]!);
  const top = used.indexOf(Math.max(...used));
  return { pid: pids[top]!, ticks: used[top]!, others: used.filter((_, i) => i !== top) };
}

/** A server on free ports; not started until start(). */
export async function serverProcess(o: ServerProcessOptions = {}): Promise<ServerProcess> {
  const host = o.host ?? '127.0.0.1';
  const port = await freeTcpPort();
  const workers = o.workers ?? 1;
  const filesDir = mkdtempSync(path.join(tmpdir(), 'consultroom-files-'));
  const tlsDir = o.tls ? mkdtempSync(path.join(tmpdir(), 'consultroom-tls-')) : undefined;
  const cert = tlsDir ? certificateFor(host, tlsDir) : undefined;
  const url = `${cert ? 'https' : 'http'}://${host}:${port}`;
  const env: Record<string, string> = {
    HOST: host,
    PORT: String(port),
    PUBLIC_URL: url,
    API_KEYS: TEST_API_KEY,
    LOG_LEVEL: 'info',
    FILES_DIR: filesDir,
    MEDIASOUP_NUM_WORKERS: String(workers),
    MEDIASOUP_PORT: String(await freeMediaPorts(workers)),
    MEDIASOUP_LISTEN_IP: host,
    MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN ?? '',
    MAX_FAILURES: '1000000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    SESSION_RATE_LIMIT_PER_MINUTE: '1000000',
    ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
    ...(cert ? { TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile } : {}),
    ...o.env,
  };
  loadConfig(env); // a bad value names itself here, not as a silent child exit
  const lines: string[] = [];
  let child: ChildProcess | undefined;
  let workersOfLast: number[] = [];
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const current = (): ChildProcess | undefined => (child && child.exitCode === null && child.signalCode === null ? child : undefined);
  const exited = (ms = EXIT_TIMEOUT_MS): Promise<number | null> => {
    const c = child;
    if (!c) return Promise.resolve(null);
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the server process did not exit within ${ms} ms`)), ms);
      c.once('exit', (code) => {
        clearTimeout(t);
        resolve(code);
      });
    });
  };
  const workersGone = async (): Promise<void> => {
    const t0 = Date.now();
    while (workersOfLast.some(alive)) {
      if (Date.now() - t0 > EXIT_TIMEOUT_MS) {
        for (const w of workersOfLast) if (alive(w)) process.kill(w, 'SIGKILL');
      }
      await sleep(50);
    }
  };

  const self: ServerProcess = {
    url,
    env,
    cert: cert?.pem,
    running: () => current() !== undefined,
    pid: () => {
      const c = current();
      if (!c?.pid) throw new Error('no server process is running');
      return c.pid;
    },
    logs: () => lines,
    workerPids: () => childPids(self.pid()),
    signal: (sig) => {
      const c = current();
      if (!c) throw new Error('no server process is running');
      workersOfLast = childPids(c.pid!);
      c.kill(sig);
    },
    exited,
    async start() {
      if (current()) throw new Error('the server process is already running');
      await workersGone(); // their WebRtcServer ports are the new process's
      const c = spawn(process.execPath, [path.join(ROOT, 'server', 'main.ts')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      let partial = '';
      const keep = (b: Buffer): void => {
        const parts = (partial + b.toString('utf8')).split('\n');
        partial = parts.pop() ?? '';
        lines.push(...parts.filter(Boolean));
      };
      c.stdout.on('data', keep);
      c.stderr.on('data', keep);
      const t0 = Date.now();
      for (;;) {
        if (c.exitCode !== null || c.signalCode !== null) {
          throw new Error(`the server exited (${String(c.exitCode ?? c.signalCode)}) before it was ready:\n${lines.slice(-20).join('\n')}`);
        }
        try {
          if ((await fetch(`${url}/readyz`)).ok) break;
        } catch {
          // not listening yet
        }
        if (Date.now() - t0 > READY_TIMEOUT_MS) {
          c.kill('SIGKILL');
          throw new Error(`the server was not ready within ${READY_TIMEOUT_MS} ms:\n${lines.slice(-20).join('\n')}`);
        }
        await sleep(50);
      }
      workersOfLast = childPids(c.pid!);
    },
    async kill() {
      if (current()) self.signal('SIGKILL');
      await exited().catch(() => undefined);
      await workersGone();
    },
    async close() {
      process.off('exit', killOnExit);
      await self.kill();
      rmSync(filesDir, { recursive: true, force: true });
      if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
    },
  };
  return self;
}
