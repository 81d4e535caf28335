// Starts the real server for a test: real config loading, real mediasoup
// worker, memory or Redis store, listening on a free loopback port, with its
// JSON logs captured so tests can read them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { buildApp, type App } from '../server/app.ts';
import { createLogger } from '../server/core/logger.ts';
import { createDeps, type Deps } from '../server/deps.ts';
import { freeMediaPorts, freeTcpPort } from './ports.ts';

export const TEST_API_KEY = 'test-api-key-0123456789abcdef0123456789';

export interface TestServer {
  url: string;
  config: Config;
  deps: Deps;
  app: App;
  logs: string[];
  stop(): Promise<void>;
}

/** `opts.now`: the server's clock (services, tokens, stores' expiry), for tests that move time. */
export async function startTestServer(env: Record<string, string> = {}, opts: { now?: () => Date } = {}): Promise<TestServer> {
  const port = await freeTcpPort();
  const mediaPort = await freeMediaPorts(Number(env.MEDIASOUP_NUM_WORKERS ?? 1));
  // Each server its own files directory, removed when it stops (unless the test named one).
  const filesDir = env.FILES_DIR ?? mkdtempSync(path.join(tmpdir(), 'consultroom-files-'));
  const config = loadConfig({
    FILES_DIR: filesDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    MEDIASOUP_NUM_WORKERS: '1',
    MEDIASOUP_PORT: String(mediaPort),
    MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN ?? '',
    API_KEYS: TEST_API_KEY,
    LOG_LEVEL: 'info',
    // Tests make many deliberate failures from 127.0.0.1; the failure limiter
    // has its own tests, which set a low limit explicitly.
    MAX_FAILURES: '1000000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    SESSION_RATE_LIMIT_PER_MINUTE: '1000000',
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const deps = await createDeps(config, logger, opts.now ? { now: opts.now } : {});
  const app = await buildApp(deps);
  await app.http.listen({ host: '127.0.0.1', port: config.server.port });
  return {
    url: config.server.publicUrl,
    config,
    deps,
    app,
    logs,
    stop: async () => {
      await app.http.close();
      await deps.close();
      if (!env.FILES_DIR) rmSync(filesDir, { recursive: true, force: true });
    },
  };
}
