import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DeviceId, SessionId } from '../../core/ids.ts';
import type { LoginTransaction, Session, StaffSession } from '../../domain/model.ts';
import type { SessionStore } from '../../domain/stores.ts';
import { byCreatedAt, isoToMs, ttlToMs } from '../common.ts';
import { DELETE_SESSION, TOUCH_SESSION } from './access-scripts.ts';
import { parseRecord } from './json.ts';
import type { Keys } from './keys.ts';
import { PUT_SCORED, runScript } from './scripts.ts';

// Tokens and sign-in ids are secrets or caller text: key names carry their hash.
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export function createRedisSessionStore(redis: Redis, keys: Keys): SessionStore {
  return {
    async create(session: Session, ttlSeconds: number): Promise<void> {
      const ms = ttlToMs(ttlSeconds);
      if (session.kind !== 'clinician') {
        await redis.set(keys.session(session.id), JSON.stringify(session), 'PX', ms);
        return;
      }
      const createdAt = isoToMs(session.createdAt, 'createdAt');
      await runScript(redis, PUT_SCORED, [keys.session(session.id), keys.userSessions(session.clinicianId)], [JSON.stringify(session), ms, createdAt, session.id]);
    },

    async get(id: SessionId): Promise<Session | null> {
      return parseRecord<Session>(await redis.get(keys.session(id)));
    },

    async delete(id: SessionId): Promise<boolean> {
      return (await runScript(redis, DELETE_SESSION, [keys.session(id)], [keys.userSessionsPrefix, id])) === 1;
    },

    async touch(id: SessionId, lastSeenAt: string, ttlSeconds: number): Promise<StaffSession | null> {
      const ms = ttlToMs(ttlSeconds);
      isoToMs(lastSeenAt, 'lastSeenAt');
      return parseRecord<StaffSession>((await runScript(redis, TOUCH_SESSION, [keys.session(id)], [keys.userSessionsPrefix, lastSeenAt, ms])) as string | null);
    },

    async listForUser(userId: string): Promise<StaffSession[]> {
      const index = keys.userSessions(userId);
      const ids = await redis.zrange(index, 0, -1);
      if (ids.length === 0) return [];
      const raws = await redis.mget(ids.map((id) => keys.session(id as SessionId)));
      const live: StaffSession[] = [];
      const dead: string[] = [];
      raws.forEach((raw, i) => {
        const s = parseRecord<Session>(raw);
        if (s?.kind === 'clinician' && s.clinicianId === userId) live.push(s);
        else dead.push(ids[i]!);
      });
      // A session id never comes back once its record is gone, so pruning after the read is safe.
      if (dead.length > 0) await redis.zrem(index, ...dead);
      return live.sort(byCreatedAt);
    },

    async putDevice(id: DeviceId, secretHash: string, ttlSeconds: number): Promise<void> {
      await redis.set(keys.device(id), secretHash, 'PX', ttlToMs(ttlSeconds));
    },

    async getDevice(id: DeviceId): Promise<string | null> {
      return redis.get(keys.device(id));
    },

    async claimOnce(tokenId: string, ttlSeconds: number): Promise<boolean> {
      return (await redis.set(keys.usedToken(sha256(tokenId)), '1', 'PX', ttlToMs(ttlSeconds), 'NX')) === 'OK';
    },

    async putLogin(id: string, txn: LoginTransaction, ttlSeconds: number): Promise<void> {
      await redis.set(keys.login(sha256(id)), JSON.stringify(txn), 'PX', ttlToMs(ttlSeconds));
    },

    async takeLogin(id: string): Promise<LoginTransaction | null> {
      // GETDEL (Redis 6.2+): one command, so of any number of takes exactly one gets it.
      return parseRecord<LoginTransaction>(await redis.getdel(keys.login(sha256(id))));
    },
  };
}
