// The REST API keys in force: the configured ones; none (every call refused)
// on a Redis deployment without keys; or, for a single-node trial run, one
// key for this process only, printed on the console and never logged.
import { randomBytes } from 'node:crypto';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../core/logger.ts';

export function apiKeysFor(config: Config, logger: Logger): string[] {
  if (config.auth.apiKeys.length > 0) return config.auth.apiKeys;
  if (config.redisUrl) {
    logger.warn('no API_KEYS: the REST API refuses every request until keys are configured');
    return [];
  }
  const key = randomBytes(24).toString('base64url');
  console.warn(`\nNo API_KEYS set. For this run only, the REST API key is:\n\n  ${key}\n`);
  return [key];
}
