import type { Redis } from 'ioredis';
import type { AppointmentId, ParticipantId } from '../../core/ids.ts';
import type { Participant, ParticipantState } from '../../domain/model.ts';
import type { ParticipantStore, TransitionOptions } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { parseRecord, parseRecords } from './json.ts';
import type { Keys } from './keys.ts';
import { PUT_APPENDING, PUT_IF_ABSENT, SET_CHECK, TRANSITION_PARTICIPANT, runScript } from './scripts.ts';

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

    async putIfAbsent(participant: Participant, ttlSeconds: number): Promise<{ participant: Participant; created: boolean }> {
      const ms = ttlToMs(ttlSeconds);
      const reply = (await runScript(
        redis,
        PUT_IF_ABSENT,
        [keys.participant(participant.id), keys.appointmentParticipants(participant.appointmentId)],
        [JSON.stringify(participant), ms, participant.id],
      )) as [number, string];
      const inForce = parseRecord<Participant>(reply[1]);
      if (inForce === null) throw new Error('participant vanished during putIfAbsent');
      return { participant: inForce, created: reply[0] === 1 };
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
      opts: TransitionOptions = {},
    ): Promise<Participant | null> {
      if (from.length === 0) return null;
      const close = opts.closeLink;
      const keyList = close ? [keys.participant(id), keys.link(close.id)] : [keys.participant(id)];
      const out = await runScript(redis, TRANSITION_PARTICIPANT, keyList, [to, atIso, close?.decision ?? '', ...from]);
      return parseRecord<Participant>(out as string | null);
    },

    async setCheck(id: ParticipantId, check: NonNullable<Participant['check']>): Promise<Participant | null> {
      const out = await runScript(redis, SET_CHECK, [keys.participant(id)], [JSON.stringify(check)]);
      return parseRecord<Participant>(out as string | null);
    },
  };
}
