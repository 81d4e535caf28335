// Keeps one running media session alive through network trouble. After a
// socket reconnect it asks the server whether it still holds the session
// (media:resume): yes, restart ICE (the network may have changed under it);
// no, have it rebuilt. With the socket up, a transport that failed (or stayed
// disconnected) gets an ICE restart, after checking the socket still answers;
// if that does not bring it back within a few seconds, the session is rebuilt.
// One per media session, closed with it; what it cannot do itself (rebuild,
// stop, catch up on producers) it asks its host, the consultation.
import { ClientError, type Rpc } from '../net/rpc.ts';
import { IceWatch, healthy } from './ice-watch.ts';
import type { MediaSession } from './media-session.ts';
import { isRetryable, type Backoff, type RecoveryTiming } from './reconnect-policy.ts';

/** How often media had to be recovered (for diagnostics and the fault tests). */
export interface RecoveryCounters {
  /** ICE restarts done (one per transport). */
  iceRestarts: number;
  /** Reconnects where the server still held this page's media (media:resume said resumed). */
  resumptions: number;
  /** Media sessions built afresh after one had been running. */
  rebuilds: number;
  /** Socket connections after the first. */
  socketReconnects: number;
}

export interface RecoveryHost {
  socketConnected(): boolean;
  /** A quick request: false (and a forced reconnect) when the socket no longer answers. */
  verifySocket(): Promise<boolean>;
  /** Recovery under way (the page hears 'reconnecting') or done. */
  setRecovering(recovering: boolean): void;
  /** Close this session and build a new one. */
  rebuild(): void;
  /** The server says this person is not admitted: close the session (the state that follows says where they are). */
  notAdmitted(): void;
  /** After a resume: subscribe to producers that came, forget those that went. */
  catchUp(): Promise<void>;
}

export interface RecoveryDeps {
  rpc: Rpc;
  timing: RecoveryTiming;
  /** Shared across sessions, so a failing network is not hammered by one rebuild after another. */
  iceBackoff: Backoff;
  retryBackoff: Backoff;
  counters: RecoveryCounters;
  host: RecoveryHost;
}

export class MediaRecovery {
  readonly #media: MediaSession;
  readonly #d: RecoveryDeps;
  readonly #watch: IceWatch;
  readonly #offState: () => void;
  #recovering = false;
  /** Armed after an ICE restart: not connected by then means rebuild. */
  #checkTimer: ReturnType<typeof setTimeout> | undefined;
  #stableTimer: ReturnType<typeof setTimeout> | undefined;
  #waitTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(media: MediaSession, deps: RecoveryDeps) {
    this.#media = media;
    this.#d = deps;
    this.#watch = new IceWatch(deps.timing.iceDisconnectedMs, {
      trouble: () => {
        clearTimeout(this.#stableTimer);
        if (!this.#recovering && deps.host.socketConnected()) void this.#recoverIce();
      },
      healthy: () => {
        if (this.#checkTimer !== undefined && this.#recovering) this.#setRecovering(false);
        // Connected for a while: the next trouble is met at once again.
        clearTimeout(this.#stableTimer);
        this.#stableTimer = setTimeout(() => deps.iceBackoff.reset(), deps.timing.iceRecoverMs);
      },
    });
    this.#offState = media.observer.on('connectionstatechange', () => this.#watch.update(media.transportStates()));
    this.#watch.update(media.transportStates());
  }

  get recovering(): boolean {
    return this.#recovering;
  }

  /** After a socket reconnect: media:resume, then ICE restart and catch-up, or a rebuild. */
  async resume(): Promise<void> {
    if (this.#closed) return;
    const { rpc, host, counters } = this.#d;
    this.#setRecovering(true);
    let resumed = false;
    try {
      ({ resumed } = await rpc.request('media:resume', { transportIds: this.#media.transportIds }));
    } catch (e) {
      if (this.#closed || !host.socketConnected()) return; // the next connect resumes
      const code = e instanceof ClientError ? e.code : '';
      if (code === 'NOT_ADMITTED') return host.notAdmitted();
      if (isRetryable(code)) {
        this.#waitTimer = setTimeout(() => host.socketConnected() && void this.resume(), this.#d.retryBackoff.next());
        return;
      }
    }
    if (this.#closed) return;
    if (!resumed) return host.rebuild();
    counters.resumptions++;
    // After a drop long enough to lose the socket a 'connected' transport may be stale (the browser
    // takes seconds to notice a dead path); an ICE restart on a live path costs nothing.
    await this.#restartIce(() => true);
    if (!this.#closed) await host.catchUp();
  }

  /** The network changed (the browser is online again) under a socket that survived. */
  networkChanged(): void {
    if (this.#closed || this.#recovering) return;
    this.#setRecovering(true);
    void this.#restartIce(() => true);
  }

  /** The socket dropped: a rebuild now would only fail; the reconnect resumes instead. */
  socketDropped(): void {
    clearTimeout(this.#checkTimer);
    this.#checkTimer = undefined;
    clearTimeout(this.#waitTimer);
  }

  close(): void {
    this.#closed = true;
    this.#offState();
    this.#watch.close();
    clearTimeout(this.#checkTimer);
    clearTimeout(this.#stableTimer);
    clearTimeout(this.#waitTimer);
  }

  /** A transport failed (or stayed disconnected) with the socket up: ICE restart, after a backoff if it recurs. */
  async #recoverIce(): Promise<void> {
    this.#setRecovering(true);
    const first = this.#d.iceBackoff.attempts === 0;
    const delay = this.#d.iceBackoff.next();
    if (!first) {
      await new Promise((r) => (this.#waitTimer = setTimeout(r, delay)));
      if (this.#closed) return;
    }
    // A socket that no longer answers is reconnected instead; the reconnect resumes media.
    if (!(await this.#d.host.verifySocket()) || this.#closed) return;
    await this.#restartIce((state) => state !== 'connected');
  }

  /** media:restartIce + transport.restartIce on each transport in use that `which` picks; then the check. */
  async #restartIce(which: (state: string) => boolean): Promise<void> {
    const { host, counters } = this.#d;
    const media = this.#media;
    const ids = media
      .transportStates()
      .filter((s) => s.state !== 'new' && s.state !== 'closed' && which(s.state))
      .map((s) => s.id);
    for (const id of ids) {
      try {
        await media.restartIce(id);
        counters.iceRestarts++;
      } catch (e) {
        if (this.#closed || !host.socketConnected()) return;
        const code = e instanceof ClientError ? e.code : '';
        if (code === 'NOT_ADMITTED') return host.notAdmitted();
        if (!isRetryable(code)) return host.rebuild();
      }
      if (this.#closed) return;
    }
    // Connected again soon, or built afresh. A transport that still says 'connected' may only not
    // have noticed yet that its path is gone: the check stays armed even when all look well now.
    clearTimeout(this.#checkTimer);
    this.#checkTimer = setTimeout(() => {
      this.#checkTimer = undefined;
      if (this.#closed) return;
      if (healthy(media.transportStates())) this.#setRecovering(false);
      else if (host.socketConnected()) host.rebuild();
    }, this.#d.timing.iceRecoverMs);
    if (healthy(media.transportStates())) this.#setRecovering(false);
  }

  #setRecovering(recovering: boolean): void {
    if (this.#closed) return;
    this.#recovering = recovering;
    this.#d.host.setRecovering(recovering);
  }
}
