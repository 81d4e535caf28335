// The cluster's Lua scripts run as the stores' do (stores/redis/scripts.ts,
// which this layer may not import): by SHA1 (EVALSHA), falling back to the
// source (EVAL) when the server has not seen it yet, e.g. after a restart.
// Redis runs a script atomically: no other command interleaves with it.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

export const script = (source: string): LuaScript => ({ source, sha: createHash('sha1').update(source).digest('hex') });

export async function runScript(redis: Redis, lua: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(lua.sha, keys.length, ...keys, ...args);
  } catch (e) {
    if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
    return await redis.eval(lua.source, keys.length, ...keys, ...args);
  }
}
