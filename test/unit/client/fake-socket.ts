// A stand-in for the client's socket.io connection: records what the client
// asks, answers each request from a table, and lets a test play the server's events.
import type { AppSocket } from '../../../client/src/net/rpc.ts';

type Handler = (...args: unknown[]) => void;
type Answer = (payload: unknown) => unknown;

export class ServerRefusal {
  readonly code: string;
  readonly message: string;
  constructor(code: string, message = '') {
    this.code = code;
    this.message = message;
  }
}

export class FakeSocket {
  connected = false;
  active = true;
  closed = false;
  readonly requests: { name: string; payload: unknown }[] = [];
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #answers = new Map<string, Answer>();

  /** How the server answers `name` (a ServerRefusal answers with an error). */
  answer(name: string, fn: Answer): this {
    this.#answers.set(name, fn);
    return this;
  }

  on(event: string, fn: Handler): this {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    set.add(fn);
    return this;
  }

  removeAllListeners(): this {
    this.#handlers.clear();
    return this;
  }

  close(): this {
    this.closed = true;
    this.connected = false;
    return this;
  }

  timeout(_ms: number): { emit(name: string, payload: unknown, cb: (err: Error | null, reply: unknown) => void): void } {
    return {
      emit: (name, payload, cb) => {
        this.requests.push({ name, payload });
        const fn = this.#answers.get(name);
        void Promise.resolve()
          .then(() => (fn ? fn(payload) : new ServerRefusal('NOT_ANSWERED', name)))
          .then((data) => cb(null, data instanceof ServerRefusal ? { ok: false, error: { code: data.code, message: data.message } } : { ok: true, data }));
      },
    };
  }

  /** The server (or socket.io) sends `event`. */
  fire(event: string, ...args: unknown[]): void {
    for (const fn of [...(this.#handlers.get(event) ?? [])]) fn(...args);
  }

  connect(): void {
    this.connected = true;
    this.fire('connect');
  }

  asSocket(): AppSocket {
    return this as unknown as AppSocket;
  }

  named(name: string): unknown[] {
    return this.requests.filter((r) => r.name === name).map((r) => r.payload);
  }
}

/** Lets pending promise chains (and zero-delay timers) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
}
