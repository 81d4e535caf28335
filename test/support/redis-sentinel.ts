// A Redis master, a replica of it and one Sentinel watching them, as real
// redis-server processes on free loopback ports, for tests of fail-over.
// Debian's redis-server runs as a Sentinel with `--sentinel`; the Sentinel
// rewrites its own config file, so it lives in a private temporary directory.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { freeTcpPort } from './ports.ts';

export interface RedisProcess {
  port: number;
  /** SIGTERM (a clean stop) or SIGKILL (a crash); resolves when it exited. */
  kill(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export interface SentinelSet {
  master: RedisProcess;
  replica: RedisProcess;
  sentinel: RedisProcess;
  /** The name the Sentinel monitors the master under. */
  name: string;
  /** The master's port as the Sentinel names it now. */
  masterPort(): Promise<number | null>;
  /** A SENTINEL subcommand to the Sentinel (e.g. FAILOVER <name>). */
  sentinelCall(...args: string[]): Promise<unknown>;
  /** Kills whatever still runs and removes the directory. */
  stop(): Promise<void>;
}

const BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const READY_MS = 5000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** How a test client reaches a process: its password, and TLS (trusting this CA) when it speaks only TLS. */
export interface Reach {
  password?: string | undefined;
  ca?: Buffer | undefined;
}

const reachOptions = (r: Reach): RedisOptions => ({ ...(r.password ? { password: r.password } : {}), ...(r.ca ? { tls: { ca: r.ca } } : {}) });

async function answers(port: number, reach: Reach): Promise<boolean> {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 500, ...reachOptions(reach) });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/** Starts redis-server with these arguments on `port`; resolves when it answers PING (reached as `reach` says). */
export async function startRedisProcess(port: number, args: readonly string[], reach: Reach = {}): Promise<RedisProcess> {
  const child = spawn(BIN, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const kill = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    if (!(await exited(child, 5000))) {
      child.kill('SIGKILL');
      await exited(child, 5000);
    }
  };
  const deadline = Date.now() + READY_MS;
  for (;;) {
    if (spawnError) throw new Error(`redis-server could not start: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      process.off('exit', killOnExit);
      throw new Error(`redis-server ${args.join(' ')} exited (${String(child.exitCode ?? child.signalCode)}):\n${output}`);
    }
    if (await answers(port, reach)) return { port, kill };
    if (Date.now() > deadline) {
      await kill('SIGKILL');
      throw new Error(`redis-server ${args.join(' ')} did not answer PING within ${String(READY_MS)} ms:\n${output}`);
    }
    await sleep(50);
  }
}

function sentinelConf(dir: string, port: number, name: string, masterPort: number, auth: SentinelAuth = {}): string {
  const file = path.join(dir, `sentinel-${String(port)}.conf`);
  const t = auth.tls;
  writeFileSync(
    file,
    [
      ...(t
        ? ['port 0', `tls-port ${String(port)}`, `tls-cert-file ${t.certFile}`, `tls-key-file ${t.keyFile}`, `tls-ca-cert-file ${t.certFile}`, 'tls-auth-clients no', 'tls-replication yes']
        : [`port ${String(port)}`]),
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${String(masterPort)} 1`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 3000`,
      ...(auth.password ? [`sentinel auth-pass ${name} ${auth.password}`] : []),
      ...(auth.sentinelPassword ? [`requirepass ${auth.sentinelPassword}`] : []),
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * Passwords for a Sentinel set: the master's and replica's (requirepass,
 * masterauth), and the Sentinel's own; and TLS only, everywhere (replication
 * and the Sentinel's own links included), with one self-signed certificate
 * for 127.0.0.1 that is also the CA (sentinelTlsFiles).
 */
export interface SentinelAuth {
  password?: string;
  sentinelPassword?: string;
  tls?: { certFile: string; keyFile: string };
}

/** A self-signed P-256 certificate for 127.0.0.1 (its own CA) in `dir`. */
export function sentinelTlsFiles(dir: string): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, 'redis-cert.pem');
  const keyFile = path.join(dir, 'redis-key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { certFile, keyFile };
}

/**
 * Why this machine cannot run a Sentinel (the binary is missing or has no
 * sentinel mode), or null when it can: a throwaway Sentinel started and answered.
 */
export async function sentinelUnavailable(): Promise<string | null> {
  const dir = mkdtempSync(path.join(tmpdir(), 'consultroom-sentinel-probe-'));
  try {
    const port = await freeTcpPort();
    const s = await startRedisProcess(port, [sentinelConf(dir, port, 'probe', 1), '--sentinel']);
    await s.kill();
    return null;
  } catch (e) {
    return `${BIN} cannot run as a Redis Sentinel here (${(e as Error).message.split('\n')[0] ?? ''})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits (bounded) until `check` holds, polling. */
async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${String(ms)} ms waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * A master, its replica (in sync), and a Sentinel (quorum 1, down after 1 s,
 * fail-over timeout 3 s) that already knows the replica, so a fail-over can
 * start as soon as the master is down.
 */
export async function startSentinelSet(name = 'mymaster', auth: SentinelAuth = {}): Promise<SentinelSet> {
  const dir = mkdtempSync(path.join(tmpdir(), 'consultroom-sentinel-'));
  const started: RedisProcess[] = [];
  // Both ask for the password and give it to their master (the master becomes a replica after a fail-over).
  const withAuth = auth.password ? ['--requirepass', auth.password, '--masterauth', auth.password] : [];
  const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...withAuth];
  const t = auth.tls;
  const ca = t ? readFileSync(t.certFile) : undefined;
  const portArgs = (port: number): string[] =>
    t
      ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', t.certFile, '--tls-key-file', t.keyFile, '--tls-ca-cert-file', t.certFile, '--tls-auth-clients', 'no', '--tls-replication', 'yes']
      : ['--port', String(port)];
  const redisReach: Reach = { password: auth.password, ca };
  const sentinelReach: Reach = { password: auth.sentinelPassword, ca };
  const control: Redis[] = [];
  const client = (port: number, reach: Reach): Redis => {
    const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => 200, ...reachOptions(reach) });
    c.on('error', () => undefined);
    control.push(c);
    return c;
  };
  const stop = async (): Promise<void> => {
    for (const c of control) c.disconnect();
    for (const p of started.reverse()) await p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [mp, rp, sp] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
    const master = await startRedisProcess(mp, [...portArgs(mp), ...common, '--dbfilename', 'master.rdb'], redisReach);
    started.push(master);
    const replica = await startRedisProcess(rp, [...portArgs(rp), ...common, '--dbfilename', 'replica.rdb', '--replicaof', '127.0.0.1', String(mp)], redisReach);
    started.push(replica);
    const replicaClient = client(rp, redisReach);
    await until(async () => /master_link_status:up/.test(await replicaClient.info('replication')), 10_000, 'the replica to sync with the master');
    // Started after the replica synced: the Sentinel's first INFO of the master lists it.
    const sentinel = await startRedisProcess(sp, [sentinelConf(dir, sp, name, mp, auth), '--sentinel'], sentinelReach);
    started.push(sentinel);
    const sentinelClient = client(sp, sentinelReach);
    await until(
      async () => {
        const replicas = (await sentinelClient.call('SENTINEL', 'REPLICAS', name)) as string[][];
        return replicas.some((fields) => {
          const f = new Map<string, string>();
          for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
          return f.get('port') === String(rp) && f.get('flags') === 'slave' && f.get('master-link-status') === 'ok';
        });
      },
      15_000,
      'the Sentinel to know the replica',
    );
    return {
      master,
      replica,
      sentinel,
      name,
      masterPort: async () => {
        const addr = (await sentinelClient.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string] | null;
        return addr ? Number(addr[1]) : null;
      },
      sentinelCall: (...args) => sentinelClient.call('SENTINEL', ...args),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
