import type { Redis } from 'ioredis';
import type { AppointmentId, ClinicId } from '../../core/ids.ts';
import type { Appointment } from '../../domain/model.ts';
import type { AppointmentStore } from '../../domain/stores.ts';
import { isoToMs, pickAppointmentMove, pickAppointmentPatch, ttlToMs, type AppointmentMove, type AppointmentPatch } from '../common.ts';
import { CREATE_APPOINTMENT, MOVE_APPOINTMENT } from './appointment-scripts.ts';
import { parseRecord, parseRecords } from './json.ts';
import type { Keys } from './keys.ts';
import { UPDATE_APPOINTMENT, runScript } from './scripts.ts';

/** Lua's cjson writes an empty array back as {}: read it as the empty list it was. */
export function fromLua(a: Appointment | null): Appointment | null {
  if (a?.deliveries !== undefined && !Array.isArray(a.deliveries)) a.deliveries = [];
  return a;
}

export function createRedisAppointmentStore(redis: Redis, keys: Keys): AppointmentStore {
  /** The appointments an index names, starting in [fromIso, toIso) and still `belongs`, in index order (startsAt, then id). */
  async function startingIn(index: string, belongs: (a: Appointment) => boolean, fromIso: string, toIso: string): Promise<Appointment[]> {
    const from = isoToMs(fromIso, 'fromIso');
    const to = isoToMs(toIso, 'toIso');
    if (to <= from) return [];
    // Sorted by score (startsAt), ties by id; the end of the range is exclusive.
    const ids = await redis.zrangebyscore(index, from, `(${String(to)}`);
    if (ids.length === 0) return [];
    const found = parseRecords<Appointment>(await redis.mget(ids.map((id) => keys.appointment(id as AppointmentId))));
    // The index may still name appointments that expired or were re-created elsewhere.
    return found.filter((a) => {
      const at = Date.parse(a.startsAt);
      return belongs(a) && at >= from && at < to;
    }).map((a) => fromLua(a)!);
  }

  return {
    async create(appointment: Appointment, ttlSeconds: number): Promise<void> {
      const ms = ttlToMs(ttlSeconds);
      const startsAt = isoToMs(appointment.startsAt, 'startsAt');
      const indexes = [keys.clinicianAppointments(appointment.clinician.id), ...(appointment.clinicId ? [keys.clinicAppointments(appointment.clinicId)] : [])];
      await runScript(redis, CREATE_APPOINTMENT, [keys.appointment(appointment.id), ...indexes], [JSON.stringify(appointment), ms, startsAt, appointment.id]);
    },

    async get(id: AppointmentId): Promise<Appointment | null> {
      return fromLua(parseRecord<Appointment>(await redis.get(keys.appointment(id))));
    },

    async update(id: AppointmentId, patch: AppointmentPatch): Promise<Appointment | null> {
      const out = await runScript(redis, UPDATE_APPOINTMENT, [keys.appointment(id)], [JSON.stringify(pickAppointmentPatch(patch))]);
      return fromLua(parseRecord<Appointment>(out as string | null));
    },

    listForClinician(clinicianId: string, fromIso: string, toIso: string): Promise<Appointment[]> {
      return startingIn(keys.clinicianAppointments(clinicianId), (a) => a.clinician.id === clinicianId, fromIso, toIso);
    },

    listForClinic(clinicId: ClinicId, fromIso: string, toIso: string): Promise<Appointment[]> {
      return startingIn(keys.clinicAppointments(clinicId), (a) => a.clinicId === clinicId, fromIso, toIso);
    },

    async move(id: AppointmentId, patch: AppointmentMove, ttlSeconds: number): Promise<Appointment | null> {
      const ms = ttlToMs(ttlSeconds);
      const move = pickAppointmentMove(patch);
      const score = move.startsAt === undefined ? '' : isoToMs(move.startsAt, 'startsAt');
      const out = await runScript(
        redis,
        MOVE_APPOINTMENT,
        [keys.appointment(id)],
        [JSON.stringify(move), ms, score, id, keys.clinicianAppointmentsPrefix, keys.clinicAppointmentsPrefix],
      );
      return fromLua(parseRecord<Appointment>(out as string | null));
    },
  };
}
