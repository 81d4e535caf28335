// Appends to a trust's hash chain. Appends from this process queue behind each
// other; appends from other nodes are caught by the store's compare-and-append,
// and the record is rebuilt on the head the store reports and tried again:
// at once the first time, then after a short random pause (growing to 100 ms),
// so that a node with a long queue cannot keep another out.
import { AppError } from '../../core/errors.ts';
import type { EventStore } from '../stores.ts';
import { seal, type AuditEntry, type AuditRecord, type ChainHead } from './record.ts';

export const DEFAULT_MAX_ATTEMPTS = 20;
const MAX_PAUSE_MS = 100;

const pause = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(MAX_PAUSE_MS, 2 ** attempt)));

export class AuditChain {
  readonly #store: EventStore;
  readonly #maxAttempts: number;
  /** The head after this process's last append; null when it must be read again. */
  #head: ChainHead | null = null;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(store: EventStore, opts: { maxAttempts?: number } = {}) {
    this.#store = store;
    this.#maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  /** Appends the entry as the chain's next record and resolves with that record. */
  append(entry: AuditEntry): Promise<AuditRecord> {
    const run = this.#tail.then(() => this.#appendNow(entry));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #appendNow(entry: AuditEntry): Promise<AuditRecord> {
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const head = this.#head ?? (await this.#store.head());
      const record = seal(entry, head);
      let outcome;
      try {
        outcome = await this.#store.append(record);
      } catch (e) {
        // The append may or may not have happened: read the head next time.
        this.#head = null;
        throw e;
      }
      if (outcome.appended) {
        this.#head = { seq: record.seq, hash: record.hash };
        return record;
      }
      this.#head = outcome.head;
      if (attempt > 1 && attempt < this.#maxAttempts) await pause(attempt);
    }
    this.#head = null;
    throw new AppError('UNAVAILABLE', 'The audit trail is busy; try again.', {
      cause: new Error(`audit append lost the race ${String(this.#maxAttempts)} times`),
    });
  }
}
