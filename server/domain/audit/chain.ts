// Appends to a trust's hash chain, in batches. Entries that arrive while a
// batch is in flight (or in the same tick as the first) wait together and go
// to the store as the next batch: sealed in the order append() was called, on
// the head this process knows, and sent as one compare-and-append, so a burst
// of N entries costs a few round trips rather than N. Appends from other
// nodes are caught by the store's compare-and-append: the whole batch is
// rebuilt on the head the store reports and tried again, at once the first
// time, then after a short random pause (growing to 100 ms), so that a node
// with a long queue cannot keep another out.
import { AppError } from '../../core/errors.ts';
import type { EventStore } from '../stores.ts';
import { seal, type AuditEntry, type AuditRecord, type ChainHead } from './record.ts';

export const DEFAULT_MAX_ATTEMPTS = 20;
/** Bounds one store call however many entries are waiting. */
export const DEFAULT_MAX_BATCH = 100;
const MAX_PAUSE_MS = 100;

const pause = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(MAX_PAUSE_MS, 2 ** attempt)));

interface Waiting {
  entry: AuditEntry;
  resolve: (record: AuditRecord) => void;
  reject: (err: unknown) => void;
}

export interface AuditChainOptions {
  /** Compare-and-appends a batch may lose to other nodes before it fails with UNAVAILABLE. */
  maxAttempts?: number;
  /** Most records in one store call. */
  maxBatch?: number;
}

export class AuditChain {
  readonly #store: EventStore;
  readonly #maxAttempts: number;
  readonly #maxBatch: number;
  /** The head after this process's last append; null when it must be read again. */
  #head: ChainHead | null = null;
  #waiting: Waiting[] = [];
  #draining = false;

  constructor(store: EventStore, opts: AuditChainOptions = {}) {
    this.#store = store;
    this.#maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.#maxBatch = Math.max(1, opts.maxBatch ?? DEFAULT_MAX_BATCH);
  }

  /**
   * Appends the entry as the chain's next record and resolves with that
   * record; rejects with the error of the batch it went in.
   */
  append(entry: AuditEntry): Promise<AuditRecord> {
    return new Promise<AuditRecord>((resolve, reject) => {
      this.#waiting.push({ entry, resolve, reject });
      if (this.#draining) return;
      this.#draining = true;
      // A microtask later, so the callers of this tick join the first batch.
      queueMicrotask(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      try {
        const records = await this.#appendBatch(batch.map((w) => w.entry));
        batch.forEach((w, i) => w.resolve(records[i]!));
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    }
    this.#draining = false;
  }

  async #appendBatch(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      let records: AuditRecord[];
      let outcome;
      try {
        let head = this.#head ?? (await this.#store.head());
        records = entries.map((entry) => (head = seal(entry, head)));
        outcome = await this.#store.appendBatch(records);
      } catch (e) {
        // The batch may or may not have been appended: read the head next time.
        this.#head = null;
        throw e;
      }
      if (outcome.appended) {
        const last = records.at(-1)!;
        this.#head = { seq: last.seq, hash: last.hash };
        return records;
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
