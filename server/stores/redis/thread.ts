import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AppointmentId, FileId, ParticipantId } from '../../core/ids.ts';
import type { FileRecord, ThreadItem } from '../../domain/model.ts';
import type { ContentKind, FileGrant, SeenWay, ThreadStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { parseRecord, parseRecords } from './json.ts';
import type { Keys } from './keys.ts';
import { APPEND_LIST, ENSURE_KEY, PURGE_CONTENT, PUT_APPENDING, runScript, type LuaScript } from './scripts.ts';

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
const lua = (source: string): LuaScript => ({ source, sha: createHash('sha1').update(source).digest('hex') });

/** KEYS: total. ARGV: bytes, limit, ttl ms. Adds bytes unless the total would pass the limit; 1 when added. */
const RESERVE_BYTES = lua(`
local total = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1])
if total > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], total, 'PX', tonumber(ARGV[3]))
return 1
`);

/** KEYS: total. ARGV: bytes. Subtracts, never below zero, keeping the TTL. */
const RELEASE_BYTES = lua(`
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local total = math.max(0, tonumber(current) - tonumber(ARGV[1]))
redis.call('SET', KEYS[1], total, 'KEEPTTL')
return 1
`);

/** KEYS: sightings. ARGV: member, ttl ms. 1 when the member is new. */
const MARK_SEEN = lua(`
local added = redis.call('SADD', KEYS[1], ARGV[1])
if added == 1 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return added
`);
const sighting = (f: FileId, p: ParticipantId, way: SeenWay) => `${way}:${f}:${p}`;

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
    async reserveBytes(appointmentId: AppointmentId, bytes: number, limit: number, ttlSeconds: number): Promise<boolean> {
      return (await runScript(redis, RESERVE_BYTES, [keys.fileBytes(appointmentId)], [bytes, limit, ttlToMs(ttlSeconds)])) === 1;
    },
    async releaseBytes(appointmentId: AppointmentId, bytes: number): Promise<void> {
      await runScript(redis, RELEASE_BYTES, [keys.fileBytes(appointmentId)], [bytes]);
    },
    async storedBytes(appointmentId: AppointmentId): Promise<number> {
      return Number((await redis.get(keys.fileBytes(appointmentId))) ?? 0);
    },
    async markSeen(appointmentId: AppointmentId, fileId: FileId, participantId: ParticipantId, way: SeenWay, ttlSeconds: number): Promise<boolean> {
      const added = await runScript(redis, MARK_SEEN, [keys.fileSightings(appointmentId)], [sighting(fileId, participantId, way), ttlToMs(ttlSeconds)]);
      return added === 1;
    },
    async unmarkSeen(appointmentId: AppointmentId, fileId: FileId, participantId: ParticipantId, way: SeenWay): Promise<void> {
      await redis.srem(keys.fileSightings(appointmentId), sighting(fileId, participantId, way));
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
      // After the key is gone: what these describe is unreadable already, so a crash in between loses nothing.
      if (kind === 'files') await redis.del(keys.fileBytes(appointmentId), keys.fileSightings(appointmentId));
    },
  };
}
