// The only side effects: load config, build dependencies and the app, listen,
// and close everything cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from '../config/load.ts';
import { createLogger } from './core/logger.ts';
import { buildApp } from './app.ts';
import { createDeps, StartupError } from './deps.ts';

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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.http.close();
    await deps.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

await main();
