// Repeated failures from one address (bad tokens, unknown ids, wrong API keys,
// unknown session cookies, wrong metrics tokens) are what guessing looks like.
// After maxFailures in a window, every further request from that address is
// refused with 429 and Retry-After until the window ends.
//
// An attempt takes its place on arrival, synchronously, among this node's
// attempts in flight from that address, and is let through only if the
// address's failures plus its place stay within the limit: a burst of
// concurrent guesses cannot all pass the check before any of them is counted.
// A failure's count is sent to the store (shared through Redis when the
// server runs on Redis: server/stores/{memory,redis}/failure-counter.ts) in
// the same turn as its place is given up, and the store answers commands in
// the order they were sent, so an attempt's read counts every failure exactly
// once: in its place or in the store. A success costs one read and nothing
// else. On several nodes, attempts in flight on other nodes
// are not seen: a burst spread over k nodes can pass k times the limit once,
// and then every node refuses on the shared failures.
import { AppError } from '../../core/errors.ts';

export interface FailureCounter {
  /** Failures counted in the key's current window (0 when none is open). */
  count(key: string): Promise<number>;
  /** Counts one failure; the first one opens a window of windowSeconds. */
  fail(key: string, windowSeconds: number): Promise<void>;
  /** Seconds until the key's window ends (at least 1): for Retry-After. */
  retryAfter(key: string, windowSeconds: number): Promise<number>;
}

export interface FailureLimitOptions {
  maxFailures: number;
  windowSeconds: number;
}

/** One attempt let through: settle it once its outcome is known (each call after the first does nothing). */
export interface FailureAttempt {
  /** Not a failure: its place is given back. */
  succeeded(): void;
  /** A failure: counted for the address as its place is given back. Never throws (a count lost to a store error is logged by the store's client). */
  failed(): Promise<void>;
}

export class FailureLimiter {
  readonly #counter: FailureCounter;
  readonly #opts: FailureLimitOptions;
  readonly #onLimited: (address: string) => void;
  /** Attempts in flight on this node, per address (gone at zero). */
  readonly #inFlight = new Map<string, number>();
  /** Addresses already reported in their current window (reported once, not per request). */
  readonly #reported = new Map<string, number>();

  /** `onLimited` runs once per address per window: for the log and the audit trail. */
  constructor(counter: FailureCounter, opts: FailureLimitOptions, onLimited: (address: string) => void = () => undefined) {
    this.#counter = counter;
    this.#opts = opts;
    this.#onLimited = onLimited;
  }

  /**
   * Takes an attempt's place before any work is done. Throws RATE_LIMITED
   * (with Retry-After) when the address is over its limit (its failures plus
   * the attempts ahead of this one still in flight); otherwise the caller
   * settles the attempt.
   */
  async attempt(address: string): Promise<FailureAttempt> {
    const place = (this.#inFlight.get(address) ?? 0) + 1;
    this.#inFlight.set(address, place);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const n = (this.#inFlight.get(address) ?? 1) - 1;
      if (n > 0) this.#inFlight.set(address, n);
      else this.#inFlight.delete(address);
    };
    let failures: number;
    try {
      failures = await this.#counter.count(address);
    } catch (e) {
      release();
      throw e;
    }
    if (failures + place > this.#opts.maxFailures) {
      // A refused request does no work and is no failure: it only held its place while deciding.
      release();
      const retryAfterSeconds = await this.#counter.retryAfter(address, this.#opts.windowSeconds).catch(() => this.#opts.windowSeconds);
      this.#report(address, retryAfterSeconds);
      throw new AppError('RATE_LIMITED', 'Too many failed attempts from this address; try again later.', { retryAfterSeconds });
    }
    let settled = false;
    return {
      succeeded: () => {
        if (settled) return;
        settled = true;
        release();
      },
      failed: async () => {
        if (settled) return;
        settled = true;
        // The count is sent and the place given up in the same turn: an attempt that arrived
        // before now holds this one in its place and reads the failures without it (its read
        // was sent first); one arriving after reads them with it. Counted once either way.
        const counted = this.#counter.fail(address, this.#opts.windowSeconds);
        release();
        await counted.catch(() => undefined);
      },
    };
  }

  #report(address: string, retryAfterSeconds: number): void {
    const now = Date.now();
    if ((this.#reported.get(address) ?? 0) > now) return;
    this.#reported.set(address, now + retryAfterSeconds * 1000);
    if (this.#reported.size > 10_000) for (const [k, until] of this.#reported) if (until <= now) this.#reported.delete(k);
    this.#onLimited(address);
  }
}
