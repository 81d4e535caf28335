// Files shared in a consultation: a photo the clinician asked for, a leaflet
// the clinician hands out. Every step is checked against the store at that
// moment: only an admitted participant of the consultation may send, or
// fetch a file they may see. Bytes are checked by content, stripped of
// location and device metadata, hashed, and sealed with the consultation's
// key before they touch the disk; fetches go through short-lived grants
// bound to one participant and re-checked on every request.
//
// This class is the one the transports hold; the work is in upload.ts (the
// upload path), grants.ts (sessions, URL grants and fetches), record-delivery.ts
// (Save and Deliver to the record) and stored-files.ts (bytes at rest).
import type { AppError } from '../../core/errors.ts';
import type { AppointmentId, FileId, ItemId, ParticipantId } from '../../core/ids.ts';
import type { ConsultationService } from '../consultation.ts';
import type { EventRecorder } from '../events.ts';
import type { Participant } from '../model.ts';
import type { Stores } from '../stores.ts';
import type { ThreadService } from '../thread.ts';
import type { RecordSidecar, ThreadItemView } from '../../wire/thread.ts';
import type { BlobStore } from './blob-store.ts';
import { FileGrants, type FetchedFile, type Requester } from './grants.ts';
import { acceptedFor, quotaExceeded, tooLarge, type AcceptedType, type FilePolicy } from './policy.ts';
import { RecordDelivery, type RecordSink } from './record-delivery.ts';
import { StoredFiles } from './stored-files.ts';
import { FileUploads, type Sanitize, type StagedFile } from './upload.ts';

export { ACCEPTED_TYPES, type AcceptedType, type FilePolicy } from './policy.ts';
export { safeName, type Sanitize, type StagedFile } from './upload.ts';
export type { FetchedFile, Requester } from './grants.ts';
export type { RecordSink } from './record-delivery.ts';

export class FileService {
  readonly #policy: FilePolicy;
  readonly #uploads: FileUploads;
  readonly #grants: FileGrants;
  readonly #record: RecordDelivery;

  constructor(deps: {
    stores: Stores;
    consultations: ConsultationService;
    thread: ThreadService;
    blobs: BlobStore;
    events: EventRecorder;
    sanitize: Sanitize;
    recordSink: RecordSink | null;
    policy: FilePolicy;
    now: () => Date;
  }) {
    this.#policy = deps.policy;
    const files = new StoredFiles(deps);
    this.#uploads = new FileUploads({ ...deps, files });
    this.#grants = new FileGrants({ ...deps, files });
    this.#record = new RecordDelivery({ ...deps, files });
  }

  get maxBytes(): number {
    return this.#policy.maxBytes;
  }
  get recordSystem(): boolean {
    return this.#record.configured;
  }

  /**
   * What this role may share, by type (the page's file picker offers these).
   * A guest's PDF is refused unless the trust allows it: a PDF can carry
   * scripts, launch actions and attachments that no stripping here removes.
   */
  acceptedFor(role: Participant['role']): AcceptedType[] {
    return acceptedFor(this.#policy, role);
  }

  /** The refusal of a file over maxBytes (also given by the HTTP layer, which stops reading it early). */
  tooLarge(): AppError {
    return tooLarge(this.#policy);
  }

  /** The refusal of a file that would take the consultation past its storage quota. */
  quotaExceeded(): AppError {
    return quotaExceeded();
  }

  /**
   * The admitted participant the request's sessions stand for in this
   * appointment, checked before an upload is read: UNAUTHENTICATED when they
   * stand for none, else the admission check's own refusal.
   */
  admittedSender(sessions: readonly Requester[], appointmentId: AppointmentId): Promise<Participant> {
    return this.#grants.admittedSender(sessions, appointmentId);
  }

  /** Refuses, before it is read, an upload of this many bytes that cannot fit in the consultation's quota. */
  checkRoom(appointmentId: AppointmentId, bytes: number): Promise<void> {
    return this.#uploads.checkRoom(appointmentId, bytes);
  }

  /** The participant a session cookie stands for in this appointment; null when it stands for none. */
  participantFor(who: Requester, appointmentId: AppointmentId): Promise<Participant | null> {
    return this.#grants.participantFor(who, appointmentId);
  }

  /**
   * Accepts a file from an admitted participant. Every check comes before
   * anything is stored, so a refusal leaves no bytes behind.
   */
  upload(
    participantId: ParticipantId,
    appointmentId: AppointmentId,
    staged: StagedFile,
    meta: { name?: string; requestId?: ItemId },
    address?: string,
  ): Promise<ThreadItemView> {
    return this.#uploads.upload(participantId, appointmentId, staged, meta, address);
  }

  /** A URL for one participant to fetch one file, for urlTtlSeconds. */
  url(participantId: ParticipantId, appointmentId: AppointmentId, fileId: FileId, download: boolean): Promise<{ url: string; expiresAt: string }> {
    return this.#grants.url(participantId, appointmentId, fileId, download);
  }

  /**
   * The bytes behind a URL, for the sessions the request holds. The grant
   * must be live and made for one of them; the participant must be admitted now and still
   * allowed to see the file. Anything else answers NOT_FOUND (no oracle).
   */
  fetch(token: string, sessions: readonly Requester[], address?: string): Promise<FetchedFile> {
    return this.#grants.fetch(token, sessions, address);
  }

  /** The page displayed the file (or opened it): on the audit trail, the first time for each participant. */
  viewed(participantId: ParticipantId, appointmentId: AppointmentId, fileId: FileId, address?: string): Promise<void> {
    return this.#grants.viewed(participantId, appointmentId, fileId, address);
  }

  /** The clinician saves the file to the clinical record: the sidecar to store beside it. */
  save(participantId: ParticipantId, appointmentId: AppointmentId, fileId: FileId, address?: string): Promise<RecordSidecar> {
    return this.#record.save(participantId, appointmentId, fileId, address);
  }

  /** The clinician sends the file to the trust's record system. */
  deliver(participantId: ParticipantId, appointmentId: AppointmentId, fileId: FileId, address?: string): Promise<{ deliveredAt: string }> {
    return this.#record.deliver(participantId, appointmentId, fileId, address);
  }
}
