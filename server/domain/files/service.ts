// Files shared in a consultation: a photo the clinician asked for, a leaflet
// the clinician hands out. Every step is checked against the store at that
// moment: only an admitted participant of the consultation may send, or
// fetch a file they may see. Bytes are checked by content, stripped of
// location and device metadata, hashed, and sealed with the consultation's
// key before they touch the disk; fetches go through short-lived grants
// bound to one participant and re-checked on every request.
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import { randomId, type AppointmentId, type FileId, type ItemId, type ParticipantId } from '../../core/ids.ts';
import { cleanText } from '../../core/text.ts';
import { participantActor as by } from '../actors.ts';
import type { ConsultationService } from '../consultation.ts';
import type { EventRecorder } from '../events.ts';
import type { FileKind, FileRecord, Participant } from '../model.ts';
import type { SeenWay, Stores } from '../stores.ts';
import type { ThreadService } from '../thread.ts';
import type { RecordSidecar, ThreadItemView } from '../views.ts';
import type { BlobStore } from './blob-store.ts';
import type { CleanFile } from './clean-file.ts';
import { newKey, open, seal } from './sealed.ts';

/** An upload as received: a file on local disk that the HTTP layer wrote and deletes afterwards. */
export interface StagedFile {
  path: string;
  size: number;
}

/** The content checker (server/content/, run off the event loop by files-worker/): reads the staged file itself. */
/** Refuses with an AppError (UNSUPPORTED_TYPE, CORRUPT_FILE, FILE_TOO_COMPLEX, UNAVAILABLE); anything else is a fault. */
export type Sanitize = (input: StagedFile) => Promise<CleanFile>;

/** The trust's record system (a signed webhook, server/integrations/record-webhook.ts). */
export interface RecordSink {
  deliver(sidecar: RecordSidecar, bytes: Buffer): Promise<void>;
}

export interface FilePolicy {
  maxBytes: number;
  /** Total bytes stored for one consultation. */
  maxBytesPerConsultation: number;
  /** Whether guests (anyone but the clinician) may share PDFs. */
  guestPdf: boolean;
  retentionSeconds: number;
  urlTtlSeconds: number;
}

/** Who is asking over HTTP, from the request's session cookie. */
export type Requester = { kind: 'guest'; participantId: ParticipantId } | { kind: 'clinician'; clinicianId: string };

export interface FetchedFile {
  file: FileRecord;
  bytes: Buffer;
  download: boolean;
}

/** What may be shared, by content (the page's file picker offers these). */
export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/heic', 'image/heif', 'application/pdf'] as const;
export type AcceptedType = (typeof ACCEPTED_TYPES)[number];

const EXTENSION: Record<FileKind, string> = { jpeg: '.jpg', png: '.png', heif: '.heic', pdf: '.pdf' };

