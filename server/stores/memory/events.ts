import type { AppointmentId } from '../../core/ids.ts';
import type { DomainEvent } from '../../domain/model.ts';
import type { EventStore } from '../../domain/stores.ts';
import { settle } from './settle.ts';

/** The audit trail, append-only and kept for the life of the process. */
export function createMemoryEventStore(): EventStore {
  const all: DomainEvent[] = [];
  const byAppointment = new Map<AppointmentId, DomainEvent[]>();

  return {
    append: (event: DomainEvent) =>
      settle(() => {
        const copy = structuredClone(event);
        all.push(copy);
        if (copy.appointmentId !== null) {
          let list = byAppointment.get(copy.appointmentId);
          if (list === undefined) byAppointment.set(copy.appointmentId, (list = []));
          list.push(copy);
        }
      }),

    list: (appointmentId?: AppointmentId) =>
      settle(() => structuredClone(appointmentId === undefined ? all : (byAppointment.get(appointmentId) ?? []))),
  };
}
