// Keeps the page's one socket connected and says how it is going. socket.io
// reconnects by itself after a network drop; this adds what it does not do:
// retrying a refusal that means "not now" (a connect_error with a RETRYABLE
// code: socket.io never retries middleware errors), reconnecting at once when
// the browser says it is online again, forcing a reconnect when the socket
// looks connected but no longer answers, and the give-up clock ('lost').
// The state told to the page also counts media recovery (the consultation sets
// it), so "connected" means people can see and hear each other again.
import type { AppSocket } from '../net/rpc.ts';
import { rpcOver, ClientError, type Rpc } from '../net/rpc.ts';
import { Backoff, isRetryable, type RecoveryTiming } from './reconnect-policy.ts';

export type ConnectionState = 'connected' | 'reconnecting' | 'restarting' | 'lost';

/** What the model needs from the browser (wired by the page; the model stays DOM-free). */
export interface ConsultationEnvironment {
  /** Subscribes to the browser's 'online' event; returns the unsubscribe function. */
  onOnline(fn: () => void): () => void;
}

export interface KeeperHooks {
  /** For the page's status line; only changes are told. */
  connection(state: ConnectionState): void;
  /** The socket connected: `again` after an earlier connection. */
  connected(again: boolean): void;
  /** The socket dropped for a reason socket.io recovers from (not our close, not the server's disconnect). */
  dropped(): void;
  /** A final refusal or a server disconnect: nothing more will be tried. */
  failed(code: string, message: string): void;
  /** The browser is online again and the socket answers: check media. */
  online(): void;
}

export class ConnectionKeeper {
  readonly #socket: AppSocket;
  readonly #timing: RecoveryTiming;
  readonly #on: KeeperHooks;
  readonly #quick: Rpc;
  readonly #connectBackoff: Backoff;
  readonly #offOnline: () => void;
  #everConnected = false;
  #restarting = false;
  #lost = false;
  #mediaRecovering = false;
  #told: ConnectionState | null = null;
  #giveUpTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(socket: AppSocket, timing: RecoveryTiming, on: KeeperHooks, environment?: ConsultationEnvironment) {
    this.#socket = socket;
    this.#timing = timing;
    this.#on = on;
    this.#quick = rpcOver(socket, timing.verifyTimeoutMs);
    this.#connectBackoff = new Backoff(timing.retryBaseMs, timing.retryMaxMs);
    this.#wire();
    this.#offOnline = environment?.onOnline(() => this.#online()) ?? (() => undefined);
  }

  get everConnected(): boolean {
    return this.#everConnected;
  }

  /** The consultation is restoring media (resume, ICE restart, rebuild): not 'connected' yet. */
  setMediaRecovering(recovering: boolean): void {
    this.#mediaRecovering = recovering;
    this.#tell();
  }

  /**
   * Whether the socket still answers (a quick request). If it does not, it is
   * a dead connection socket.io has not noticed yet: force a reconnect.
   */
  async verify(): Promise<boolean> {
    if (!this.#socket.connected) return false;
    try {
      await this.#quick.request('consultation:state', {});
      return true;
    } catch (e) {
      if (e instanceof ClientError && e.code !== 'TIMEOUT') return true; // it answered, with a refusal
      if (!this.#closed) this.reconnectNow();
      return false;
    }
  }

  /** Drops whatever connection there is and opens a new one now (not after socket.io's backoff). */
  reconnectNow(): void {
    if (this.#closed) return;
    clearTimeout(this.#retryTimer);
    const s = this.#socket;
    // Closing the engine (not a socket.io disconnect) looks like a network drop to both ends: media is kept.
    if (s.connected) (s.io as { engine?: { close(): void } } | undefined)?.engine?.close();
    if (!s.connected) {
      // disconnect() on a socket that is not connected only cancels the pending reconnection timer.
      s.disconnect();
      s.connect();
    }
  }

  /** After 'lost' (or any time): reconnect at once and restart the give-up clock. */
  rejoin(): void {
    if (this.#closed) return;
    this.#lost = false;
    this.#clearGiveUp();
    this.#tell();
    if (!this.#socket.connected) this.reconnectNow();
    else void this.verify().then((ok) => ok && !this.#closed && this.#on.online());
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#clearGiveUp();
    this.#offOnline();
  }

  #wire(): void {
    const s = this.#socket;
    s.on('connect', () => {
      if (this.#closed) return;
      const again = this.#everConnected;
      this.#everConnected = true;
      this.#restarting = false;
      this.#lost = false;
      this.#connectBackoff.reset();
      clearTimeout(this.#retryTimer);
      this.#on.connected(again);
      this.#tell();
    });
    s.on('connect_error', (err: Error & { data?: { code?: unknown; message?: unknown } }) => {
      if (this.#closed) return;
      const code = typeof err.data?.code === 'string' ? err.data.code : null;
      if (s.active) {
        // A network error: socket.io tries again by itself.
        this.#tell();
        return;
      }
      if (code !== null && isRetryable(code)) {
        // Refused for now (store outage, server draining): socket.io will not retry a middleware error.
        this.#tell();
        clearTimeout(this.#retryTimer);
        this.#retryTimer = setTimeout(() => {
          if (!this.#closed && !s.connected) s.connect();
        }, this.#connectBackoff.next());
        return;
      }
      const message = typeof err.data?.message === 'string' ? err.data.message : err.message;
      this.#on.failed(code ?? 'CONNECT_REFUSED', message);
    });
    s.on('disconnect', (reason) => {
      if (this.#closed || reason === 'io client disconnect') return;
      if (reason === 'io server disconnect') {
        this.#on.failed('DISCONNECTED', 'The video service closed the connection.');
        return;
      }
      this.#on.dropped();
      this.#tell();
    });
    s.on('server:restarting', () => {
      if (this.#closed) return;
      this.#restarting = true;
      this.#tell();
    });
  }

  #online(): void {
    if (this.#closed) return;
    if (!this.#socket.connected) this.reconnectNow();
    else void this.verify().then((ok) => ok && !this.#closed && this.#on.online());
  }

  #state(): ConnectionState {
    if (this.#socket.connected && !this.#mediaRecovering) return 'connected';
    if (this.#lost) return 'lost';
    if (!this.#socket.connected && this.#restarting) return 'restarting';
    return 'reconnecting';
  }

  /** Tells the page the state if it changed, and runs the give-up clock while not connected. */
  #tell(): void {
    if (this.#closed) return;
    const state = this.#state();
    if (state === 'connected') {
      this.#lost = false;
      this.#clearGiveUp();
    } else if (!this.#lost) {
      this.#giveUpTimer ??= setTimeout(() => {
        this.#giveUpTimer = undefined;
        if (this.#closed || this.#state() === 'connected') return;
        this.#lost = true;
        this.#tell();
      }, this.#timing.giveUpMs);
    }
    if (state === this.#told) return;
    this.#told = state;
    this.#on.connection(state);
  }

  #clearGiveUp(): void {
    clearTimeout(this.#giveUpTimer);
    this.#giveUpTimer = undefined;
  }
}
