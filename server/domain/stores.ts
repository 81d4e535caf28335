// The domain's store interfaces. Two implementations live in server/stores/
// (memory for the single-node default, Redis for production) and one contract
// suite (test/contract/) holds both to the behaviour written here.
import type { ApiKeyId, AppointmentId, ClinicId, DeviceId, FileId, LinkId, ParticipantId, SessionId } from '../core/ids.ts';
import type { AuditRecord, ChainHead } from './audit/record.ts';
import type { PrecallCheckView } from '../wire/precall.ts';
import type { ApiKeyRecord, Appointment, Clinic, ClinicMember, DomainEvent, FileRecord, Link, LinkDecision, LoginTransaction, Participant, ParticipantState, RunningLateRecord, Session, StaffRecord, StaffSession, ThreadItem } from './model.ts';

/** Every `ttlSeconds` is how long the record may be kept; stores expire it after that. */
export interface AppointmentStore {
  create(appointment: Appointment, ttlSeconds: number): Promise<void>;
  get(id: AppointmentId): Promise<Appointment | null>;
  /** Applies the patch to a stored appointment; null when there is none. */
  update(id: AppointmentId, patch: Partial<Pick<Appointment, 'status' | 'locked' | 'endedAt' | 'cancelledAt' | 'deliveries'>>): Promise<Appointment | null>;
  /** The clinician's appointments starting in [fromIso, toIso), ordered by startsAt. */
  listForClinician(clinicianId: string, fromIso: string, toIso: string): Promise<Appointment[]>;
  /** The clinic's appointments starting in [fromIso, toIso), ordered by startsAt. */
  listForClinic(clinicId: ClinicId, fromIso: string, toIso: string): Promise<Appointment[]>;
  /**
   * Replaces a stored appointment's clinician, start or duration (reassign,
   * reschedule), moving it between the clinician index and re-scoring it,
   * atomically; null when there is none.
   */
  move(id: AppointmentId, patch: Partial<Pick<Appointment, 'clinician' | 'startsAt' | 'durationMinutes'>>, ttlSeconds: number): Promise<Appointment | null>;
}

/** What a device learns when it claims its place on a link (LinkStore.claim). */
export type ClaimResult =
  | {
      outcome: 'claimed';
      /** This device's participant on the link: the candidate when `created`, else the one recorded before. */
      participantId: ParticipantId;
      /** This call recorded the candidate (the device is new on the link). */
      created: boolean;
      /** This device was the first on the link (the one it is bound to). */
      holder: boolean;
    }
  | {
      outcome: 'refused';
      /** closed: a decision closed the link (Link.closedBy); not-accepting: the caller accepts no new device; no-link: no such link. */
      reason: 'closed' | 'not-accepting' | 'no-link';
    };

export interface LinkStore {
  create(link: Link, ttlSeconds: number): Promise<void>;
  get(id: LinkId): Promise<Link | null>;
  listForAppointment(appointmentId: AppointmentId): Promise<Link[]>;
  /** Marks the link revoked; false when there is no such link. */
  revoke(id: LinkId): Promise<boolean>;
  /**
   * The participant of (link, device), atomically: a device already on the
   * link gets the participant recorded for it; a new device has `candidate`
   * recorded as its participant, unless the link was closed by a decision
   * (or `acceptNew` is false, or there is no such link), which records
   * nothing. Of any number of concurrent calls for one (link, device) exactly
   * one is `created`; of any number of new devices exactly one is the
   * `holder` (the first). The caller creates the participant record with
   * ParticipantStore.putIfAbsent under the id it is given.
   */
  claim(id: LinkId, deviceId: DeviceId, candidate: ParticipantId, ttlSeconds: number, opts: { acceptNew: boolean }): Promise<ClaimResult>;
}

export interface TransitionOptions {
  /**
   * In the same atomic step as the transition (and only if it happens), close
   * this link to new devices, recording the decision (Link.closedBy, closedAt = atIso).
   */
  closeLink?: { id: LinkId; decision: LinkDecision };
}

