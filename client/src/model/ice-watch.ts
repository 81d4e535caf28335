// Watches the ICE/DTLS connection state of a media session's transports and
// says when they are in trouble: a transport 'failed', or 'disconnected' for
// longer than a short blip (the browser often recovers from a second or two by
// itself). Also says when every transport in use is connected again. Only
// decides; what to do about it (ICE restart, rebuild) is the consultation's.

export type TransportConnectionState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface TransportStatus {
  id: string;
  state: TransportConnectionState;
}

/** Connected, or not in use yet ('new': nothing sent or received on it so far). */
export function healthy(states: readonly TransportStatus[]): boolean {
  return states.every((s) => s.state === 'connected' || s.state === 'new' || s.state === 'closed');
}

/** The transports worth an ICE restart: in use but not connected. */
export function needingRestart(states: readonly TransportStatus[]): string[] {
  return states.filter((s) => s.state !== 'connected' && s.state !== 'new' && s.state !== 'closed').map((s) => s.id);
}

export interface IceWatchHandlers {
  /** A transport failed, or stayed disconnected for disconnectedMs. */
  trouble(): void;
  /** Every transport in use is connected (called on each change that leaves them so). */
  healthy(): void;
}

export class IceWatch {
  readonly #disconnectedMs: number;
  readonly #on: IceWatchHandlers;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #latest: readonly TransportStatus[] = [];
  #closed = false;

  constructor(disconnectedMs: number, on: IceWatchHandlers) {
    this.#disconnectedMs = disconnectedMs;
    this.#on = on;
  }

  /** Every transport's current state (call on each change, and to re-check after a recovery). */
  update(states: readonly TransportStatus[]): void {
    if (this.#closed) return;
    this.#latest = states;
    if (states.some((s) => s.state === 'failed')) {
      this.#clearTimer();
      this.#on.trouble();
    } else if (states.some((s) => s.state === 'disconnected')) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        if (!this.#closed && this.#latest.some((s) => s.state === 'disconnected' || s.state === 'failed')) this.#on.trouble();
      }, this.#disconnectedMs);
    } else {
      this.#clearTimer();
      if (healthy(states)) this.#on.healthy();
    }
  }

  close(): void {
    this.#closed = true;
    this.#clearTimer();
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
