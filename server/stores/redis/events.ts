// One trust's audit chain as Redis streams: the trust's log, and an index of
// each appointment's records in a stream of its own, both with entry id
// `<seq>-0`. The index holds references (field `ref`), not the records, so a
// record is kept once; an index written before that holds copies (field
// `record`), which are read as they are. A head key holds the last record's seq and hash; one Lua script
// checks it, adds a batch of records to the streams and moves it, so every
// node sharing the Redis appends to one linear chain. No TTL: nothing edits
// or removes a record.
import type { Redis } from 'ioredis';
import { AppError } from '../../core/errors.ts';
import type { AppointmentId } from '../../core/ids.ts';
import { EMPTY_HEAD, eventOf, GENESIS_HASH, type AuditRecord, type ChainHead } from '../../domain/audit/record.ts';
import type { DomainEvent } from '../../domain/model.ts';
import type { AppendOutcome, AuditScan, EventStore } from '../../domain/stores.ts';
import type { Keys } from './keys.ts';
import { APPEND_AUDIT_BATCH, runScript } from './scripts.ts';

const FIELD = 'record';
const PAGE = 500;

/** A batch whose records do not follow one another: the caller's fault, never retried. */
const unlinked = (position: number): AppError =>
  new AppError('INTERNAL', { cause: new Error(`audit batch: record ${String(position)} does not follow the one before it`) });

function recordOf(fields: readonly string[]): AuditRecord | null {
  const at = fields.indexOf(FIELD);
  const json = at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
  return json === undefined ? null : (JSON.parse(json) as AuditRecord);
}

export function createRedisEventStore(redis: Redis, keys: Keys, trustId: string): EventStore {
  const headKey = keys.auditHead(trustId);
  const logKey = keys.auditLog(trustId);

  /** The log's records at these entry ids, in one pipeline (an id the log lacks is left out). */
  async function fromLog(ids: readonly string[]): Promise<(AuditRecord | null)[]> {
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.xrange(logKey, id, id);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, entries]) => {
      if (err) throw err;
      const entry = (entries as [string, string[]][])[0];
      return entry ? recordOf(entry[1]) : null;
    });
  }

  async function* records(scan: AuditScan = {}): AsyncGenerator<AuditRecord> {
    const key = scan.appointmentId === undefined ? logKey : keys.auditAppointment(trustId, scan.appointmentId);
    const end = scan.toSeq === undefined ? '+' : `${String(scan.toSeq)}-0`;
    if (scan.toSeq !== undefined && scan.toSeq < 1) return;
    let start = '-';
    for (;;) {
      const page = await redis.xrange(key, start, end, 'COUNT', PAGE);
      const held = page.map(([, fields]) => recordOf(fields));
      // An appointment's index: its references resolved from the log, a page at a time.
      const resolved = await fromLog(page.filter((_, i) => held[i] === null).map(([id]) => id));
      let next = 0;
      for (const record of held) {
        const r = record ?? resolved[next++] ?? null;
        if (r !== null) yield r;
      }
      const last = page.at(-1);
      if (page.length < PAGE || last === undefined) return;
      start = `(${last[0]}`;
    }
  }

  // One script call for the whole batch: every stream it writes is named in KEYS, each once.
  async function appendBatch(batch: readonly AuditRecord[]): Promise<AppendOutcome> {
    if (batch.length === 0) return { appended: true };
    const streamKeys = [headKey, logKey];
    /** Appointment id -> its stream's position in KEYS (Lua counts from 1). */
    const position = new Map<AppointmentId, number>();
    const args: (string | number)[] = [GENESIS_HASH];
    for (const record of batch) {
      const id = record.appointmentId;
      let stream = 0;
      if (id !== null) {
        stream = position.get(id) ?? streamKeys.push(keys.auditAppointment(trustId, id));
        position.set(id, stream);
      }
      args.push(record.seq, record.prevHash, record.hash, JSON.stringify(record), stream);
    }
    const reply = (await runScript(redis, APPEND_AUDIT_BATCH, streamKeys, args)) as [number, number?, string?];
    if (reply[0] === 1) return { appended: true };
    if (reply[0] === -1) throw unlinked(Number(reply[1]));
    return { appended: false, head: { seq: Number(reply[1]), hash: String(reply[2]) } };
  }

  return {
    trustId,

    async head(): Promise<ChainHead> {
      const [seq, hash] = await redis.hmget(headKey, 'seq', 'hash');
      return seq && hash ? { seq: Number(seq), hash } : { ...EMPTY_HEAD };
    },

    append: (record: AuditRecord): Promise<AppendOutcome> => appendBatch([record]),

    appendBatch,

    records,

    async list(appointmentId?: AppointmentId): Promise<DomainEvent[]> {
      const events: DomainEvent[] = [];
      for await (const r of records(appointmentId === undefined ? {} : { appointmentId })) events.push(eventOf(r));
      return events;
    },
  };
}
