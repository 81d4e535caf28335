import type { Redis } from 'ioredis';
import type { AppointmentId, DeviceId, LinkId, ParticipantId } from '../../core/ids.ts';
import type { Link } from '../../domain/model.ts';
import type { ClaimResult, LinkStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { parseRecord, parseRecords } from './json.ts';
import type { Keys } from './keys.ts';
import { CLAIM_LINK, PUT_APPENDING, REVOKE_LINK, runScript } from './scripts.ts';

export function createRedisLinkStore(redis: Redis, keys: Keys): LinkStore {
  return {
    async create(link: Link, ttlSeconds: number): Promise<void> {
      const ms = ttlToMs(ttlSeconds);
      await runScript(
        redis,
        PUT_APPENDING,
        [keys.link(link.id), keys.appointmentLinks(link.appointmentId)],
        [JSON.stringify(link), ms, link.id],
      );
    },

    async get(id: LinkId): Promise<Link | null> {
      return parseRecord<Link>(await redis.get(keys.link(id)));
    },

    async listForAppointment(appointmentId: AppointmentId): Promise<Link[]> {
      const ids = await redis.zrange(keys.appointmentLinks(appointmentId), 0, -1);
      if (ids.length === 0) return [];
      const links = parseRecords<Link>(await redis.mget(ids.map((id) => keys.link(id as LinkId))));
      return links.filter((link) => link.appointmentId === appointmentId);
    },

    async revoke(id: LinkId): Promise<boolean> {
      return (await runScript(redis, REVOKE_LINK, [keys.link(id)], [])) === 1;
    },

    async claim(id: LinkId, deviceId: DeviceId, candidate: ParticipantId, ttlSeconds: number, opts: { acceptNew: boolean }): Promise<ClaimResult> {
      const ms = ttlToMs(ttlSeconds);
      const reply = (await runScript(redis, CLAIM_LINK, [keys.link(id), keys.linkClaims(id)], [deviceId, candidate, ms, opts.acceptNew ? '1' : '0'])) as [string, string, number?, number?];
      if (reply[0] === 'claimed') return { outcome: 'claimed', participantId: reply[1] as ParticipantId, created: reply[2] === 1, holder: reply[3] === 1 };
      const reason = reply[1];
      if (reason !== 'closed' && reason !== 'not-accepting' && reason !== 'no-link') throw new Error(`unexpected claim reply: ${String(reason)}`);
      return { outcome: 'refused', reason };
    },
  };
}
