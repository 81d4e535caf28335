// The only side effects: load config, build dependencies and the app, listen,
// and close everything cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from '../config/load.ts';
import { createLogger } from './core/logger.ts';
import { settlesWithin } from './core/settles.ts';
import { buildApp } from './app.ts';
import { StartupError } from './boot/startup-error.ts';
import { createDeps } from './deps.ts';
import { watchWorkerProcesses } from './boot/worker-processes.ts';

/** Connections the kernel may hold for accept() (see listen below). */
const LISTEN_BACKLOG = 4096;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  // Before any worker starts: media must go on through the drain below.
  const workerProcesses = watchWorkerProcesses(logger.child({ component: 'media' }));
  let deps;
  try {
    deps = await createDeps(config, logger);
  } catch (e) {
    if (e instanceof StartupError) {
      logger.fatal(e.message);
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
  const app = await buildApp(deps);
  // A deep accept queue (the kernel caps it at net.core.somaxconn): a clinic's start, or every
  // page of a restarted node reconnecting at once, arrives as a burst of connections; with
  // Node's default of 511 the overflow's SYNs are dropped and retried seconds later.
  await app.http.listen({ host: config.server.host, port: config.server.port, backlog: LISTEN_BACKLOG });
  logger.info({ url: config.server.publicUrl }, 'consultroom is listening');

  // Draining (SIGTERM, or `cli drain NODE` for this node): readiness goes 503
  // so a load balancer moves new traffic away, no new consultation is placed
  // here, and live calls go on, media included (the workers are not closed on
  // the signal, see boot/worker-processes.ts), for the drain period or until
  // they end. Then, where another node takes consultations, the ones left
  // move there: the pages rebuild their media on it, nobody re-admitted.
  const live = () => deps.rooms.consultations().length;
  let hurry = () => undefined as void;
  const drain = async (deadline: number): Promise<void> => {
    deps.lifecycle.startDraining(deadline);
    await new Promise<void>((resolve) => {
      hurry = resolve;
      const tick = setInterval(() => {
        if (live() === 0 || Date.now() >= deadline) {
          clearInterval(tick);
          resolve();
        }
      }, 250);
    });
    const others = await deps.cluster.registry.live().then(
      (nodes) => nodes.some((n) => n.id !== deps.cluster.nodeId && !n.draining),
      () => false,
    );
    if (others && live() > 0) await app.moveConsultations();
  };
  deps.cluster.registry.on('drainRequested', (deadline) => {
    logger.info({ deadline: new Date(deadline).toISOString() }, 'asked to drain: no new consultations here');
    drain(deadline).catch((e: unknown) => logger.error({ err: e }, 'drain failed'));
  });

  // SIGTERM (docker stop; systemd with KillMode=mixed): a planned restart.
  // After the drain every page is told the server is restarting and its
  // connection dropped, so it reconnects by itself to another node or the next
  // process on the same Redis, which finds everyone where they were (admitted
  // or waiting). A second signal skips the wait.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return hurry();
    stopping = true;
    logger.info({ signal, drainSeconds: config.server.drainSeconds }, 'draining before restart');
    await drain(Date.now() + config.server.drainSeconds * 1000);
    logger.info({ liveConsultations: live() }, 'shutting down: pages reconnect to the next process');
    app.restartAll();
    // Stops listening at once; a connection that died silently (a phone that switched networks)
    // would hold close() open for ever, so it gets a few seconds and exit ends the rest.
    const closed = await settlesWithin(app.http.close(), HTTP_CLOSE_GRACE_MS);
    if (!closed) logger.warn({ graceMs: HTTP_CLOSE_GRACE_MS }, 'connections still open after the grace; closing anyway');
    await deps.close();
    // The next process binds the same media ports: exit once the workers are gone.
    await workerProcesses.exited(5000);
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** How long open HTTP connections get to finish after the drain, before the process exits regardless. */
const HTTP_CLOSE_GRACE_MS = 3000;

await main();
