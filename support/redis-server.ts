// A throwaway redis-server for integration tests: a free port on 127.0.0.1,
// killed by stop(). Tests never assume a Redis is running. With appendOnly
// (the default) it persists as production does (AOF in a private data
// directory), so a test can halt it (SIGTERM, or SIGKILL as a crash) and
// restart it on the same port and data, as an outage that ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RedisServerHandle {
  url: string;
  port: number;
  /** Stops it for good (and removes its data directory). */
  stop(): Promise<void>;
  /** Stops it, keeping its data: SIGTERM (a clean shutdown) or SIGKILL (a crash). */
  halt(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port and data directory (after halt()); resolves when it answers PING. */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /** Append-only persistence (appendonly yes) in a private data directory; true by default. */
  appendOnly?: boolean;
  /**
   * When the AOF is flushed to disk: 'everysec' (the default; a crash loses up to a second of
   * writes) or 'always' (nothing acknowledged is lost; what a test that SIGKILLs Redis needs).
   */
  fsync?: 'everysec' | 'always';
}

const NOT_INSTALLED = 'redis-server is not installed (apt-get install redis-server)';
const READY_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 5000;

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

function findBinary(): string {
  const fromEnv = process.env.REDIS_SERVER_BIN;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${NOT_INSTALLED}; REDIS_SERVER_BIN=${fromEnv} is not executable`);
    return fromEnv;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'redis-server');
    if (isExecutable(candidate)) return candidate;
  }
  throw new Error(NOT_INSTALLED);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((err) => (err ? reject(err) : port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** One raw RESP PING; true when the server answers +PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

interface RunningRedis {
  /** SIGTERM, then SIGKILL if it lingers; or `signal` at once. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

async function runOnce(bin: string, port: number, dataDir: string | null, fsync: 'everysec' | 'always'): Promise<RunningRedis> {
  const persistence = dataDir ? ['--dir', dataDir, '--appendonly', 'yes', '--appendfsync', fsync] : ['--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--protected-mode', 'yes'];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_TIMEOUT_MS);
    }
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (spawnError) {
      await stop();
      const code = (spawnError as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? NOT_INSTALLED : `redis-server could not start: ${spawnError.message}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      process.off('exit', killOnExit);
      throw new Error(`redis-server exited (${String(child.exitCode ?? child.signalCode)}) on port ${String(port)}:\n${output}`);
    }
    if (await answersPing(port)) return { stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer PING on port ${String(port)} within ${String(READY_TIMEOUT_MS)} ms:\n${output}`);
    }
    await sleep(50);
  }
}

async function startOnce(bin: string, appendOnly: boolean, fsync: 'everysec' | 'always'): Promise<RedisServerHandle> {
  const port = await freePort();
  const dataDir = appendOnly ? mkdtempSync(path.join(tmpdir(), 'consultroom-redis-')) : null;
  const removeData = (): void => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  let running: RunningRedis | null;
  try {
    running = await runOnce(bin, port, dataDir, fsync);
  } catch (e) {
    removeData();
    throw e;
  }
  return {
    url: `redis://127.0.0.1:${String(port)}`,
    port,
    stop: async () => {
      await running?.stop();
      running = null;
      removeData();
    },
    halt: async (signal = 'SIGTERM') => {
      await running?.stop(signal);
      running = null;
    },
    restart: async () => {
      if (running) throw new Error('redis-server is still running; halt() it first');
      // The port was ours a moment ago; another process taking it meanwhile fails loudly here.
      running = await runOnce(bin, port, dataDir, fsync);
    },
  };
}

/** Starts a private redis-server; retries on a new port if another process took the one found free. */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const bin = findBinary();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(bin, opts.appendOnly ?? true, opts.fsync ?? 'everysec');
    } catch (e) {
      if (e instanceof Error && e.message.startsWith(NOT_INSTALLED)) throw e;
      lastError = e;
    }
  }
  throw lastError instanceof Error ? lastError : new Error('redis-server could not start');
}
