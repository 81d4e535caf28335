// A node's copy of each clinician's running-late notice, so pushing a view
// does not read it from the store every time. Dropped whenever the bus says it
// may have changed: 'runningLate' (that clinician's notice was set or cleared;
// the cluster bus replays other nodes' too) and 'viewsStale' (what people are
// shown changed outside their appointment), both published after the store
// write. A notice can also expire in the store without an event, so an entry
// is read again once it is older than maxAgeMs.
import type { DomainBus } from './events.ts';
import type { RunningLateRecord } from './model.ts';

/** How long a copy is used before it is read again (a notice may expire in the store unannounced). */
const MAX_AGE_MS = 30_000;
/** Above this many clinicians the copies are all dropped (a bound, not a working size). */
const MAX_ENTRIES = 10_000;

interface Entry {
  record: RunningLateRecord | null;
  readAt: number;
}

export class RunningLateCache {
  readonly #read: (clinicianIds: readonly string[]) => Promise<RunningLateRecord[]>;
  readonly #now: () => number;
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry>();
  /** Reads under way, shared by callers asking for the same clinician meanwhile. */
  readonly #reading = new Map<string, Promise<RunningLateRecord | null>>();
  /** Bumped by every drop: a read that began before it is not kept (it may predate the change). */
  #generation = 0;

  /** `read`: the store's ClinicStore.runningLate; `bus`: the domain bus whose events drop copies. */
  constructor(deps: {
    read: (clinicianIds: readonly string[]) => Promise<RunningLateRecord[]>;
    bus: DomainBus;
    now: () => number;
    maxAgeMs?: number;
    maxEntries?: number;
  }) {
    this.#read = deps.read;
    this.#now = deps.now;
    this.#maxAgeMs = deps.maxAgeMs ?? MAX_AGE_MS;
    this.#maxEntries = deps.maxEntries ?? MAX_ENTRIES;
    deps.bus.on('runningLate', (clinicianId) => this.#drop(clinicianId));
    deps.bus.on('viewsStale', () => this.clear());
  }

  /** The clinician's notice in force (null: none), from the copy when it is fresh enough. */
  of(clinicianId: string): Promise<RunningLateRecord | null> {
    const now = this.#now();
    const entry = this.#entries.get(clinicianId);
    // A clock that went back counts as stale too.
    if (entry && now >= entry.readAt && now - entry.readAt < this.#maxAgeMs) return Promise.resolve(entry.record);
    const reading = this.#reading.get(clinicianId);
    if (reading) return reading;
    const generation = this.#generation;
    const read = this.#read([clinicianId]).then(
      (found) => {
        const record = found.find((r) => r.clinicianId === clinicianId) ?? null;
        if (this.#generation === generation) {
          this.#reading.delete(clinicianId);
          if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
          this.#entries.set(clinicianId, { record, readAt: now });
        }
        return record;
      },
      (e: unknown) => {
        if (this.#generation === generation) this.#reading.delete(clinicianId);
        throw e;
      },
    );
    this.#reading.set(clinicianId, read);
    return read;
  }

  /** Drops every copy (and forgets reads under way). */
  clear(): void {
    this.#generation++;
    this.#entries.clear();
    this.#reading.clear();
  }

  /** Clinicians with a copy now (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  #drop(clinicianId: string): void {
    // Other clinicians' reads under way stay valid, but one generation serves them all: simpler to let them re-read.
    this.#generation++;
    this.#entries.delete(clinicianId);
    this.#reading.clear();
  }
}
