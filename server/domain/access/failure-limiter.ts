// Repeated failures from one address (bad tokens, unknown ids, wrong API keys,
// unknown session cookies, wrong metrics tokens) are what guessing looks like.
// After maxFailures in a window, every further request from that address is
// refused with 429 and Retry-After until the window ends.
//
// Every attempt is counted on arrival, atomically, and refunded when it turns
// out not to be a failure. Checking first and counting after the answer would
// let a burst of concurrent guesses all pass the check before any of them is
// counted. Counting is per node in memory, or shared through Redis when the
// server runs on Redis (server/stores/{memory,redis}/failure-counter.ts).
import { AppError } from '../../core/errors.ts';

export interface FailureCounter {
  /** Counts one attempt; returns the count in the current window and the seconds until it ends. */
  hit(key: string, windowSeconds: number): Promise<{ count: number; retryAfterSeconds: number }>;
  /** Takes one attempt back; at zero the window is gone, so the next failure starts a full one. */
  refund(key: string): Promise<void>;
}

export interface FailureLimitOptions {
  maxFailures: number;
  windowSeconds: number;
}

/** One counted attempt: refund it once the request turned out not to be a failure. */
export interface FailureAttempt {
  /** Idempotent; never throws (a refund lost to a store error only errs on the safe side). */
  refund(): Promise<void>;
}

export class FailureLimiter {
  readonly #counter: FailureCounter;
  readonly #opts: FailureLimitOptions;
  readonly #onLimited: (address: string) => void;
  /** Addresses already reported in their current window (reported once, not per request). */
  readonly #reported = new Map<string, number>();

  /** `onLimited` runs once per address per window: for the log and the audit trail. */
  constructor(counter: FailureCounter, opts: FailureLimitOptions, onLimited: (address: string) => void = () => undefined) {
    this.#counter = counter;
    this.#opts = opts;
    this.#onLimited = onLimited;
  }

  /**
   * Counts an attempt from this address before any work is done. Throws
   * RATE_LIMITED (with Retry-After) when the address is over its limit (its
   * failures plus its attempts still in flight); otherwise the caller refunds
   * the attempt when it turns out not to be a failure.
   */
  async attempt(address: string): Promise<FailureAttempt> {
    const { count, retryAfterSeconds } = await this.#counter.hit(address, this.#opts.windowSeconds);
    if (count > this.#opts.maxFailures) {
      // A refused request does no work and is no failure: it only held its place while deciding.
      await this.#counter.refund(address).catch(() => undefined);
      this.#report(address, retryAfterSeconds);
      throw new AppError('RATE_LIMITED', 'Too many failed attempts from this address; try again later.', { retryAfterSeconds });
    }
    let refunded = false;
    return {
      refund: async () => {
        if (refunded) return;
        refunded = true;
        await this.#counter.refund(address).catch(() => undefined);
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
