// The consultation's thread: chat messages, photo requests and the files
// shared, and who may see each. Admitted people talk to everyone admitted;
// the clinician may also write to one person, including someone still in the
// waiting room, who can read it but not answer until admitted. A guest's
// files go only to the clinician. Content lives until the ContentPurger
// deletes it (at the end, or after the configured retention).
import { AppError } from '../core/errors.ts';
import { randomId, type AppointmentId, type FileId, type ItemId, type ParticipantId } from '../core/ids.ts';
import { cleanText } from '../core/text.ts';
import { participantActor as by } from './actors.ts';
import { closedAt, isClosed } from './appointment-state.ts';
import type { AppointmentService } from './appointments.ts';
import type { ConsultationService } from './consultation.ts';
import type { DomainBus, EventRecorder } from './events.ts';
import type { FileRecord, Participant, ThreadItem } from './model.ts';
import type { Stores } from './stores.ts';
import type { FileView, ThreadItemView } from '../wire/thread.ts';

export interface ThreadPolicy {
  maxTextLength: number;
  /** Seconds chat is kept after the end; also added to the backstop TTL. */
  retentionSeconds: number;
  /**
   * Messages one person may send per `burstWindowSeconds` (a stuck key, a
   * script), counted in the stores (stores.rates), so across every node.
   */
  burst: number;
  burstWindowSeconds: number;
}

export function fileView(f: FileRecord): FileView {
  return {
    id: f.id,
    name: f.name,
    mime: f.mime,
    kind: f.kind,
    size: f.size,
    sha256: f.sha256,
    removed: [...f.removed],
    ...(f.width !== undefined ? { width: f.width } : {}),
    ...(f.height !== undefined ? { height: f.height } : {}),
  };
}


export class ThreadService {
  readonly #stores: Stores;
  readonly #consultations: ConsultationService;
  readonly #appointments: AppointmentService;
  readonly #events: EventRecorder;
  readonly #bus: DomainBus;
  readonly #policy: ThreadPolicy;
  readonly #now: () => Date;

  constructor(deps: {
    stores: Stores;
    consultations: ConsultationService;
    appointments: AppointmentService;
    events: EventRecorder;
    bus: DomainBus;
    policy: ThreadPolicy;
    now: () => Date;
  }) {
    this.#stores = deps.stores;
    this.#consultations = deps.consultations;
    this.#appointments = deps.appointments;
    this.#events = deps.events;
    this.#bus = deps.bus;
    this.#policy = deps.policy;
    this.#now = deps.now;
  }

  get maxTextLength(): number {
    return this.#policy.maxTextLength;
  }

  /** Whether `viewer` may see the item: the clinician sees all; a note or file for one person is theirs and the sender's; the rest is for the admitted. */
  static visibleTo(item: ThreadItem, viewer: Participant): boolean {
    if (viewer.appointmentId !== item.appointmentId) return false;
    if (viewer.role === 'clinician') return true;
    if (item.to !== undefined) return viewer.id === item.to || (viewer.id === item.from && viewer.state === 'admitted');
    return viewer.state === 'admitted';
  }

