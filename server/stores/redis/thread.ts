import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AppointmentId, FileId } from '../../core/ids.ts';
import type { FileRecord, ThreadItem } from '../../domain/model.ts';
import type { ContentKind, FileGrant, ThreadStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { parseRecord, parseRecords } from './json.ts';
import type { Keys } from './keys.ts';
import { APPEND_LIST, ENSURE_KEY, PURGE_CONTENT, PUT_APPENDING, runScript } from './scripts.ts';

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export function createRedisThreadStore(redis: Redis, keys: Keys): ThreadStore {
  return {
    async append(item: ThreadItem, ttlSeconds: number): Promise<void> {
      await runScript(redis, APPEND_LIST, [keys.thread(item.appointmentId)], [JSON.stringify(item), ttlToMs(ttlSeconds)]);
    },
    async items(appointmentId: AppointmentId): Promise<ThreadItem[]> {
      return parseRecords<ThreadItem>(await redis.lrange(keys.thread(appointmentId), 0, -1));
    },
    async putFile(file: FileRecord, ttlSeconds: number): Promise<void> {
      await runScript(redis, PUT_APPENDING, [keys.fileRecord(file.id), keys.appointmentFiles(file.appointmentId)], [JSON.stringify(file), ttlToMs(ttlSeconds), file.id]);
    },
    async getFile(id: FileId): Promise<FileRecord | null> {
      return parseRecord<FileRecord>(await redis.get(keys.fileRecord(id)));
    },
    async files(appointmentId: AppointmentId): Promise<FileRecord[]> {
      const ids = await redis.zrange(keys.appointmentFiles(appointmentId), 0, -1);
      if (ids.length === 0) return [];
      return parseRecords<FileRecord>(await redis.mget(ids.map((id) => keys.fileRecord(id as FileId)))).filter((f) => f.appointmentId === appointmentId);
    },
    async ensureKey(appointmentId: AppointmentId, candidate: Buffer, ttlSeconds: number): Promise<Buffer> {
      const out = await runScript(redis, ENSURE_KEY, [keys.fileKey(appointmentId)], [candidate.toString('base64'), ttlToMs(ttlSeconds)]);
      return Buffer.from(out as string, 'base64');
    },
    async getKey(appointmentId: AppointmentId): Promise<Buffer | null> {
      const k = await redis.get(keys.fileKey(appointmentId));
      return k === null ? null : Buffer.from(k, 'base64');
    },
    async grant(token: string, grant: FileGrant, ttlSeconds: number): Promise<void> {
      await redis.set(keys.fileGrant(tokenHash(token)), JSON.stringify(grant), 'PX', ttlToMs(ttlSeconds));
    },
    async redeem(token: string): Promise<FileGrant | null> {
      return parseRecord<FileGrant>(await redis.get(keys.fileGrant(tokenHash(token))));
    },
    async schedulePurge(appointmentId: AppointmentId, kind: ContentKind, dueAtMs: number, onlyIfUnset = false): Promise<void> {
      const member = `${kind}:${appointmentId}`;
      if (onlyIfUnset) await redis.zadd(keys.contentPurges, 'NX', dueAtMs, member);
      else await redis.zadd(keys.contentPurges, dueAtMs, member);
    },
    async duePurges(nowMs: number, limit: number): Promise<{ appointmentId: AppointmentId; kind: ContentKind }[]> {
      const members = await redis.zrangebyscore(keys.contentPurges, '-inf', nowMs, 'LIMIT', 0, limit);
      return members.map((m) => {
        const [kind, appointmentId] = m.split(':') as [ContentKind, AppointmentId];
        return { appointmentId, kind };
      });
    },
    async purge(appointmentId: AppointmentId, kind: ContentKind): Promise<void> {
      await runScript(
        redis,
        PURGE_CONTENT,
        [keys.contentPurges, keys.thread(appointmentId), keys.appointmentFiles(appointmentId), keys.fileKey(appointmentId)],
        [`${kind}:${appointmentId}`, kind, keys.fileRecordPrefix],
      );
    },
  };
}
