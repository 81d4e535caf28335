// Failed-attempt counts for one node (see domain/access/failure-limiter.ts):
// a window per key, dropped when it ends; swept when the map grows large.
import type { FailureCounter } from '../../domain/access/failure-limiter.ts';

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
  async count(key: string): Promise<number> {
    return this.#live(key)?.count ?? 0;
  }
  async fail(key: string, windowSeconds: number): Promise<void> {
    const w = this.#live(key) ?? { count: 0, endsAt: this.#now() + windowSeconds * 1000 };
    w.count++;
    this.#windows.set(key, w);
    if (this.#windows.size > 100_000) this.#sweep();
  }
  async retryAfter(key: string, windowSeconds: number): Promise<number> {
    const w = this.#live(key);
    return w ? Math.max(1, Math.ceil((w.endsAt - this.#now()) / 1000)) : windowSeconds;
  }
  #sweep(): void {
    for (const k of this.#windows.keys()) this.#live(k);
  }
}
