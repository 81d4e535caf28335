// A Map whose entries expire: each entry carries its deadline and is dropped
// when a read finds it past (lazy expiry; there is no sweep). Values are held
// as given; the stores clone on the way in and on the way out.
export class ExpiringMap<K, V> {
  readonly #now: () => number;
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();

  constructor(now: () => number) {
    this.#now = now;
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() >= entry.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores the value for ttlMs from now; a key seen before keeps its place in iteration order. */
  set(key: K, value: V, ttlMs: number): void {
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
  }

  /** Replaces a live entry's value and keeps its deadline; false when there is none. */
  replace(key: K, value: V): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined || this.get(key) === undefined) return false;
    entry.value = value;
    return true;
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  /** Live values, in the order their keys were first set. */
  *values(): IterableIterator<V> {
    for (const key of [...this.#entries.keys()]) {
      const value = this.get(key);
      if (value !== undefined) yield value;
    }
  }
}