  /**
   * One page of the thread as this participant may see it now, oldest first:
   * the latest `limit` items, or the `limit` before the item `before`; `more`
   * says whether older ones remain. An unknown `before` gives an empty page.
   */
  async list(participantId: ParticipantId, appointmentId: AppointmentId, page: { limit: number; before?: string }): Promise<{ items: ThreadItemView[]; more: boolean }> {
    const viewer = await this.#member(participantId, appointmentId);
    const visible = (await this.#stores.thread.items(appointmentId)).filter((i) => ThreadService.visibleTo(i, viewer));
    const end = page.before === undefined ? visible.length : visible.findIndex((i) => i.id === page.before);
    if (end < 0) return { items: [], more: false };
    const start = Math.max(0, end - page.limit);
    const slice = visible.slice(start, end);
    const files = slice.some((i) => i.fileId) ? new Map((await this.#stores.thread.files(appointmentId)).map((f) => [f.id, f])) : new Map<FileId, FileRecord>();
    const items = slice.flatMap((i) => {
      const v = this.viewOf(i, i.fileId ? files.get(i.fileId) : undefined);
      return v ? [v] : [];
    });
    return { items, more: start > 0 };
  }

  /** A chat message from `participantId`: to everyone admitted, or (the clinician only) to one person. */
  async send(participantId: ParticipantId, appointmentId: AppointmentId, rawText: string, to: ParticipantId | undefined, address?: string): Promise<ThreadItemView> {
    const text = cleanText(rawText, { multiline: true });
    if (text.length === 0) throw new AppError('BAD_REQUEST', 'The message is empty.', { details: [{ key: 'text', problem: 'empty' }] });
    if (text.length > this.#policy.maxTextLength) {
      throw new AppError('BAD_REQUEST', `A message holds at most ${this.#policy.maxTextLength} characters.`, { details: [{ key: 'text', problem: 'too long' }] });
    }
    const sender = await this.#consultations.requireAdmitted(participantId, appointmentId);
    if (to !== undefined) {
      if (sender.role !== 'clinician') throw new AppError('FORBIDDEN', 'Only the clinician can write to one person.');
      const target = await this.#stores.participants.get(to);
      if (!target || target.appointmentId !== appointmentId || (target.state !== 'waiting' && target.state !== 'admitted') || target.id === sender.id) {
        throw new AppError('NOT_IN_CONSULTATION', 'That person is not waiting or in the call.');
      }
    }
    await this.#throttle(sender.id);
    const item = this.#item(sender, appointmentId, 'text', { text, ...(to ? { to } : {}) });
    await this.#append(item);
    await this.#events.record('chat.sent', appointmentId, by(sender, address), to ? { subject: to } : {});
    this.#bus.safeEmit('threadItem', item);
    return this.viewOf(item)!;
  }

  /**
   * A note from the clinic's waiting area (the clinician, or a coordinator,
   * who need not be in the consultation) to someone waiting: only they and
   * the clinician see it, as with the clinician's own notes. `from` is the
   * sender's place in the consultation, or a fresh id when they have none.
   * The caller checks who may send it and audits it.
   */
  async noteToWaiting(appointmentId: AppointmentId, to: ParticipantId, rawText: string, from: { id: ParticipantId; name: string }): Promise<ThreadItemView> {
    const text = cleanText(rawText, { multiline: true });
    if (text.length === 0) throw new AppError('BAD_REQUEST', 'The message is empty.', { details: [{ key: 'text', problem: 'empty' }] });
    if (text.length > this.#policy.maxTextLength) {
      throw new AppError('BAD_REQUEST', `A message holds at most ${this.#policy.maxTextLength} characters.`, { details: [{ key: 'text', problem: 'too long' }] });
    }
    const target = await this.#stores.participants.get(to);
    if (!target || target.appointmentId !== appointmentId || target.state !== 'waiting') throw new AppError('NOT_IN_CONSULTATION', 'That person is not waiting.');
    await this.#throttle(to);
    const item: ThreadItem = { id: randomId<ItemId>(), appointmentId, at: this.#now().toISOString(), kind: 'text', from: from.id, fromRole: 'clinician', fromName: from.name, to, text };
    await this.#append(item);
    this.#bus.safeEmit('threadItem', item);
    return this.viewOf(item)!;
  }

  /** The clinician asks an admitted guest for a photo. */
  async requestPhoto(clinicianParticipantId: ParticipantId, appointmentId: AppointmentId, from: ParticipantId, address?: string): Promise<ThreadItemView> {
    const clinician = await this.#consultations.requireAdmitted(clinicianParticipantId, appointmentId);
    if (clinician.role !== 'clinician') throw new AppError('FORBIDDEN', 'Only the clinician can ask for a photo.');
    const target = await this.#stores.participants.get(from);
    if (!target || target.appointmentId !== appointmentId || target.role === 'clinician') throw new AppError('NOT_IN_CONSULTATION', 'That person is not in this consultation.');
    if (target.state !== 'admitted') throw new AppError('NOT_ADMITTED', 'That person is not in the call, so they cannot send a photo.');
    await this.#throttle(clinician.id);
    const item = this.#item(clinician, appointmentId, 'photo-request', { to: target.id });
    await this.#append(item);
    await this.#events.record('file.requested', appointmentId, by(clinician, address), { subject: target.id });
    this.#bus.safeEmit('threadItem', item);
    return this.viewOf(item)!;
  }

  /** The open photo request `requestId`, addressed to this participant; throws otherwise. */
  async requestFor(participantId: ParticipantId, appointmentId: AppointmentId, requestId: ItemId): Promise<ThreadItem> {
    const found = (await this.#stores.thread.items(appointmentId)).find((i) => i.id === requestId);
    if (!found || found.kind !== 'photo-request' || found.to !== participantId) throw new AppError('NOT_FOUND', 'That photo request is not for you.');
    return found;
  }

  /** Puts a stored file on the thread: a guest's for the clinician only, the clinician's for everyone admitted. */
  async addFile(sender: Participant, file: FileRecord): Promise<ThreadItemView> {
    let to: ParticipantId | undefined;
    if (sender.role !== 'clinician') {
      const clinician = (await this.#stores.participants.listForAppointment(file.appointmentId)).find((p) => p.role === 'clinician');
      if (!clinician) throw new AppError('NOT_IN_CONSULTATION', 'The clinician is not in this consultation.');
      to = clinician.id;
    }
    const item = this.#item(sender, file.appointmentId, 'file', {
      fileId: file.id,
      ...(to ? { to } : {}),
      ...(file.requestId ? { requestId: file.requestId } : {}),
    });
    await this.#append(item);
    this.#bus.safeEmit('threadItem', item);
    return this.viewOf(item, file)!;
  }

  /** The thread item that shared this file, if the viewer may see it; throws NOT_FOUND otherwise. */
  async itemForFile(viewer: Participant, fileId: FileId): Promise<ThreadItem> {
    const item = (await this.#stores.thread.items(viewer.appointmentId)).find((i) => i.fileId === fileId);
    if (!item || !ThreadService.visibleTo(item, viewer)) throw new AppError('NOT_FOUND', 'That file is not available.');
    return item;
  }

  /** The view of a new item for delivery (with its file, for a file item). */
  async viewForDelivery(item: ThreadItem): Promise<ThreadItemView | null> {
    const file = item.fileId ? await this.#stores.thread.getFile(item.fileId) : undefined;
    return this.viewOf(item, file ?? undefined);
  }

  /** The wire view; null for a file item whose file is gone. */
  viewOf(item: ThreadItem, file?: FileRecord): ThreadItemView | null {
    if (item.kind === 'file' && !file) return null;
    return {
      id: item.id,
      at: item.at,
      kind: item.kind,
      from: { id: item.from, role: item.fromRole, name: item.fromName },
      ...(item.to ? { to: item.to } : {}),
      ...(item.text !== undefined ? { text: item.text } : {}),
      ...(file ? { file: fileView(file) } : {}),
      ...(item.requestId ? { requestId: item.requestId } : {}),
    };
  }

  /** Seconds a piece of this appointment's content may be kept at most (the backstop when nobody presses End). */
  async ttlFor(appointmentId: AppointmentId, retentionSeconds: number): Promise<number> {
    return this.#appointments.ttlFor(await this.#appointments.get(appointmentId)) + retentionSeconds;
  }

  async #member(participantId: ParticipantId, appointmentId: AppointmentId): Promise<Participant> {
    const p = await this.#stores.participants.get(participantId);
    if (!p || p.appointmentId !== appointmentId) throw new AppError('NOT_IN_CONSULTATION');
    return p;
  }

  #item(sender: Participant, appointmentId: AppointmentId, kind: ThreadItem['kind'], extra: Partial<ThreadItem>): ThreadItem {
    return {
      id: randomId<ItemId>(),
      appointmentId,
      at: this.#now().toISOString(),
      kind,
      from: sender.id,
      fromRole: sender.role,
      fromName: sender.name,
      ...extra,
    };
  }

  async #append(item: ThreadItem): Promise<void> {
    const ttl = await this.ttlFor(item.appointmentId, this.#policy.retentionSeconds);
    await this.#stores.thread.append(item, ttl);
    await this.#stores.thread.schedulePurge(item.appointmentId, 'messages', this.#now().getTime() + ttl * 1000, true);
    if (await this.endedMeanwhile(item.appointmentId, 'messages', this.#policy.retentionSeconds)) throw new AppError('CONSULTATION_ENDED');
  }

  /**
   * Whether the consultation ended while a step was under way (after its
   * admission check, before its write): then its purge may already have run,
   * so what was just written is scheduled again, for the end plus retention.
   */
  async endedMeanwhile(appointmentId: AppointmentId, kind: 'messages' | 'files', retentionSeconds: number): Promise<boolean> {
    const a = await this.#stores.appointments.get(appointmentId);
    if (!a || !isClosed(a)) return false;
    const at = closedAt(a);
    const endedAt = at ? Date.parse(at) : this.#now().getTime();
    await this.#stores.thread.schedulePurge(appointmentId, kind, endedAt + retentionSeconds * 1000);
    return true;
  }

  /** Counts one message of this person's; RATE_LIMITED (until their window ends) past the burst. One store round trip. */
  async #throttle(id: ParticipantId): Promise<void> {
    const { count, retryAfterSeconds } = await this.#stores.rates.hit(`chat:${id}`, this.#policy.burstWindowSeconds);
    if (count > this.#policy.burst) throw new AppError('RATE_LIMITED', 'Too many messages at once; wait a moment.', { retryAfterSeconds });
  }
}
