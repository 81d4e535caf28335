// Who may fetch a shared file, and how: a request's session cookies stand for
// participants; a short-lived URL grant is bound to one participant and
// re-checked on every fetch; each participant's first view and fetch of a
// file goes on the audit trail once.
import { randomBytes } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { AppointmentId, FileId, ParticipantId } from '../../core/ids.ts';
import { participantActor as by } from '../actors.ts';
import type { ConsultationService } from '../consultation.ts';
import type { EventRecorder } from '../events.ts';
import type { FileRecord, Participant } from '../model.ts';
import type { SeenWay, Stores } from '../stores.ts';
import type { ThreadService } from '../thread.ts';
import type { FilePolicy } from './policy.ts';
import { gone, type StoredFiles } from './stored-files.ts';

/** Who is asking over HTTP, from the request's session cookie. */
export type Requester = { kind: 'guest'; participantId: ParticipantId } | { kind: 'clinician'; clinicianId: string };

export interface FetchedFile {
  file: FileRecord;
  bytes: Buffer;
  download: boolean;
}

export class FileGrants {
  readonly #stores: Stores;
  readonly #consultations: ConsultationService;
  readonly #thread: ThreadService;
  readonly #files: StoredFiles;
  readonly #events: EventRecorder;
  readonly #policy: FilePolicy;
  readonly #now: () => Date;

  constructor(deps: {
    stores: Stores;
    consultations: ConsultationService;
    thread: ThreadService;
    files: StoredFiles;
    events: EventRecorder;
    policy: FilePolicy;
    now: () => Date;
  }) {
    this.#stores = deps.stores;
    this.#consultations = deps.consultations;
    this.#thread = deps.thread;
    this.#files = deps.files;
    this.#events = deps.events;
    this.#policy = deps.policy;
    this.#now = deps.now;
  }

  /** The admitted participant the sessions stand for in this appointment (see FileService.admittedSender). */
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

  /** The participant a session cookie stands for in this appointment; null when it stands for none. */
  async participantFor(who: Requester, appointmentId: AppointmentId): Promise<Participant | null> {
    if (who.kind === 'guest') {
      const p = await this.#stores.participants.get(who.participantId);
      return p && p.appointmentId === appointmentId ? p : null;
    }
    const all = await this.#stores.participants.listForAppointment(appointmentId);
    return all.find((p) => p.role === 'clinician' && p.clinicianId === who.clinicianId) ?? null;
  }

  /** A URL for one participant to fetch one file, for urlTtlSeconds. */
  async url(participantId: ParticipantId, appointmentId: AppointmentId, fileId: FileId, download: boolean): Promise<{ url: string; expiresAt: string }> {
    const viewer = await this.#consultations.requireAdmitted(participantId, appointmentId);
    await this.#files.visible(viewer, fileId);
    const token = randomBytes(32).toString('base64url');
    await this.#stores.thread.grant(token, { fileId, participantId: viewer.id, ...(download ? { download: true } : {}) }, this.#policy.urlTtlSeconds);
    const expiresAt = new Date(this.#now().getTime() + this.#policy.urlTtlSeconds * 1000).toISOString();
    return { url: `/api/v1/files/${token}`, expiresAt };
  }

  /** The bytes behind a URL (see FileService.fetch): anything wrong answers NOT_FOUND. */
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
    const bytes = await this.#files.read(file);
    await this.#recordOnce('received', file, viewer, address);
    return { file, bytes, download: grant.download === true };
  }

  /** The page displayed the file (or opened it): on the audit trail, the first time for each participant. */
  async viewed(participantId: ParticipantId, appointmentId: AppointmentId, fileId: FileId, address?: string): Promise<void> {
    const viewer = await this.#consultations.requireAdmitted(participantId, appointmentId);
    const file = await this.#files.visible(viewer, fileId);
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
}