export interface ParticipantStore {
  put(participant: Participant, ttlSeconds: number): Promise<void>;
  /**
   * Stores the participant unless one with its id exists, atomically; returns
   * the record in force and whether this call created it.
   */
  putIfAbsent(participant: Participant, ttlSeconds: number): Promise<{ participant: Participant; created: boolean }>;
  get(id: ParticipantId): Promise<Participant | null>;
  /** Every participant of the appointment, in the order they were first put. */
  listForAppointment(appointmentId: AppointmentId): Promise<Participant[]>;
  /**
   * Atomically moves the participant to `to` if its state is one of `from`
   * (setting waitingSince when `to` is 'waiting', and updatedAt); returns the
   * updated record, or null when it does not exist or is in another state.
   */
  transition(id: ParticipantId, from: readonly ParticipantState[], to: ParticipantState, atIso: string, opts?: TransitionOptions): Promise<Participant | null>;
  /** Records a participant's pre-call check on the stored record (no state change); null when there is none. */
  setCheck(id: ParticipantId, check: PrecallCheckView): Promise<Participant | null>;
}

export interface SessionStore {
  /** Stores the session for ttlSeconds; a staff session is also listed under its user (listForUser). */
  create(session: Session, ttlSeconds: number): Promise<void>;
  get(id: SessionId): Promise<Session | null>;
  /** Deletes the session (and its entry in its user's list); true when there was one. */
  delete(id: SessionId): Promise<boolean>;
  /**
   * A staff session's use: sets lastSeenAt and keeps it ttlSeconds more,
   * atomically, only if it still exists; returns the updated record, or null.
   */
  touch(id: SessionId, lastSeenAt: string, ttlSeconds: number): Promise<StaffSession | null>;
  /** A staff member's live sessions, oldest first (expired ones are pruned from the list). */
  listForUser(userId: string): Promise<StaffSession[]>;
  /** Records (or refreshes) a device the server issued: the hash of its secret, kept for ttlSeconds. */
  putDevice(id: DeviceId, secretHash: string, ttlSeconds: number): Promise<void>;
  /** The secret hash of an issued device, or null when the server never issued it (or it expired). */
  getDevice(id: DeviceId): Promise<string | null>;
  /**
   * Marks a single-use token (a console ticket's jti) used, atomically across
   * nodes: true for the first call, false for every later one while it is kept (ttlSeconds).
   */
  claimOnce(tokenId: string, ttlSeconds: number): Promise<boolean>;
  /** Keeps a sign-in in progress under an unguessable id for ttlSeconds (the store keys it by its hash). */
  putLogin(id: string, txn: LoginTransaction, ttlSeconds: number): Promise<void>;
  /** Takes a sign-in in progress, atomically: it is gone after the first take (a replayed callback finds nothing). */
  takeLogin(id: string): Promise<LoginTransaction | null>;
}

/** Clinics and their members (no TTL: trust configuration, kept until changed). */
export interface ClinicStore {
  /** Stores a new clinic; false (storing nothing) when one with its id exists. */
  create(clinic: Clinic): Promise<boolean>;
  /** Replaces a clinic that exists; false when there is none. */
  update(clinic: Clinic): Promise<boolean>;
  get(id: ClinicId): Promise<Clinic | null>;
  /** Every clinic, by id. */
  list(): Promise<Clinic[]>;
  /** Sets (adds or replaces) one member's record of one clinic. */
  setMember(member: ClinicMember): Promise<void>;
  /** Removes a member; true when they were one. */
  removeMember(clinicId: ClinicId, userId: string): Promise<boolean>;
  /** A clinic's members, by user id. */
  members(clinicId: ClinicId): Promise<ClinicMember[]>;
  /** Every clinic membership of one user, by clinic id. */
  membershipsOf(userId: string): Promise<ClinicMember[]>;
  /** A staff member as last signed in; null when never. */
  getStaff(userId: string): Promise<StaffRecord | null>;
  putStaff(record: StaffRecord): Promise<void>;
  /** Sets (minutes > 0, kept ttlSeconds) or clears (null) a clinician's running-late notice. */
  setRunningLate(clinicianId: string, record: RunningLateRecord | null, ttlSeconds: number): Promise<void>;
  /** The notices in force for these clinicians (absent ones left out). */
  runningLate(clinicianIds: readonly string[]): Promise<RunningLateRecord[]>;
}

