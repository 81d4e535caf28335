// A stand-in for the client's socket.io connection: records what the client
// asks, answers each request from a table, and lets a test play the server's
// events and the network: accept() is a connection made, drop() a connection lost.
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

/** An answer that never comes: the client's ack times out. */
export const NO_REPLY = Symbol('no reply');

export class FakeSocket {
  connected = false;
  active = true;
  closed = false;
  /** How often the client asked to connect (socket.connect()). */
  connectCalls = 0;
  /** How often the client dropped the connection on purpose (socket.disconnect()). */
  disconnectCalls = 0;
  /** socket.io's Manager: closing its engine is a network drop as far as the socket can tell. */
  readonly io = { engine: { close: () => this.drop('transport close') } };
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

  timeout(ms: number): { emit(name: string, payload: unknown, cb: (err: Error | null, reply: unknown) => void): void } {
    return {
      emit: (name, payload, cb) => {
        this.requests.push({ name, payload });
        const fn = this.#answers.get(name);
        void Promise.resolve()
          .then(() => (fn ? fn(payload) : new ServerRefusal('NOT_ANSWERED', name)))
          .then((data) => {
            if (data === NO_REPLY) setTimeout(() => cb(new Error('operation has timed out'), undefined), ms);
            else cb(null, data instanceof ServerRefusal ? { ok: false, error: { code: data.code, message: data.message } } : { ok: true, data });
          });
      },
    };
  }

  /** The server (or socket.io) sends `event`. */
  fire(event: string, ...args: unknown[]): void {
    for (const fn of [...(this.#handlers.get(event) ?? [])]) fn(...args);
  }

  /** The client asks to (re)connect; nothing happens until the test accept()s. */
  connect(): this {
    this.connectCalls++;
    this.active = true;
    return this;
  }

  disconnect(): this {
    this.disconnectCalls++;
    this.active = false;
    if (this.connected) {
      this.connected = false;
      this.fire('disconnect', 'io client disconnect');
    }
    return this;
  }

  /** The connection is made (first time or again). */
  accept(): void {
    this.connected = true;
    this.active = true;
    this.fire('connect');
  }

  /** The connection is lost ('transport close', 'ping timeout', or the server's 'io server disconnect'). */
  drop(reason = 'transport close'): void {
    this.connected = false;
    this.fire('disconnect', reason);
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
