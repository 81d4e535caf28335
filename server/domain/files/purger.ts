// Deletes a consultation's shared content when it is due: at the end (or
// the configured retention after it), or, for a consultation nobody ended,
// when its records expire. Files go first by destroying their key (so any
// copy of the bytes anywhere is unreadable), then the bytes themselves, each
// deletion on the audit trail with the file's SHA-256. Due dates live in the
// store, so a restart, or another node, picks up what was scheduled.
import type { AppointmentId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { DomainBus, EventRecorder } from '../events.ts';
import type { Actor } from '../model.ts';
import type { ContentKind, Stores } from '../stores.ts';
import type { BlobStore } from './blob-store.ts';

export interface PurgePolicy {
  chatRetentionSeconds: number;
  filesRetentionSeconds: number;
  sweepSeconds: number;
}

const SYSTEM: Actor = { role: 'system', id: 'retention' };

export class ContentPurger {
  readonly #stores: Stores;
  readonly #blobs: BlobStore;
  readonly #events: EventRecorder;
  readonly #policy: PurgePolicy;
  readonly #now: () => Date;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | null = null;

  constructor(deps: { stores: Stores; blobs: BlobStore; events: EventRecorder; bus: DomainBus; policy: PurgePolicy; now: () => Date; logger: Logger }) {
    this.#stores = deps.stores;
    this.#blobs = deps.blobs;
    this.#events = deps.events;
    this.#policy = deps.policy;
    this.#now = deps.now;
    this.#log = deps.logger;
    deps.bus.on('consultationEnded', (appointmentId) => {
      void this.ended(appointmentId).catch((e: unknown) => this.#log.error({ err: e, appointmentId }, 'could not schedule deletion of shared content'));
    });
  }

  /** The consultation ended: its content is due now, or after the retention periods. */
  async ended(appointmentId: AppointmentId): Promise<void> {
    const now = this.#now().getTime();
    await this.#stores.thread.schedulePurge(appointmentId, 'messages', now + this.#policy.chatRetentionSeconds * 1000);
    await this.#stores.thread.schedulePurge(appointmentId, 'files', now + this.#policy.filesRetentionSeconds * 1000);
    await this.sweep();
  }

  /** Checks every sweepSeconds; the first sweep also clears leftovers of a crash. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.sweep(), this.#policy.sweepSeconds * 1000);
    this.#timer.unref();
    void this.sweep();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Runs every purge that is due, one sweep at a time. */
  sweep(): Promise<void> {
    this.#running ??= this.#sweepOnce().finally(() => (this.#running = null));
    return this.#running;
  }

  async #sweepOnce(): Promise<void> {
    try {
      for (;;) {
        const due = await this.#stores.thread.duePurges(this.#now().getTime(), 50);
        if (due.length === 0) break;
        for (const { appointmentId, kind } of due) await this.#purge(appointmentId, kind);
      }
      await this.#orphans();
    } catch (e) {
      this.#log.error({ err: e }, 'deleting shared content failed; will retry');
    }
  }

  async #purge(appointmentId: AppointmentId, kind: ContentKind): Promise<void> {
    if (kind === 'messages') {
      const items = await this.#stores.thread.items(appointmentId);
      await this.#stores.thread.purge(appointmentId, 'messages');
      if (items.length > 0) await this.#events.record('chat.deleted', appointmentId, SYSTEM);
      return;
    }
    const files = await this.#stores.thread.files(appointmentId);
    await this.#stores.thread.purge(appointmentId, 'files'); // the key goes here: what is left on disk is unreadable
    await this.#blobs.deleteAppointment(appointmentId);
    for (const f of files) await this.#events.record('file.deleted', appointmentId, SYSTEM, { subject: f.id, sha256: f.sha256 });
  }

  /** Bytes on disk whose key is gone (a crash between the two deletions, or a restart of the memory store). */
  async #orphans(): Promise<void> {
    for (const appointmentId of await this.#blobs.appointments()) {
      if (!(await this.#stores.thread.getKey(appointmentId))) await this.#blobs.deleteAppointment(appointmentId);
    }
  }
}