/** REST API keys (no TTL; a revoked key is kept, marked, for the list and the audit trail). */
export interface ApiKeyStore {
  create(key: ApiKeyRecord): Promise<void>;
  get(id: ApiKeyId): Promise<ApiKeyRecord | null>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked at atIso; the updated record, or null when there is no such key. An already revoked key keeps its first revokedAt. */
  revoke(id: ApiKeyId, atIso: string): Promise<ApiKeyRecord | null>;
  /** Notes the key's last use (callers throttle this). */
  markUsed(id: ApiKeyId, atIso: string): Promise<void>;
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
  /**
   * Compare-and-append of several records at once, all or nothing: the first
   * must follow the current head as in append, each other the record before
   * it; the records may be of different appointments. A batch whose first
   * record does not follow the head appends nothing and returns the head; a
   * batch whose records do not follow one another is refused with an error.
   * An empty batch appends nothing and counts as appended.
   */
  appendBatch(records: readonly AuditRecord[]): Promise<AppendOutcome>;
  /** Records oldest first (by seq). */
  records(scan?: AuditScan): AsyncIterable<AuditRecord>;
  /** The records as domain events, of one appointment (or all, without an id), oldest first. */
  list(appointmentId?: AppointmentId): Promise<DomainEvent[]>;
}

/** What a consultation's shared content is: its chat thread, or its files (with their key). */
export type ContentKind = 'messages' | 'files';

/** How a participant saw a file: displayed by their page, or its bytes fetched. */
export type SeenWay = 'viewed' | 'received';

/** A short-lived grant to fetch one file: the fetch still checks the participant is admitted now. */
export interface FileGrant {
  fileId: FileId;
  participantId: ParticipantId;
  /** Served as an attachment (Save to record) rather than inline. */
  download?: boolean;
}

/**
 * A consultation's shared content: the thread (chat, photo requests, files
 * shared), the files' records, the key their bytes are encrypted with, and
 * when each must be deleted. Nothing here outlives its purge.
 */
export interface ThreadStore {
  /** Appends to the appointment's thread. */
  append(item: ThreadItem, ttlSeconds: number): Promise<void>;
  /** The thread, oldest first. */
  items(appointmentId: AppointmentId): Promise<ThreadItem[]>;
  putFile(file: FileRecord, ttlSeconds: number): Promise<void>;
  getFile(id: FileId): Promise<FileRecord | null>;
  /** The appointment's files, in the order they were put. */
  files(appointmentId: AppointmentId): Promise<FileRecord[]>;
  /**
   * The appointment's file key: stores `candidate` when there is none yet and
   * returns the key in force, atomically (two nodes storing the first file at
   * once end up with one key).
   */
  ensureKey(appointmentId: AppointmentId, candidate: Buffer, ttlSeconds: number): Promise<Buffer>;
  getKey(appointmentId: AppointmentId): Promise<Buffer | null>;
  /** Stores a fetch grant under an unguessable token for ttlSeconds. */
  grant(token: string, grant: FileGrant, ttlSeconds: number): Promise<void>;
  redeem(token: string): Promise<FileGrant | null>;
  /**
   * Adds `bytes` to the appointment's stored total if the total stays within
   * `limit`, atomically (concurrent uploads on any node cannot overshoot);
   * false, adding nothing, when it would not. The total lives ttlSeconds and
   * goes with purge(appointmentId, 'files').
   */
  reserveBytes(appointmentId: AppointmentId, bytes: number, limit: number, ttlSeconds: number): Promise<boolean>;
  /** Gives back bytes reserved for a file that was not kept (never below zero). */
  releaseBytes(appointmentId: AppointmentId, bytes: number): Promise<void>;
  /** The appointment's stored total; 0 when there is none. */
  storedBytes(appointmentId: AppointmentId): Promise<number>;
  /**
   * Notes that a participant saw a file in this way ('viewed', 'received'),
   * atomically: true only for the first call per (file, participant, way).
   * Kept ttlSeconds; goes with purge(appointmentId, 'files').
   */
  markSeen(appointmentId: AppointmentId, fileId: FileId, participantId: ParticipantId, way: SeenWay, ttlSeconds: number): Promise<boolean>;
  /** Forgets a markSeen (its audit record could not be written, so the next sight records it). */
  unmarkSeen(appointmentId: AppointmentId, fileId: FileId, participantId: ParticipantId, way: SeenWay): Promise<void>;
  /**
   * When this content must be deleted (epoch ms). `onlyIfUnset` keeps an
   * earlier schedule (the first file schedules the appointment's expiry; the
   * end brings it forward).
   */
  schedulePurge(appointmentId: AppointmentId, kind: ContentKind, dueAtMs: number, onlyIfUnset?: boolean): Promise<void>;
  /** Purges due at or before nowMs, earliest first. */
  duePurges(nowMs: number, limit: number): Promise<{ appointmentId: AppointmentId; kind: ContentKind }[]>;
  /**
   * Deletes the content and its schedule: for 'messages' the thread; for
   * 'files' every file record and the key (so bytes left anywhere are
   * unreadable), the stored total and the sightings.
   */
  purge(appointmentId: AppointmentId, kind: ContentKind): Promise<void>;
}