/** A display name safe to show and to download under: no path, no control characters, the extension of the real type. */
export function safeName(raw: string | undefined, kind: FileKind, mime: string): string {
  const withoutExtension = (raw ?? '')
    .split(/[\\/]/)
    .at(-1)!
    .replace(/["<>|:*?]/g, '')
    .replace(/\.[^.]*$/, '');
  const base = cleanText(withoutExtension, { maxLength: 100 });
  const ext = mime === 'image/avif' ? '.avif' : EXTENSION[kind];
  return `${base || (kind === 'pdf' ? 'document' : 'photo')}${ext}`;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const aad = (f: Pick<FileRecord, 'appointmentId' | 'id'>) => `${f.appointmentId}/${f.id}`;
const gone = () => new AppError('NOT_FOUND', 'That file is not available (it may have expired or been deleted).');

export class FileService {
  readonly #stores: Stores;
  readonly #consultations: ConsultationService;
  readonly #thread: ThreadService;
  readonly #blobs: BlobStore;
  readonly #events: EventRecorder;
  readonly #sanitize: Sanitize;
  readonly #sink: RecordSink | null;
  readonly #policy: FilePolicy;
  readonly #now: () => Date;

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
    this.#stores = deps.stores;
    this.#consultations = deps.consultations;
    this.#thread = deps.thread;
    this.#blobs = deps.blobs;
    this.#events = deps.events;
    this.#sanitize = deps.sanitize;
    this.#sink = deps.recordSink;
    this.#policy = deps.policy;
    this.#now = deps.now;
  }

  get maxBytes(): number {
    return this.#policy.maxBytes;
  }
  get recordSystem(): boolean {
    return this.#sink !== null;
  }

  /**
   * What this role may share, by type (the page's file picker offers these).
   * A guest's PDF is refused unless the trust allows it: a PDF can carry
   * scripts, launch actions and attachments that no stripping here removes.
   */
  acceptedFor(role: Participant['role']): AcceptedType[] {
    return ACCEPTED_TYPES.filter((t) => t !== 'application/pdf' || role === 'clinician' || this.#policy.guestPdf);
  }

  /** The refusal of a file over maxBytes (also given by the HTTP layer, which stops reading it early). */
  tooLarge(): AppError {
    return new AppError('FILE_TOO_LARGE', `Files can be at most ${Math.floor(this.#policy.maxBytes / (1024 * 1024)) || 1} MB.`);
  }

  /** The refusal of a file that would take the consultation past its storage quota. */
  quotaExceeded(): AppError {
    return new AppError('QUOTA_EXCEEDED');
  }

  /**
   * The admitted participant the request's sessions stand for in this
   * appointment, checked before an upload is read: UNAUTHENTICATED when they
   * stand for none, else the admission check's own refusal.
   */
  async admittedSender(sessions: readonly Requester[], appointmentId: AppointmentId): Promise<Participant> {
    let found: Participant | null = null;
    for (const who of sessions) {
      const p = await this.participantFor(who, appointmentId);
      if (p) found = p;
      if (p?.state === 'admitted') break;
    }
    if (!found) throw new AppError('UNAUTHENTICATED', 'No session for this consultation; open your link again.');
    return this.#consultations.requireAdmitted(found.id, appointmentId);
  }

  /** Refuses, before it is read, an upload of this many bytes that cannot fit in the consultation's quota. */
  async checkRoom(appointmentId: AppointmentId, bytes: number): Promise<void> {
    if (bytes > this.#policy.maxBytes) throw this.tooLarge();
    if ((await this.#stores.thread.storedBytes(appointmentId)) + bytes > this.#policy.maxBytesPerConsultation) throw this.quotaExceeded();
  }

  /** The participant a session cookie stands for in this appointment; null when it stands for none. */
  async participantFor(who: Requester, appointmentId: AppointmentId): Promise<Participant | null> {
    if (who.kind === 'guest') {
      const p = await this.#stores.participants.get(who.participantId);
      return p && p.appointmentId === appointmentId ? p : null;
    }
    const all = await this.#stores.participants.listForAppointment(appointmentId);
    return all.find((p) => p.role === 'clinician' && p.clinicianId === who.clinicianId) ?? null;
  }

  /**
   * Accepts a file from an admitted participant. Every check comes before
   * anything is stored, so a refusal leaves no bytes behind.
   */
  async upload(
    participantId: ParticipantId,
    appointmentId: AppointmentId,
    staged: StagedFile,
    meta: { name?: string; requestId?: ItemId },
    address?: string,
  ): Promise<ThreadItemView> {
    // Again after the upload arrived: admission may have changed while it did.
    const sender = await this.#consultations.requireAdmitted(participantId, appointmentId);
    if (staged.size === 0) throw new AppError('UNSUPPORTED_TYPE', 'The file is empty.');
    if (staged.size > this.#policy.maxBytes) throw this.tooLarge();
    if (meta.requestId) await this.#thread.requestFor(sender.id, appointmentId, meta.requestId);
    const clean = await this.#sanitize(staged);
    if (clean.kind === 'pdf' && !this.acceptedFor(sender.role).includes('application/pdf')) {
      throw new AppError('UNSUPPORTED_TYPE', 'Only photos can be sent. Ask the clinician how to share documents.');
    }
    const file: FileRecord = {
      id: randomId<FileId>(),
      appointmentId,
      at: this.#now().toISOString(),
      from: sender.id,
      fromRole: sender.role,
      kind: clean.kind,
      mime: clean.mime,
      size: clean.bytes.length,
      sha256: sha256(clean.bytes),
      name: safeName(meta.name, clean.kind, clean.mime),
      removed: clean.removed,
      ...(clean.width !== undefined ? { width: clean.width } : {}),
      ...(clean.height !== undefined ? { height: clean.height } : {}),
      ...(meta.requestId ? { requestId: meta.requestId } : {}),
    };
    const ttl = await this.#thread.ttlFor(appointmentId, this.#policy.retentionSeconds);
    if (!(await this.#stores.thread.reserveBytes(appointmentId, file.size, this.#policy.maxBytesPerConsultation, ttl))) throw this.quotaExceeded();
    const release = () => this.#stores.thread.releaseBytes(appointmentId, file.size);
    const key = await this.#stores.thread.ensureKey(appointmentId, newKey(), ttl);
    // The backstop: files go when the appointment's records do, even if nobody presses End.
    await this.#stores.thread.schedulePurge(appointmentId, 'files', this.#now().getTime() + ttl * 1000, true);
    try {
      await this.#blobs.put(appointmentId, file.id, seal(key, clean.bytes, aad(file)));
      await this.#stores.thread.putFile(file, ttl);
    } catch (e) {
      await this.#blobs.delete(appointmentId, file.id);
      await release();
      throw e;
    }
    if (await this.#thread.endedMeanwhile(appointmentId, 'files', this.#policy.retentionSeconds)) {
      await this.#blobs.delete(appointmentId, file.id);
      await release();
      throw new AppError('CONSULTATION_ENDED', 'This consultation has ended; the file was not shared.');
    }
    await this.#events.record('file.sent', appointmentId, by(sender, address), { subject: file.id, sha256: file.sha256 });
    return this.#thread.addFile(sender, file);
  }

  /** A URL for one participant to fetch one file, for urlTtlSeconds. */
  async url(participantId: ParticipantId, appointmentId: AppointmentId, fileId: FileId, download: boolean): Promise<{ url: string; expiresAt: string }> {
    const viewer = await this.#consultations.requireAdmitted(participantId, appointmentId);
    await this.#visibleFile(viewer, fileId);
    const token = randomBytes(32).toString('base64url');
    await this.#stores.thread.grant(token, { fileId, participantId: viewer.id, ...(download ? { download: true } : {}) }, this.#policy.urlTtlSeconds);
    const expiresAt = new Date(this.#now().getTime() + this.#policy.urlTtlSeconds * 1000).toISOString();
    return { url: `/api/v1/files/${token}`, expiresAt };
  }

  /**
   * The bytes behind a URL, for the sessions the request holds. The grant
   * must be live and made for one of them; the participant must be admitted now and still
   * allowed to see the file. Anything else answers NOT_FOUND (no oracle).
   */
  async fetch(token: string, sessions: readonly Requester[], address?: string): Promise<FetchedFile> {
    const grant = await this.#stores.thread.redeem(token);
    if (!grant) throw gone();
    const viewer = await this.#stores.participants.get(grant.participantId);
    if (!viewer) throw gone();
    const mine = (who: Requester) =>
      who.kind === 'guest' ? who.participantId === viewer.id : viewer.role === 'clinician' && viewer.clinicianId === who.clinicianId;
    if (!sessions.some(mine)) throw gone();
    const file = await this.#stores.thread.getFile(grant.fileId);
    if (!file || file.appointmentId !== viewer.appointmentId) throw gone();
    await this.#consultations.requireAdmitted(viewer.id, viewer.appointmentId).catch((e: unknown) => {
      throw (e as { code?: string }).code === 'CONSULTATION_ENDED' ? gone() : e;
    });
    await this.#thread.itemForFile(viewer, file.id);
    const bytes = await this.#read(file);
    await this.#recordOnce('received', file, viewer, address);
    return { file, bytes, download: grant.download === true };
  }

  /** The page displayed the file (or opened it): on the audit trail, the first time for each participant. */
  async viewed(participantId: ParticipantId, appointmentId: AppointmentId, fileId: FileId, address?: string): Promise<void> {
    const viewer = await this.#consultations.requireAdmitted(participantId, appointmentId);
    const file = await this.#visibleFile(viewer, fileId);
    await this.#recordOnce('viewed', file, viewer, address);
  }

  /**
   * One audit record per (file, participant, way): a page reports a view on
   * every render and fetches on every display, so repeats add nothing.
   */
  async #recordOnce(way: SeenWay, file: FileRecord, viewer: Participant, address?: string): Promise<void> {
    const ttl = await this.#thread.ttlFor(file.appointmentId, this.#policy.retentionSeconds);
    if (!(await this.#stores.thread.markSeen(file.appointmentId, file.id, viewer.id, way, ttl))) return;
    try {
      await this.#events.record(`file.${way}`, file.appointmentId, by(viewer, address), { subject: file.id, sha256: file.sha256 });
    } catch (e) {
      await this.#stores.thread.unmarkSeen(file.appointmentId, file.id, viewer.id, way);
      throw e;
    }
  }

  /** The clinician saves the file to the clinical record: the sidecar to store beside it. */
  async save(participantId: ParticipantId, appointmentId: AppointmentId, fileId: FileId, address?: string): Promise<RecordSidecar> {
    const { clinician, file } = await this.#clinicianFile(participantId, appointmentId, fileId);
    const sidecar = this.#sidecar(file, clinician);
    await this.#events.record('file.saved', appointmentId, by(clinician, address), { subject: file.id, sha256: file.sha256 });
    return sidecar;
  }

  /** The clinician sends the file to the trust's record system. */
  async deliver(participantId: ParticipantId, appointmentId: AppointmentId, fileId: FileId, address?: string): Promise<{ deliveredAt: string }> {
    if (!this.#sink) throw new AppError('NOT_CONFIGURED', 'No record system is configured on this server; use Save to record.');
    const { clinician, file } = await this.#clinicianFile(participantId, appointmentId, fileId);
    const bytes = await this.#read(file);
    const sidecar = this.#sidecar(file, clinician);
    try {
      await this.#sink.deliver(sidecar, bytes);
    } catch (e) {
      await this.#events.record('file.delivered', appointmentId, by(clinician, address), {
        subject: file.id,
        sha256: file.sha256,
        outcome: 'refused',
        reason: 'DELIVERY_FAILED',
      });
      throw new AppError('DELIVERY_FAILED', { cause: e });
    }
    await this.#events.record('file.delivered', appointmentId, by(clinician, address), { subject: file.id, sha256: file.sha256 });
    return { deliveredAt: sidecar.savedAt };
  }


  async #visibleFile(viewer: Participant, fileId: FileId): Promise<FileRecord> {
    const file = await this.#stores.thread.getFile(fileId);
    if (!file || file.appointmentId !== viewer.appointmentId) throw gone();
    await this.#thread.itemForFile(viewer, fileId);
    return file;
  }

  async #clinicianFile(participantId: ParticipantId, appointmentId: AppointmentId, fileId: FileId): Promise<{ clinician: Participant; file: FileRecord }> {
    const clinician = await this.#consultations.requireAdmitted(participantId, appointmentId);
    if (clinician.role !== 'clinician') throw new AppError('FORBIDDEN', 'Only the clinician can save to the record.');
    return { clinician, file: await this.#visibleFile(clinician, fileId) };
  }

  async #read(file: FileRecord): Promise<Buffer> {
    const key = await this.#stores.thread.getKey(file.appointmentId);
    const sealed = key && (await this.#blobs.get(file.appointmentId, file.id));
    if (!key || !sealed) throw gone();
    const bytes = open(key, sealed, aad(file));
    if (sha256(bytes) !== file.sha256) throw gone();
    return bytes;
  }

  #sidecar(file: FileRecord, clinician: Participant): RecordSidecar {
    return {
      appointmentId: file.appointmentId,
      fileId: file.id,
      name: file.name,
      mime: file.mime,
      size: file.size,
      sha256: file.sha256,
      ...(file.width !== undefined ? { width: file.width } : {}),
      ...(file.height !== undefined ? { height: file.height } : {}),
      sentAt: file.at,
      sentBy: { role: file.fromRole, participantId: file.from },
      ...(file.requestId ? { requestId: file.requestId } : {}),
      savedAt: this.#now().toISOString(),
      savedBy: { clinicianId: clinician.clinicianId ?? clinician.id },
      metadataRemoved: [...file.removed],
    };
  }
}
