// A typed set of listeners: how a model tells the views what changed, without
// knowing about them (no DOM events, so the models run under Node in tests).

export type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  readonly #listeners = new Map<keyof E, Set<(...args: never) => void>>();

  /** Adds a listener; the function returned removes it. */
  on<K extends keyof E>(event: K, fn: Listener<E[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    for (const fn of [...(this.#listeners.get(event) ?? [])]) (fn as unknown as Listener<E[K]>)(...args);
  }

  clear(): void {
    this.#listeners.clear();
  }
}
