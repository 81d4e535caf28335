import type { Redis } from 'ioredis';
import type { AppointmentId } from '../../core/ids.ts';
import type { Appointment } from '../../domain/model.ts';
import type { AppointmentStore } from '../../domain/stores.ts';
import { isoToMs, pickAppointmentPatch, ttlToMs, type AppointmentPatch } from '../common.ts';
import { parseRecord, parseRecords } from './json.ts';
import type { Keys } from './keys.ts';
import { PUT_SCORED, UPDATE_APPOINTMENT, runScript } from './scripts.ts';

export function createRedisAppointmentStore(redis: Redis, keys: Keys): AppointmentStore {
  return {
    async create(appointment: Appointment, ttlSeconds: number): Promise<void> {
      const ms = ttlToMs(ttlSeconds);
      const startsAt = isoToMs(appointment.startsAt, 'startsAt');
      await runScript(
        redis,
        PUT_SCORED,
        [keys.appointment(appointment.id), keys.clinicianAppointments(appointment.clinician.id)],
        [JSON.stringify(appointment), ms, startsAt, appointment.id],
      );
    },

    async get(id: AppointmentId): Promise<Appointment | null> {
      return parseRecord<Appointment>(await redis.get(keys.appointment(id)));
    },

    async update(id: AppointmentId, patch: AppointmentPatch): Promise<Appointment | null> {
      const out = await runScript(redis, UPDATE_APPOINTMENT, [keys.appointment(id)], [JSON.stringify(pickAppointmentPatch(patch))]);
      return parseRecord<Appointment>(out as string | null);
    },

    async listForClinician(clinicianId: string, fromIso: string, toIso: string): Promise<Appointment[]> {
      const from = isoToMs(fromIso, 'fromIso');
      const to = isoToMs(toIso, 'toIso');
      if (to <= from) return [];
      // Sorted by score (startsAt), ties by id; the end of the range is exclusive.
      const ids = await redis.zrangebyscore(keys.clinicianAppointments(clinicianId), from, `(${String(to)}`);
      if (ids.length === 0) return [];
      const found = parseRecords<Appointment>(await redis.mget(ids.map((id) => keys.appointment(id as AppointmentId))));
      // The index may still name appointments that expired or were re-created elsewhere.
      return found.filter((a) => {
        const at = Date.parse(a.startsAt);
        return a.clinician.id === clinicianId && at >= from && at < to;
      });
    },
  };
}
