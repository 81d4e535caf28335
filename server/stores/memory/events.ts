import { AppError } from '../../core/errors.ts';
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

  // Every record is checked before any is kept, so a refused batch leaves nothing behind.
  const appendBatch = (batch: readonly AuditRecord[]): Promise<AppendOutcome> =>
    settle((): AppendOutcome => {
      const head = headNow();
      let previous = head;
      for (const [i, record] of batch.entries()) {
        if (record.prevHash !== previous.hash || record.seq !== previous.seq + 1) {
          if (i === 0) return { appended: false, head };
          throw new AppError('INTERNAL', { cause: new Error(`audit batch: record ${String(i + 1)} does not follow the one before it`) });
        }
        previous = record;
      }
      for (const record of batch) {
        const copy = structuredClone(record);
        all.push(copy);
        if (copy.appointmentId !== null) {
          let list = byAppointment.get(copy.appointmentId);
          if (list === undefined) byAppointment.set(copy.appointmentId, (list = []));
          list.push(copy);
        }
      }
      return { appended: true };
    });

  return {
    trustId,

    head: () => settle(headNow),

    append: (record: AuditRecord) => appendBatch([record]),

    appendBatch,

    async *records(scan: AuditScan = {}): AsyncGenerator<AuditRecord> {
      for (const r of snapshot(scan)) yield structuredClone(r);
    },

    list: (appointmentId?: AppointmentId) => settle((): DomainEvent[] => snapshot(appointmentId === undefined ? {} : { appointmentId }).map(eventOf)),
  };
}
