// The console's live waiting area over the /staff socket: asks for a scope
// (own patients, or the clinics'), keeps the latest pushed view, passes on
// arrivals, and asks again after every reconnect (the server forgets a socket's
// watch with the socket). socket.io reconnects by itself after a network drop;
// this adds what it does not do: retrying a refusal that means "not now" and a
// server-side disconnect, with backoff. A refusal of the session (or
// staff:ended) is the end: the page says "You were signed out". No DOM.
import type { StaffServerToClientEvents, WaitingAreaView } from '../../../server/wire/staff-socket.ts';
import { ClientError } from '../net/rpc.ts';
import { staffRpcOver, type StaffRpc, type StaffSocket } from '../net/staff-socket.ts';
import { Backoff, isRetryable } from './reconnect-policy.ts';

export type WaitingScope = WaitingAreaView['scope'];
export type Arrival = Parameters<StaffServerToClientEvents['waiting:arrived']>[0];

/** Refusals that mean this browser has no staff session any more. */
const SESSION_GONE = new Set(['UNAUTHENTICATED', 'SIGN_IN_REQUIRED']);

export interface StaffConnectionEvents {
  /** A new view (the answer to a watch, or a push); only views of the scope asked for last. */
  view(v: WaitingAreaView): void;
  arrived(a: Arrival): void;
  /** Whether the live view is current ('live') or being restored; told on changes only. */
  connection(state: 'live' | 'reconnecting' | 'unavailable'): void;
  /** The staff session ended (signed out, revoked, timed out): nothing more will come. */
  ended(): void;
}

export interface StaffConnectionTiming {
  retryBaseMs: number;
  retryMaxMs: number;
}

export class StaffConnection {
  readonly #socket: StaffSocket;
  readonly #on: StaffConnectionEvents;
  readonly #rpc: StaffRpc;
  readonly #backoff: Backoff;
  #scope: WaitingScope;
  #view: WaitingAreaView | null = null;
  #told: 'live' | 'reconnecting' | 'unavailable' | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(socket: StaffSocket, on: StaffConnectionEvents, scope: WaitingScope, timing: StaffConnectionTiming = { retryBaseMs: 1_000, retryMaxMs: 30_000 }) {
    this.#socket = socket;
    this.#on = on;
    this.#scope = scope;
    this.#rpc = staffRpcOver(socket);
    this.#backoff = new Backoff(timing.retryBaseMs, timing.retryMaxMs);
    this.#wire();
  }

  /** The latest view of the current scope (null until the first answer). */
  get view(): WaitingAreaView | null {
    return this.#view;
  }

  get scope(): WaitingScope {
    return this.#scope;
  }

  /** For the clinic's actions (message, re-assign, running late, alert settings). */
  get rpc(): StaffRpc {
    return this.#rpc;
  }

  /** Shows another scope from now on (also after reconnects); resolves once its view is in. */
  async watch(scope: WaitingScope): Promise<void> {
    this.#scope = scope;
    if (this.#socket.connected) await this.#ask();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#socket.close();
  }

  #wire(): void {
    const s = this.#socket;
    s.on('connect', () => {
      if (this.#closed) return;
      clearTimeout(this.#retryTimer);
      this.#backoff.reset();
      void this.#ask().catch(() => undefined);
    });
    s.on('waiting:view', (v) => this.#apply(v));
    s.on('waiting:arrived', (a) => {
      if (!this.#closed) this.#on.arrived(a);
    });
    s.on('staff:ended', () => this.#end());
    s.on('connect_error', (err: Error & { data?: { code?: unknown } }) => {
      if (this.#closed) return;
      const code = typeof err.data?.code === 'string' ? err.data.code : null;
      if (code !== null && SESSION_GONE.has(code)) return this.#end();
      // A network error: socket.io tries again by itself. A refusal "for now": socket.io never retries a middleware error.
      if (!s.active) this.#retryLater(code === null || isRetryable(code) ? 'reconnecting' : 'unavailable');
      else this.#tell('reconnecting');
    });
    s.on('disconnect', (reason) => {
      if (this.#closed || reason === 'io client disconnect') return;
      // A server-side disconnect is not retried by socket.io; the session is re-checked by the next handshake.
      if (reason === 'io server disconnect') this.#retryLater('reconnecting');
      else this.#tell('reconnecting');
    });
  }

  async #ask(): Promise<void> {
    const scope = this.#scope;
    try {
      const v = await this.#rpc.request('waiting:watch', { scope });
      if (scope === this.#scope) this.#apply(v);
    } catch (e) {
      if (this.#closed) return;
      if (e instanceof ClientError && SESSION_GONE.has(e.code)) return this.#end();
      throw e;
    }
  }

  #apply(v: WaitingAreaView): void {
    // A push for the scope this page just left is late news.
    if (this.#closed || v.scope !== this.#scope) return;
    this.#view = v;
    this.#tell('live');
    this.#on.view(v);
  }

  #retryLater(state: 'reconnecting' | 'unavailable'): void {
    this.#tell(state);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (!this.#closed && !this.#socket.connected) this.#socket.connect();
    }, this.#backoff.next());
  }

  #tell(state: 'live' | 'reconnecting' | 'unavailable'): void {
    if (this.#closed || state === this.#told) return;
    this.#told = state;
    this.#on.connection(state);
  }

  #end(): void {
    if (this.#closed) return;
    this.close();
    this.#on.ended();
  }
}
