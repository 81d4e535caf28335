// How the client retries: which refusals are "not now" rather than "no", the
// delays between attempts (exponential, capped, with jitter so a restarted
// server is not hit by every page at the same instant), and the timings of
// connection and media recovery. Plain values and a small class: no timers here.
import { RETRYABLE_CODES } from '../../../server/wire/retryable.ts';

/** Not back after this long: the page says so plainly and offers one button (rejoin). */
export const RECONNECT_GIVE_UP_MS = 120_000;

export interface RecoveryTiming {
  /** connection('lost') after this long without being back. */
  giveUpMs: number;
  /** A transport's ICE 'disconnected' for this long counts as trouble ('failed' counts at once). */
  iceDisconnectedMs: number;
  /** After an ICE restart, the transports must be connected within this, or the media session is rebuilt. */
  iceRecoverMs: number;
  /** The quick request that checks the socket still answers before an ICE restart. */
  verifyTimeoutMs: number;
  /** First retry delay (connect refusals, media set-up, ICE recoveries); doubles up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const RECOVERY_TIMING: RecoveryTiming = {
  giveUpMs: RECONNECT_GIVE_UP_MS,
  iceDisconnectedMs: 2_000,
  iceRecoverMs: 10_000,
  verifyTimeoutMs: 2_000,
  retryBaseMs: 500,
  retryMaxMs: 4_000,
};

const RETRYABLE = new Set<string>([...RETRYABLE_CODES, 'TIMEOUT']);

/** A server refusal to retry later (RETRYABLE_CODES), or the client's own rpc timeout. */
export function isRetryable(code: string): boolean {
  return RETRYABLE.has(code);
}

/** Exponential delays, capped, each shortened by up to half at random. */
export class Backoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempts = 0;

  constructor(baseMs: number, maxMs: number, random: () => number = Math.random) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
    this.#random = random;
  }

  get attempts(): number {
    return this.#attempts;
  }

  /** The delay before the next attempt (ms). */
  next(): number {
    const capped = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(this.#attempts, 16));
    this.#attempts++;
    return Math.round(capped * (1 - this.#random() / 2));
  }

  reset(): void {
    this.#attempts = 0;
  }
}
