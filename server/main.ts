// The only side effects: load config, build dependencies and the app, listen,
// and close everything cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from '../config/load.ts';
import { createLogger } from './core/logger.ts';
import { buildApp } from './app.ts';
import { StartupError } from './boot/startup-error.ts';
import { createDeps } from './deps.ts';

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
  await app.http.listen({ host: config.server.host, port: config.server.port });
  logger.info({ url: config.server.publicUrl }, 'consultroom is listening');

  // SIGTERM: stop taking new consultations (readiness goes 503 so a load
  // balancer moves new traffic away), tell connected pages, let live calls go on
  // for the drain period (or until they end), then close everything. A second
  // signal skips the wait.
  let stopping = false;
  let hurry = () => undefined as void;
  const stop = async (signal: string) => {
    if (stopping) return hurry();
    stopping = true;
    const deadline = Date.now() + config.server.drainSeconds * 1000;
    deps.lifecycle.startDraining(deadline);
    logger.info({ signal, drainSeconds: config.server.drainSeconds }, 'draining before shutdown');
    const live = () => deps.rooms.consultations().length;
    await new Promise<void>((resolve) => {
      hurry = resolve;
      const tick = setInterval(() => {
        if (live() === 0 || Date.now() >= deadline) {
          clearInterval(tick);
          resolve();
        }
      }, 250);
    });
    logger.info({ liveConsultations: live() }, 'shutting down');
    app.endAllConsultations();
    await app.http.close();
    await deps.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

await main();
