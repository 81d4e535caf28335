// The clinician keeps a shared file: Save hands the page a sidecar to store
// beside it; Deliver sends the file and its sidecar to the trust's record
// system. Both are clinician-only and on the audit trail.
import { AppError } from '../../core/errors.ts';
import type { AppointmentId, FileId, ParticipantId } from '../../core/ids.ts';
import { participantActor as by } from '../actors.ts';
import type { ConsultationService } from '../consultation.ts';
import type { EventRecorder } from '../events.ts';
import type { FileRecord, Participant } from '../model.ts';
import type { RecordSidecar } from '../../wire/thread.ts';
import type { StoredFiles } from './stored-files.ts';

/** The trust's record system (a signed webhook, server/integrations/record-webhook.ts). */
export interface RecordSink {
  deliver(sidecar: RecordSidecar, bytes: Buffer): Promise<void>;
}

export class RecordDelivery {
  readonly #consultations: ConsultationService;
  readonly #files: StoredFiles;
  readonly #events: EventRecorder;
  readonly #sink: RecordSink | null;
  readonly #now: () => Date;

  constructor(deps: { consultations: ConsultationService; files: StoredFiles; events: EventRecorder; recordSink: RecordSink | null; now: () => Date }) {
    this.#consultations = deps.consultations;
    this.#files = deps.files;
    this.#events = deps.events;
    this.#sink = deps.recordSink;
    this.#now = deps.now;
  }

  get configured(): boolean {
    return this.#sink !== null;
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
    const bytes = await this.#files.read(file);
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

  async #clinicianFile(participantId: ParticipantId, appointmentId: AppointmentId, fileId: FileId): Promise<{ clinician: Participant; file: FileRecord }> {
    const clinician = await this.#consultations.requireAdmitted(participantId, appointmentId);
    if (clinician.role !== 'clinician') throw new AppError('FORBIDDEN', 'Only the clinician can save to the record.');
    return { clinician, file: await this.#files.visible(clinician, fileId) };
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
