// One trust's audit chain as Redis streams: the trust's log, and a copy of
// each appointment's records in a stream of its own, both with entry id
// `<seq>-0`. A head key holds the last record's seq and hash; one Lua script
// checks it, adds to both streams and moves it, so every node sharing the
// Redis appends to one linear chain. No TTL: nothing edits or removes a record.
import type { Redis } from 'ioredis';
import type { AppointmentId } from '../../core/ids.ts';
import { EMPTY_HEAD, eventOf, GENESIS_HASH, type AuditRecord, type ChainHead } from '../../domain/audit/record.ts';
import type { DomainEvent } from '../../domain/model.ts';
import type { AppendOutcome, AuditScan, EventStore } from '../../domain/stores.ts';
import type { Keys } from './keys.ts';
import { APPEND_AUDIT, runScript } from './scripts.ts';

const FIELD = 'record';
const PAGE = 500;

function recordOf(fields: readonly string[]): AuditRecord | null {
  const at = fields.indexOf(FIELD);
  const json = at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
  return json === undefined ? null : (JSON.parse(json) as AuditRecord);
}

export function createRedisEventStore(redis: Redis, keys: Keys, trustId: string): EventStore {
  const headKey = keys.auditHead(trustId);
  const logKey = keys.auditLog(trustId);

  async function* records(scan: AuditScan = {}): AsyncGenerator<AuditRecord> {
    const key = scan.appointmentId === undefined ? logKey : keys.auditAppointment(trustId, scan.appointmentId);
    const end = scan.toSeq === undefined ? '+' : `${String(scan.toSeq)}-0`;
    if (scan.toSeq !== undefined && scan.toSeq < 1) return;
    let start = '-';
    for (;;) {
      const page = await redis.xrange(key, start, end, 'COUNT', PAGE);
      for (const [, fields] of page) {
        const record = recordOf(fields);
        if (record !== null) yield record;
      }
      const last = page.at(-1);
      if (page.length < PAGE || last === undefined) return;
      start = `(${last[0]}`;
    }
  }

  return {
    trustId,

    async head(): Promise<ChainHead> {
      const [seq, hash] = await redis.hmget(headKey, 'seq', 'hash');
      return seq && hash ? { seq: Number(seq), hash } : { ...EMPTY_HEAD };
    },

    async append(record: AuditRecord): Promise<AppendOutcome> {
      const streams = record.appointmentId === null ? [logKey] : [logKey, keys.auditAppointment(trustId, record.appointmentId)];
      const reply = (await runScript(redis, APPEND_AUDIT, [headKey, ...streams], [
        record.seq,
        record.prevHash,
        record.hash,
        JSON.stringify(record),
        GENESIS_HASH,
      ])) as [number, number?, string?];
      if (reply[0] === 1) return { appended: true };
      return { appended: false, head: { seq: Number(reply[1]), hash: String(reply[2]) } };
    },

    records,

    async list(appointmentId?: AppointmentId): Promise<DomainEvent[]> {
      const events: DomainEvent[] = [];
      for await (const r of records(appointmentId === undefined ? {} : { appointmentId })) events.push(eventOf(r));
      return events;
    },
  };
}
