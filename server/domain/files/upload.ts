// The upload path: an admitted participant's file is checked by content,
// stripped of location and device metadata, hashed, and sealed with the
// consultation's key before it touches the disk. Every check comes before
// anything is stored, so a refusal leaves no bytes behind.
import { AppError } from '../../core/errors.ts';
import { randomId, type AppointmentId, type FileId, type ItemId, type ParticipantId } from '../../core/ids.ts';
import { cleanText } from '../../core/text.ts';
import { participantActor as by } from '../actors.ts';
import type { ConsultationService } from '../consultation.ts';
import type { EventRecorder } from '../events.ts';
import type { FileKind, FileRecord } from '../model.ts';
import type { Stores } from '../stores.ts';
import type { ThreadService } from '../thread.ts';
import type { ThreadItemView } from '../../wire/thread.ts';
import type { CleanFile } from './clean-file.ts';
import { acceptedFor, quotaExceeded, tooLarge, type FilePolicy } from './policy.ts';
import { newKey } from './sealed.ts';
import { sha256, type StoredFiles } from './stored-files.ts';

/** An upload as received: a file on local disk that the HTTP layer wrote and deletes afterwards. */
export interface StagedFile {
  path: string;
  size: number;
}

/** The content checker (server/content/, run off the event loop by files-worker/): reads the staged file itself. */
/** Refuses with an AppError (UNSUPPORTED_TYPE, CORRUPT_FILE, FILE_TOO_COMPLEX, UNAVAILABLE); anything else is a fault. */
export type Sanitize = (input: StagedFile) => Promise<CleanFile>;

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

export class FileUploads {
  readonly #stores: Stores;
  readonly #consultations: ConsultationService;
  readonly #thread: ThreadService;
  readonly #files: StoredFiles;
  readonly #events: EventRecorder;
  readonly #sanitize: Sanitize;
  readonly #policy: FilePolicy;
  readonly #now: () => Date;

  constructor(deps: {
    stores: Stores;
    consultations: ConsultationService;
    thread: ThreadService;
    files: StoredFiles;
    events: EventRecorder;
    sanitize: Sanitize;
    policy: FilePolicy;
    now: () => Date;
  }) {
    this.#stores = deps.stores;
    this.#consultations = deps.consultations;
    this.#thread = deps.thread;
    this.#files = deps.files;
    this.#events = deps.events;
    this.#sanitize = deps.sanitize;
    this.#policy = deps.policy;
    this.#now = deps.now;
  }

  /** Refuses, before it is read, an upload of this many bytes that cannot fit in the consultation's quota. */
  async checkRoom(appointmentId: AppointmentId, bytes: number): Promise<void> {
    if (bytes > this.#policy.maxBytes) throw tooLarge(this.#policy);
    if ((await this.#stores.thread.storedBytes(appointmentId)) + bytes > this.#policy.maxBytesPerConsultation) throw quotaExceeded();
  }

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
    if (staged.size > this.#policy.maxBytes) throw tooLarge(this.#policy);
    if (meta.requestId) await this.#thread.requestFor(sender.id, appointmentId, meta.requestId);
    const clean = await this.#sanitize(staged);
    if (clean.kind === 'pdf' && !acceptedFor(this.#policy, sender.role).includes('application/pdf')) {
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
    if (!(await this.#stores.thread.reserveBytes(appointmentId, file.size, this.#policy.maxBytesPerConsultation, ttl))) throw quotaExceeded();
    const release = () => this.#stores.thread.releaseBytes(appointmentId, file.size);
    const key = await this.#stores.thread.ensureKey(appointmentId, newKey(), ttl);
    // The backstop: files go when the appointment's records do, even if nobody presses End.
    await this.#stores.thread.schedulePurge(appointmentId, 'files', this.#now().getTime() + ttl * 1000, true);
    try {
      await this.#files.put(file, key, clean.bytes);
      await this.#stores.thread.putFile(file, ttl);
    } catch (e) {
      await this.#files.delete(file);
      await release();
      throw e;
    }
    if (await this.#thread.endedMeanwhile(appointmentId, 'files', this.#policy.retentionSeconds)) {
      await this.#files.delete(file);
      await release();
      throw new AppError('CONSULTATION_ENDED', 'This consultation has ended; the file was not shared.');
    }
    await this.#events.record('file.sent', appointmentId, by(sender, address), { subject: file.id, sha256: file.sha256 });
    return this.#thread.addFile(sender, file);
  }
}
