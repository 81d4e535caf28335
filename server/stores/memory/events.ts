import type { AppointmentId } from '../../core/ids.ts';
import { EMPTY_HEAD, eventOf, type AuditRecord, type ChainHead } from '../../domain/audit/record.ts';
import type { DomainEvent } from '../../domain/model.ts';
import type { AppendOutcome, AuditScan, EventStore } from '../../domain/stores.ts';
import { settle } from './settle.ts';

/**
 * One trust's audit chain, append-only and kept for the life of the process.
 * The compare-and-append runs synchronously, so nothing interleaves with it.
 */
export function createMemoryEventStore(trustId: string): EventStore {
  const all: AuditRecord[] = [];
  const byAppointment = new Map<AppointmentId, AuditRecord[]>();
  const headNow = (): ChainHead => {
    const last = all.at(-1);
    return last ? { seq: last.seq, hash: last.hash } : { ...EMPTY_HEAD };
  };
  const snapshot = (scan: AuditScan): AuditRecord[] => {
    const list = scan.appointmentId === undefined ? all : (byAppointment.get(scan.appointmentId) ?? []);
    const toSeq = scan.toSeq;
    return toSeq === undefined ? list.slice() : list.filter((r) => r.seq <= toSeq);
  };

  return {
    trustId,

    head: () => settle(headNow),

    append: (record: AuditRecord) =>
      settle((): AppendOutcome => {
        const head = headNow();
        if (record.prevHash !== head.hash || record.seq !== head.seq + 1) return { appended: false, head };
        const copy = structuredClone(record);
        all.push(copy);
        if (copy.appointmentId !== null) {
          let list = byAppointment.get(copy.appointmentId);
          if (list === undefined) byAppointment.set(copy.appointmentId, (list = []));
          list.push(copy);
        }
        return { appended: true };
      }),

    async *records(scan: AuditScan = {}): AsyncGenerator<AuditRecord> {
      for (const r of snapshot(scan)) yield structuredClone(r);
    },

    list: (appointmentId?: AppointmentId) => settle((): DomainEvent[] => snapshot(appointmentId === undefined ? {} : { appointmentId }).map(eventOf)),
  };
}
