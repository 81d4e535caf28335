// A Lua script and its runner, shared by the stores and the cluster: the
// script's SHA1 is sent (EVALSHA) and the source only when the server has not
// seen it yet (after a restart, on a new connection). Redis runs a script
// atomically, so no other command interleaves with it.
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
