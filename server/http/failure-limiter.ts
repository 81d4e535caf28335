// Repeated failures from one address (bad tokens, unknown ids, wrong API keys,
// unknown session cookies) are what guessing looks like. After maxFailures in
// a window, every further request from that address is refused with 429 and
// Retry-After until the window ends. Counting is per node in memory, or shared
// through Redis (INCR + EXPIRE) when the server runs on Redis.
import type { Redis } from 'ioredis';
import { AppError } from '../core/errors.ts';

export interface FailureCounter {
  /** Counts one failure; returns the count in the current window. */
  hit(key: string, windowSeconds: number): Promise<number>;
  /** The current count and the seconds until the window ends. */
  peek(key: string): Promise<{ count: number; retryAfterSeconds: number }>;
}

export class MemoryFailureCounter implements FailureCounter {
  readonly #windows = new Map<string, { count: number; endsAt: number }>();
  readonly #now: () => number;
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }
  #live(key: string) {
    const w = this.#windows.get(key);
    if (w && w.endsAt <= this.#now()) {
      this.#windows.delete(key);
      return undefined;
    }
    return w;
  }
  async hit(key: string, windowSeconds: number): Promise<number> {
    const w = this.#live(key) ?? { count: 0, endsAt: this.#now() + windowSeconds * 1000 };
    w.count++;
    this.#windows.set(key, w);
    if (this.#windows.size > 100_000) this.#sweep();
    return w.count;
  }
  async peek(key: string): Promise<{ count: number; retryAfterSeconds: number }> {
    const w = this.#live(key);
    return w ? { count: w.count, retryAfterSeconds: Math.max(1, Math.ceil((w.endsAt - this.#now()) / 1000)) } : { count: 0, retryAfterSeconds: 0 };
  }
  #sweep(): void {
    for (const k of this.#windows.keys()) this.#live(k);
  }
}

export class RedisFailureCounter implements FailureCounter {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix = 'cr:fail:') {
    this.#redis = redis;
    this.#prefix = prefix;
  }
  async hit(key: string, windowSeconds: number): Promise<number> {
    const k = this.#prefix + key;
    const [[, count]] = (await this.#redis.multi().incr(k).expire(k, windowSeconds, 'NX').exec()) as [[Error | null, number]];
    return count;
  }
  async peek(key: string): Promise<{ count: number; retryAfterSeconds: number }> {
    const k = this.#prefix + key;
    const [[, count], [, ttl]] = (await this.#redis.multi().get(k).ttl(k).exec()) as [[Error | null, string | null], [Error | null, number]];
    return { count: Number(count ?? 0), retryAfterSeconds: Math.max(1, ttl) };
  }
}

export interface FailureLimitOptions {
  maxFailures: number;
  windowSeconds: number;
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

  /** Throws RATE_LIMITED (with Retry-After) while this address is over its limit. */
  async check(address: string): Promise<void> {
    const { count, retryAfterSeconds } = await this.#counter.peek(address);
    if (count >= this.#opts.maxFailures) {
      const now = Date.now();
      if ((this.#reported.get(address) ?? 0) <= now) {
        this.#reported.set(address, now + retryAfterSeconds * 1000);
        if (this.#reported.size > 10_000) for (const [k, until] of this.#reported) if (until <= now) this.#reported.delete(k);
        this.#onLimited(address);
      }
      throw new AppError('RATE_LIMITED', 'Too many failed attempts from this address; try again later.', { retryAfterSeconds });
    }
  }

  async fail(address: string): Promise<void> {
    await this.#counter.hit(address, this.#opts.windowSeconds);
  }
}
