import type { Redis } from 'ioredis';
import type { AppointmentId, ParticipantId } from '../../core/ids.ts';
import type { Participant, ParticipantState } from '../../domain/model.ts';
import type { ParticipantStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { parseRecord, parseRecords } from './json.ts';
import type { Keys } from './keys.ts';
import { PUT_APPENDING, TRANSITION_PARTICIPANT, runScript } from './scripts.ts';

export function createRedisParticipantStore(redis: Redis, keys: Keys): ParticipantStore {
  return {
    async put(participant: Participant, ttlSeconds: number): Promise<void> {
      const ms = ttlToMs(ttlSeconds);
      await runScript(
        redis,
        PUT_APPENDING,
        [keys.participant(participant.id), keys.appointmentParticipants(participant.appointmentId)],
        [JSON.stringify(participant), ms, participant.id],
      );
    },

    async get(id: ParticipantId): Promise<Participant | null> {
      return parseRecord<Participant>(await redis.get(keys.participant(id)));
    },

    async listForAppointment(appointmentId: AppointmentId): Promise<Participant[]> {
      const ids = await redis.zrange(keys.appointmentParticipants(appointmentId), 0, -1);
      if (ids.length === 0) return [];
      const found = parseRecords<Participant>(await redis.mget(ids.map((id) => keys.participant(id as ParticipantId))));
      return found.filter((p) => p.appointmentId === appointmentId);
    },

    async transition(
      id: ParticipantId,
      from: readonly ParticipantState[],
      to: ParticipantState,
      atIso: string,
    ): Promise<Participant | null> {
      if (from.length === 0) return null;
      const out = await runScript(redis, TRANSITION_PARTICIPANT, [keys.participant(id)], [to, atIso, ...from]);
      return parseRecord<Participant>(out as string | null);
    },
  };
}
