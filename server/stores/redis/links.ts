import type { Redis } from 'ioredis';
import type { AppointmentId, DeviceId, LinkId, ParticipantId } from '../../core/ids.ts';
import type { Link } from '../../domain/model.ts';
import type { BindResult, LinkStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { parseRecord, parseRecords } from './json.ts';
import type { Keys } from './keys.ts';
import { BIND_LINK, PUT_APPENDING, REVOKE_LINK, runScript } from './scripts.ts';

interface Binding {
  deviceId: DeviceId;
  participantId: ParticipantId;
}

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

    async bind(id: LinkId, deviceId: DeviceId, participantId: ParticipantId, ttlSeconds: number): Promise<BindResult> {
      const ms = ttlToMs(ttlSeconds);
      const binding: Binding = { deviceId, participantId };
      const reply = (await runScript(redis, BIND_LINK, [keys.linkBinding(id)], [JSON.stringify(binding), ms])) as [number, string?];
      if (reply[0] === 1) return { outcome: 'bound' };
      const held = parseRecord<Binding>(reply[1]);
      if (held === null) throw new Error('link binding vanished during bind');
      return held.deviceId === deviceId
        ? { outcome: 'same-device', participantId: held.participantId }
        : { outcome: 'other-device', participantId: held.participantId };
    },
  };
}
