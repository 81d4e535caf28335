import type { AppointmentId } from '../../core/ids.ts';
import type { Appointment } from '../../domain/model.ts';
import type { AppointmentStore } from '../../domain/stores.ts';
import { isoToMs, pickAppointmentPatch, ttlToMs, type AppointmentPatch } from '../common.ts';
import { ExpiringMap } from './expiring-map.ts';
import { settle } from './settle.ts';

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function createMemoryAppointmentStore(now: () => number): AppointmentStore {
  const appointments = new ExpiringMap<AppointmentId, Appointment>(now);

  return {
    create: (appointment: Appointment, ttlSeconds: number) =>
      settle(() => {
        const ms = ttlToMs(ttlSeconds);
        isoToMs(appointment.startsAt, 'startsAt');
        appointments.set(appointment.id, structuredClone(appointment), ms);
      }),

    get: (id: AppointmentId) =>
      settle(() => {
        const found = appointments.get(id);
        return found === undefined ? null : structuredClone(found);
      }),

    update: (id: AppointmentId, patch: AppointmentPatch) =>
      settle(() => {
        const found = appointments.get(id);
        if (found === undefined) return null;
        const next: Appointment = { ...found, ...structuredClone(pickAppointmentPatch(patch)) };
        appointments.replace(id, next);
        return structuredClone(next);
      }),

    listForClinician: (clinicianId: string, fromIso: string, toIso: string) =>
      settle(() => {
        const from = isoToMs(fromIso, 'fromIso');
        const to = isoToMs(toIso, 'toIso');
        const hits: { at: number; appointment: Appointment }[] = [];
        for (const appointment of appointments.values()) {
          if (appointment.clinician.id !== clinicianId) continue;
          const at = Date.parse(appointment.startsAt);
          if (at >= from && at < to) hits.push({ at, appointment });
        }
        // The Redis sorted set's order: by start time, then by id.
        hits.sort((a, b) => a.at - b.at || compareIds(a.appointment.id, b.appointment.id));
        return hits.map((hit) => structuredClone(hit.appointment));
      }),
  };
}
