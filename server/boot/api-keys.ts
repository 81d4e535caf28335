// The bootstrap REST API keys (scope admin, ids config-1, config-2, ...): the
// configured ones; none on a Redis deployment without keys (then only keys
// made with the CLI work, and the first needs a configured one); or, for a
// single-node trial run, one key for this process only, printed on the
// console and never logged. Scoped keys are made with `npm run cli -- create-api-key`.
import { randomBytes } from 'node:crypto';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import { bootstrapKeys, type BootstrapKey } from '../domain/access/api-keys.ts';
import { redisTargetOf } from './redis.ts';

export function bootstrapApiKeys(config: Config, logger: Logger): BootstrapKey[] {
  if (config.auth.apiKeys.length > 0) {
    logger.warn(
      { keys: config.auth.apiKeys.length },
      'API_KEYS / API_KEYS_FILE keys have scope admin (everything); give each system its own scoped key with npm run cli -- create-api-key',
    );
    return bootstrapKeys(config.auth.apiKeys);
  }
  if (redisTargetOf(config)) {
    logger.warn('no API_KEYS: the REST API accepts only keys made with npm run cli -- create-api-key (and making the first needs one)');
    return [];
  }
  const key = randomBytes(24).toString('base64url');
  console.warn(`\nNo API_KEYS set. For this run only, the REST API key (scope admin) is:\n\n  ${key}\n`);
  return bootstrapKeys([key]);
}
