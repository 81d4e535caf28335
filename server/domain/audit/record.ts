// The audit record: one step of a trust's hash chain. Plain data, ids only
// (never a name or a token). `hash` is the SHA-256 of the record's canonical
// JSON without `hash`; `prevHash` is the previous record's `hash` (64 zeros
// for the first), so altering, removing or reordering any record shows.
import { createHash } from 'node:crypto';
import type { AppointmentId } from '../../core/ids.ts';
import type { Actor, DomainEvent, DomainEventType } from '../model.ts';

/** The trust a store serves when none is named (config/default.json names the same). */
export const DEFAULT_TRUST_ID = 'default-trust';

/** The prevHash of a trust's first record. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditRecord {
  /** 1, 2, 3... per trust, without gaps. */
  seq: number;
  time: string;
  appointmentId: AppointmentId | null;
  actor: { role: Actor['role']; id: string };
  action: DomainEventType;
  outcome: 'ok' | 'refused';
  subject?: string;
  reason?: string;
  /** For file steps: the SHA-256 (hex) of the content. */
  sha256?: string;
  /** The client's IP address, unless the trust turned recording it off. */
  source?: string;
  prevHash: string;
  hash: string;
}

/** What a step contributes; the chain adds seq, prevHash and hash. */
export type AuditEntry = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;

/** The end of a chain: the last record's seq and hash, or 0 and GENESIS_HASH when empty. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/**
 * JSON with every object's keys sorted (by UTF-16 code unit, as
 * Array.prototype.sort does) and no whitespace; undefined members are left
 * out, as JSON.stringify leaves them. For this data it is RFC 8785 (JCS).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON has no representation for a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: unknown) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON has no representation for a ${typeof value}`);
}

/** The hash a record must carry: SHA-256 (hex) of its canonical JSON without `hash`. */
export function hashOf(record: object): string {
  const { hash: _ignored, ...rest } = record as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
}

/** The entry as the record that follows `head`. */
export function seal(entry: AuditEntry, head: ChainHead): AuditRecord {
  const unsealed: Omit<AuditRecord, 'hash'> = { seq: head.seq + 1, ...entry, prevHash: head.hash };
  return { ...unsealed, hash: hashOf(unsealed) };
}

/** The record as the domain event it recorded. */
export function eventOf(r: AuditRecord): DomainEvent {
  return {
    type: r.action,
    at: r.time,
    appointmentId: r.appointmentId,
    actor: { role: r.actor.role, id: r.actor.id, ...(r.source !== undefined ? { address: r.source } : {}) },
    outcome: r.outcome,
    ...(r.subject !== undefined ? { subject: r.subject } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.sha256 !== undefined ? { sha256: r.sha256 } : {}),
  };
}
