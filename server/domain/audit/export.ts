// The audit export: JSON Lines, one record per line, oldest first, then one
// trailer line saying what was exported, so that a verifier knows whether to
// expect the whole chain (and where it ends) or a filtered part of it:
//   {"export":{"trust":"...","complete":true,"records":N,"head":{"seq":N,"hash":"..."}}}
// The head is read before the records, and records after it are left out, so
// an export is a snapshot even while the chain grows.
import type { AppointmentId } from '../../core/ids.ts';
import type { EventStore } from '../stores.ts';
import type { AuditRecord, ChainHead } from './record.ts';

export interface ExportQuery {
  appointmentId?: AppointmentId;
  /** ISO 8601: records at or after this time. */
  from?: string;
  /** ISO 8601: records before this time. */
  to?: string;
}

export interface ExportTrailer {
  export: {
    trust: string;
    /** True when every record up to head is in the export (no filter). */
    complete: boolean;
    records: number;
    /** The chain's head when the export was taken. */
    head: ChainHead;
    appointmentId?: AppointmentId;
    from?: string;
    to?: string;
  };
}

const CHUNK = 64 * 1024;

/** The export's lines, each ending in '\n', in chunks of about 64 KiB. */
export async function* exportLines(store: EventStore, query: ExportQuery = {}): AsyncGenerator<string> {
  const head = await store.head();
  const from = query.from === undefined ? -Infinity : Date.parse(query.from);
  const to = query.to === undefined ? Infinity : Date.parse(query.to);
  const wanted = (r: AuditRecord) => {
    const t = Date.parse(r.time);
    return t >= from && t < to;
  };
  let count = 0;
  let chunk = '';
  const scan = { toSeq: head.seq, ...(query.appointmentId === undefined ? {} : { appointmentId: query.appointmentId }) };
  for await (const r of store.records(scan)) {
    if (!wanted(r)) continue;
    count++;
    chunk += `${JSON.stringify(r)}\n`;
    if (chunk.length >= CHUNK) {
      yield chunk;
      chunk = '';
    }
  }
  const trailer: ExportTrailer = {
    export: {
      trust: store.trustId,
      complete: query.appointmentId === undefined && query.from === undefined && query.to === undefined,
      records: count,
      head,
      ...query,
    },
  };
  yield `${chunk}${JSON.stringify(trailer)}\n`;
}