/**
 * Counts events per key in fixed windows, shared by every node on the store:
 * the burst limits that must hold however many nodes a person's requests
 * reach (a chat flood split across two nodes still meets one budget).
 */
export interface RateStore {
  /**
   * Counts one event under `key`, atomically; the key's first event opens a
   * window of windowSeconds. Returns the count in the current window (this
   * event included) and the whole seconds until the window ends (at least 1).
   */
  hit(key: string, windowSeconds: number): Promise<{ count: number; retryAfterSeconds: number }>;
}

/** What a device learns when it claims its place on a link and its participant record together (JoinStore.claimParticipant). */
export type ParticipantClaim =
  | Extract<ClaimResult, { outcome: 'refused' }>
  | (Extract<ClaimResult, { outcome: 'claimed' }> & {
      /** The participant record in force: the candidate when `created`; null for a device claimed earlier whose record was never stored. */
      participant: Participant | null;
    });

/** The steps of a join over several records, each in one round trip (Redis: one MGET or one script), so no step reads a record twice. */
export interface JoinStore {
  /**
   * LinkStore.claim and the participant record together: a device new to the
   * link has `candidate` stored as its participant (linkReused set when it is
   * not the link's holder), with ParticipantStore.putIfAbsent's guarantees; a
   * device already on the link gets its stored record. Refusals record nothing.
   */
  claimParticipant(id: LinkId, deviceId: DeviceId, candidate: Participant, ttlSeconds: number, opts: { acceptNew: boolean }): Promise<ParticipantClaim>;
  /** A link and the appointment its token names, each null when absent. */
  linkAndAppointment(linkId: LinkId, appointmentId: AppointmentId): Promise<{ link: Link | null; appointment: Appointment | null }>;
  /** An appointment (null when absent) and its participants as ParticipantStore.listForAppointment lists them. */
  appointmentWithParticipants(appointmentId: AppointmentId): Promise<{ appointment: Appointment | null; participants: Participant[] }>;
  /**
   * An appointment (null when absent) and only these of its participants, in
   * one round trip (Redis: one MGET): an id whose record is missing or belongs
   * to another appointment is left out. For a read that needs a few people, not
   * the whole list (a waiting guest's view).
   */
  appointmentWithSome(appointmentId: AppointmentId, participantIds: readonly ParticipantId[]): Promise<{ appointment: Appointment | null; participants: Participant[] }>;
  /** A guest's participant, their appointment and (with a linkId) the link they came through, each null when absent. */
  guestRecords(participantId: ParticipantId, appointmentId: AppointmentId, linkId: LinkId | null): Promise<{ participant: Participant | null; appointment: Appointment | null; link: Link | null }>;
}

export interface Stores {
  readonly kind: 'memory' | 'redis';
  joins: JoinStore;
  appointments: AppointmentStore;
  links: LinkStore;
  participants: ParticipantStore;
  sessions: SessionStore;
  clinics: ClinicStore;
  apiKeys: ApiKeyStore;
  events: EventStore;
  thread: ThreadStore;
  rates: RateStore;
  /** Resolves when the backing store answers; rejects otherwise (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
