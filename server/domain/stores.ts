// The domain's store interfaces. Two implementations live in server/stores/
// (memory for the single-node default, Redis for production) and one contract
// suite (test/contract/) holds both to the behaviour written here.
import type { AppointmentId, DeviceId, LinkId, ParticipantId, SessionId } from '../core/ids.ts';
import type { AuditRecord, ChainHead } from './audit/record.ts';
import type { Appointment, DomainEvent, Link, Participant, ParticipantState, Session } from './model.ts';

/** Every `ttlSeconds` is how long the record may be kept; stores expire it after that. */
export interface AppointmentStore {
  create(appointment: Appointment, ttlSeconds: number): Promise<void>;
  get(id: AppointmentId): Promise<Appointment | null>;
  /** Applies the patch to a stored appointment; null when there is none. */
  update(id: AppointmentId, patch: Partial<Pick<Appointment, 'status' | 'locked' | 'endedAt'>>): Promise<Appointment | null>;
  /** The clinician's appointments starting in [fromIso, toIso), ordered by startsAt. */
  listForClinician(clinicianId: string, fromIso: string, toIso: string): Promise<Appointment[]>;
}

export type BindResult =
  | { outcome: 'bound' }
  | { outcome: 'same-device'; participantId: ParticipantId }
  | { outcome: 'other-device'; participantId: ParticipantId };

export interface LinkStore {
  create(link: Link, ttlSeconds: number): Promise<void>;
  get(id: LinkId): Promise<Link | null>;
  listForAppointment(appointmentId: AppointmentId): Promise<Link[]>;
  /** Marks the link revoked; false when there is no such link. */
  revoke(id: LinkId): Promise<boolean>;
  /**
   * Binds the link to the first device that redeems it, atomically: of any
   * number of concurrent calls exactly one gets 'bound' (and its participantId
   * is recorded); the others learn which participant holds it and whether
   * they are that same device.
   */
  bind(id: LinkId, deviceId: DeviceId, participantId: ParticipantId, ttlSeconds: number): Promise<BindResult>;
}

export interface ParticipantStore {
  put(participant: Participant, ttlSeconds: number): Promise<void>;
  get(id: ParticipantId): Promise<Participant | null>;
  /** Every participant of the appointment, in the order they were first put. */
  listForAppointment(appointmentId: AppointmentId): Promise<Participant[]>;
  /**
   * Atomically moves the participant to `to` if its state is one of `from`
   * (setting waitingSince when `to` is 'waiting', and updatedAt); returns the
   * updated record, or null when it does not exist or is in another state.
   */
  transition(id: ParticipantId, from: readonly ParticipantState[], to: ParticipantState, atIso: string): Promise<Participant | null>;
}

export interface SessionStore {
  create(session: Session, ttlSeconds: number): Promise<void>;
  get(id: SessionId): Promise<Session | null>;
  delete(id: SessionId): Promise<void>;
}

export type AppendOutcome = { appended: true } | { appended: false; head: ChainHead };

export interface AuditScan {
  /** Only this appointment's records. */
  appointmentId?: AppointmentId;
  /** Only records up to this seq (a snapshot taken from head()). */
  toSeq?: number;
}

/**
 * The audit trail of one trust: a hash chain, append-only. Nothing edits or
 * removes a record; there is no TTL.
 */
export interface EventStore {
  /** The trust whose chain this is. */
  readonly trustId: string;
  /** The last record's seq and hash; EMPTY_HEAD when there is none. */
  head(): Promise<ChainHead>;
  /**
   * Compare-and-append, atomic across every node sharing the store: appends
   * the record only when it follows the current head (record.prevHash is the
   * head's hash and record.seq the head's seq + 1); otherwise appends nothing
   * and returns the current head. The store does not check record.hash.
   */
  append(record: AuditRecord): Promise<AppendOutcome>;
  /** Records oldest first (by seq). */
  records(scan?: AuditScan): AsyncIterable<AuditRecord>;
  /** The records as domain events, of one appointment (or all, without an id), oldest first. */
  list(appointmentId?: AppointmentId): Promise<DomainEvent[]>;
}

export interface Stores {
  readonly kind: 'memory' | 'redis';
  appointments: AppointmentStore;
  links: LinkStore;
  participants: ParticipantStore;
  sessions: SessionStore;
  events: EventStore;
  /** Resolves when the backing store answers; rejects otherwise (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
