// A join's steps on Redis: the records one step reads in one MGET, parsed as
// their own stores parse them, and a device's claim with its participant
// record in one script (join-scripts.ts).
import type { Redis } from 'ioredis';
import type { ParticipantId } from '../../core/ids.ts';
import type { Appointment, Link, Participant } from '../../domain/model.ts';
import type { JoinStore, ParticipantClaim } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { fromLua } from './appointments.ts';
import { CLAIM_PARTICIPANT } from './join-scripts.ts';
import { parseRecord, parseRecords } from './json.ts';
import type { Keys } from './keys.ts';
import { runScript } from './scripts.ts';

export function createRedisJoinStore(redis: Redis, keys: Keys): JoinStore {
  const participantPrefix = keys.participant('' as ParticipantId);
  return {
    async claimParticipant(id, deviceId, candidate, ttlSeconds, opts): Promise<ParticipantClaim> {
      const ms = ttlToMs(ttlSeconds);
      const reply = (await runScript(
        redis,
        CLAIM_PARTICIPANT,
        [keys.link(id), keys.linkClaims(id), keys.participant(candidate.id), keys.appointmentParticipants(candidate.appointmentId)],
        [deviceId, candidate.id, ms, opts.acceptNew ? '1' : '0', JSON.stringify({ ...candidate, linkReused: false }), JSON.stringify({ ...candidate, linkReused: true }), participantPrefix],
      )) as [string, string, number?, number?, (string | null)?];
      if (reply[0] === 'claimed') {
        return { outcome: 'claimed', participantId: reply[1] as ParticipantId, created: reply[2] === 1, holder: reply[3] === 1, participant: parseRecord<Participant>(reply[4]) };
      }
      const reason = reply[1];
      if (reason !== 'closed' && reason !== 'not-accepting' && reason !== 'no-link') throw new Error(`unexpected claim reply: ${String(reason)}`);
      return { outcome: 'refused', reason };
    },
    async linkAndAppointment(linkId, appointmentId) {
      const [link, appointment] = await redis.mget(keys.link(linkId), keys.appointment(appointmentId));
      return { link: parseRecord<Link>(link), appointment: fromLua(parseRecord<Appointment>(appointment)) };
    },
    async appointmentWithParticipants(appointmentId) {
      const ids = await redis.zrange(keys.appointmentParticipants(appointmentId), 0, -1);
      const [appointment, ...found] = await redis.mget([keys.appointment(appointmentId), ...ids.map((id) => keys.participant(id as ParticipantId))]);
      return {
        appointment: fromLua(parseRecord<Appointment>(appointment)),
        participants: parseRecords<Participant>(found).filter((p) => p.appointmentId === appointmentId),
      };
    },
    async appointmentWithSome(appointmentId, participantIds) {
      const [appointment, ...found] = await redis.mget([keys.appointment(appointmentId), ...participantIds.map((id) => keys.participant(id))]);
      return {
        appointment: fromLua(parseRecord<Appointment>(appointment)),
        participants: parseRecords<Participant>(found).filter((p) => p.appointmentId === appointmentId),
      };
    },
    async guestRecords(participantId, appointmentId, linkId) {
      const wanted = [keys.participant(participantId), keys.appointment(appointmentId), ...(linkId === null ? [] : [keys.link(linkId)])];
      const [participant, appointment, link] = await redis.mget(wanted);
      return {
        participant: parseRecord<Participant>(participant),
        appointment: fromLua(parseRecord<Appointment>(appointment)),
        link: parseRecord<Link>(link),
      };
    },
  };
}
