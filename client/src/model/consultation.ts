// One consultation over one socket: follows consultation:state, and whenever
// this person is admitted runs a MediaSession: publish the camera and
// microphone, subscribe to everything already there and to every later
// producer. The media session outlives a socket drop: on reconnect the server
// is asked whether it still holds it (media:resume) and ICE is restarted on
// the new network; if not, it is built afresh (admission is the server's
// state: never asked again). Each transport's ICE state is watched too: a
// failure is repaired with an ICE restart, then by rebuilding the session.
// Sent back: the session is closed and remote media removed. While media runs,
// a VideoAdaptation steps video down (and back up) to keep the sound clear on
// a poor link. No DOM: remote media and the call's network state go to a
// RemoteMedia, browser events come in through an environment.
import type { ProducerAnnouncement } from '../../../server/wire/media.ts';
import type { ConsultationView } from '../../../server/wire/participants.ts';
import type { ServerToClientEvents } from '../../../server/wire/socket.ts';
import { ClientError, rpcOver, type AppSocket, type Rpc } from '../net/rpc.ts';
import { ConnectionKeeper, type ConnectionState, type ConsultationEnvironment } from './connection-keeper.ts';
import type { LocalDevices } from './local-devices.ts';
import { MediaRecovery, type RecoveryCounters } from './media-recovery.ts';
import { MediaSession } from './media-session.ts';
import { Backoff, RECOVERY_TIMING, isRetryable, type RecoveryTiming } from './reconnect-policy.ts';
import { RemoteSubscriptions, type RemoteMedia } from './remote-subscriptions.ts';
import { VideoAdaptation } from './video-adaptation.ts';

export type { ConnectionState, ConsultationEnvironment } from './connection-keeper.ts';
export type { RecoveryCounters } from './media-recovery.ts';
export type { RemoteMedia } from './remote-subscriptions.ts';
export type EndedReason = Parameters<ServerToClientEvents['consultation:ended']>[0]['reason'];

export interface ConsultationEvents {
  /** Every consultation:state (the first one too, with prev null). */
  state(view: ConsultationView, prev: ConsultationView | null): void;
  /** The server ended this person's part in the consultation ('replaced': another window took over). */
  ended(reason: EndedReason): void;
  /** A final refusal of the socket (or a server disconnect without a reason); retryable codes never come here. */
  failed(code: string, message: string): void;
  /**
   * 'reconnecting': the socket or the media is being restored; 'restarting': the
   * server said it is restarting; 'lost': not back after RECONNECT_GIVE_UP_MS
   * (offer rejoin()); 'connected': back (told on changes only).
   */
  connection(state: ConnectionState): void;
  /** A media set-up failure worth telling the person about. */
  mediaProblem(message: string): void;
  /** The Leave button. */
  leave(): void;
}

export interface ConsultationOptions {
  socket: AppSocket;
  local: LocalDevices;
  on: ConsultationEvents;
  remote: RemoteMedia;
  /** A media session over this RPC (tests pass a fake). */
  createMedia?: (rpc: Rpc) => MediaSession;
  /** The browser's 'online' event (the page wires it). */
  environment?: ConsultationEnvironment;
  /** Recovery timings (tests shorten them). */
  timing?: Partial<RecoveryTiming>;
  /** How often the adaptation samples the link (ms); 0: never by itself (tests call adaptation.poll()). */
  adaptEveryMs?: number;
}

export class Consultation {
  readonly #local: LocalDevices;
  readonly #on: ConsultationEvents;
  readonly #remote: RemoteMedia;
  readonly #createMedia: (rpc: Rpc) => MediaSession;
  readonly #socket: AppSocket;
  readonly #rpc: Rpc;
  readonly #timing: RecoveryTiming;
  readonly #keeper: ConnectionKeeper;
  /** Delays between media set-up attempts that failed for a passing reason. */
  readonly #setupBackoff: Backoff;
  /** Delays between ICE recoveries, so a failing network is not hammered. */
  readonly #iceBackoff: Backoff;
  readonly recovery: RecoveryCounters = { iceRestarts: 0, resumptions: 0, rebuilds: 0, socketReconnects: 0 };
  /** Keeps the sound clear on a poor link (video down a layer, then paused), while media runs. */
  readonly adaptation: VideoAdaptation;
  #view: ConsultationView | null = null;
  #media: MediaSession | null = null;
  /** Keeps the running session through network trouble (while #ready). */
  #keep: MediaRecovery | null = null;
  #ready = false;
  #gen = 0;
  #pending: ProducerAnnouncement[] = [];
  readonly #received: RemoteSubscriptions;
  #retries = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor({ socket, local, on, remote, createMedia, environment, timing, adaptEveryMs }: ConsultationOptions) {
    this.#local = local;
    this.#on = on;
    this.#remote = remote;
    this.#createMedia = createMedia ?? ((rpc) => new MediaSession(rpc));
    this.#socket = socket;
    this.#rpc = rpcOver(socket);
    this.#timing = { ...RECOVERY_TIMING, ...timing };
    // What the sender paused matters to the adaptation too (a paused stream scores nothing at the SFU).
    this.#received = new RemoteSubscriptions(
      {
        participants: (view) => remote.participants(view),
        added: (track) => {
          this.adaptation.senderPaused(track.consumerId, track.producerPaused);
          remote.added(track);
        },
        removed: (consumerId) => {
          this.adaptation.consumerGone(consumerId);
          remote.removed(consumerId);
        },
        paused: (consumerId, paused) => {
          this.adaptation.senderPaused(consumerId, paused);
          remote.paused(consumerId, paused);
        },
        score: (consumerId, score) => remote.score(consumerId, score),
        network: (state) => remote.network(state),
        cleared: () => remote.cleared(),
        closed: () => remote.closed(),
      },
      () => this.#view?.self.id,
    );
    this.adaptation = new VideoAdaptation(
      {
        tell: async (paused) => {
          await this.#rpc.request('self:videoPaused', paused);
        },
        network: (state) => {
          if (!this.#closed) this.#remote.network(state);
        },
      },
      adaptEveryMs === undefined ? {} : { everyMs: adaptEveryMs },
    );
    this.#setupBackoff = new Backoff(this.#timing.retryBaseMs, this.#timing.retryMaxMs);
    this.#iceBackoff = new Backoff(this.#timing.retryBaseMs * 2, this.#timing.iceRecoverMs);
    local.onTrackReplaced = async (kind, track) => {
      await this.#media?.replaceTrack(kind === 'video' ? 'camera' : 'microphone', track).catch(() => undefined);
    };
    this.#keeper = new ConnectionKeeper(
      socket,
      this.#timing,
      {
        connection: (state) => this.#on.connection(state),
        connected: (again) => this.#onConnected(again),
        dropped: () => this.#onDropped(),
        failed: (code, message) => this.#onFailed(code, message),
        online: () => this.#checkMedia(),
      },
      environment,
    );
    this.#wire();
  }

  get view(): ConsultationView | null {
    return this.#view;
  }

  /** The live media session, once it is publishing (null otherwise; kept through a reconnect). */
  get media(): MediaSession | null {
    return this.#ready ? this.#media : null;
  }

  get rpc(): Rpc {
    return this.#rpc;
  }

  /** The socket, for features riding on it (the thread listens for its own events). */
  get socket(): AppSocket {
    return this.#socket;
  }

  get everConnected(): boolean {
    return this.#keeper.everConnected;
  }

  /** After 'lost' (or any time): reconnect at once and restore media; never a new admission. */
  rejoin(): void {
    if (this.#closed) return;
    this.#retries = 0;
    this.#keeper.rejoin();
  }

  /** consultation:leave, then close everything. */
  async leave(): Promise<void> {
    try {
      if (this.#socket.connected) await this.#rpc.request('consultation:leave', {});
    } catch {
      // leaving anyway: closing the socket tells the server too
    }
    this.close();
  }

  close(): void {
    this.#closed = true;
    this.#keeper.close();
    clearTimeout(this.#retryTimer);
    this.#stopMedia();
    this.adaptation.close();
    this.#remote.closed();
    this.#socket.removeAllListeners();
    this.#socket.close();
    this.#local.onTrackReplaced = null;
  }

  #wire(): void {
    const s = this.#socket;
    s.on('consultation:state', (view) => this.#onState(view));
    s.on('consultation:ended', ({ reason }) => {
      if (this.#closed) return;
      this.close();
      this.#on.ended(reason);
    });
    s.on('media:newProducer', (a) => {
      if (!this.#media) return;
      if (!this.#ready) this.#pending.push(a);
      else void this.#received.subscribe(this.#media, a, this.#isCurrent(this.#gen));
    });
    s.on('media:producerClosed', ({ producerId }) => this.#received.forget(producerId));
    s.on('media:consumerClosed', ({ consumerId }) => {
      this.adaptation.consumerGone(consumerId);
      this.#received.forgetConsumer(consumerId);
    });
    s.on('media:producerPaused', ({ producerId, paused }) => this.#received.paused(producerId, paused));
    s.on('media:consumerScore', ({ consumerId, score, producerScore }) => {
      this.adaptation.score(consumerId, score, producerScore);
      this.#remote.score(consumerId, score);
    });
    s.on('media:reset', ({ reason }) => {
      // Sent back: the state that follows says 'waiting'. Otherwise (the room was lost) start again.
      const wasUp = this.#ready;
      this.#stopMedia();
      if (reason === 'sent-back') return;
      if (wasUp) this.recovery.rebuilds++;
      this.#setRecovering(true);
      this.#retryTimer = setTimeout(() => this.#reconcile(), 500);
    });
  }

  #onConnected(again: boolean): void {
    if (again) this.recovery.socketReconnects++;
    if (this.#keep) void this.#keep.resume();
    else this.#reconcile();
  }

  #onDropped(): void {
    // A set-up cut off half-way is started afresh on reconnect; a running session is kept and resumed.
    if (this.#media && !this.#ready) this.#stopMedia();
    this.#keep?.socketDropped();
  }

  #onFailed(code: string, message: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#keeper.close();
    clearTimeout(this.#retryTimer);
    this.#stopMedia();
    this.#on.failed(code, message);
  }

  #onState(view: ConsultationView): void {
    if (this.#closed) return;
    const prev = this.#view;
    this.#view = view;
    this.#remote.participants(view);
    this.adaptation.view(view);
    this.#reconcile();
    this.#on.state(view, prev);
  }

  #reconcile(): void {
    // A socket drop alone never stops media: admission is the server's, and the view says it.
    const admitted = this.#view?.self.state === 'admitted' && !this.#closed;
    if (admitted && !this.#media && this.#socket.connected) void this.#startMedia();
    else if (!admitted && this.#media) this.#stopMedia();
    if (!admitted) {
      this.#retries = 0;
      this.#setRecovering(false);
    }
  }

  /** Media is being restored (resume, ICE restart, rebuild): the page hears 'reconnecting'. */
  #setRecovering(recovering: boolean): void {
    if (!this.#closed) this.#keeper.setMediaRecovering(recovering);
  }

  async #startMedia(): Promise<void> {
    clearTimeout(this.#retryTimer);
    const gen = ++this.#gen;
    const media = this.#createMedia(this.#rpc);
    this.#media = media;
    this.#ready = false;
    this.#pending = [];
    try {
      // A fresh start: the server releases whatever it still holds for this person (the page before a reload).
      await this.#rpc.request('media:resume', { transportIds: [] });
      if (gen !== this.#gen) return;
      await media.start();
      if (gen !== this.#gen) return;
      if (this.#local.stream.getTracks().length > 0) await media.publish(this.#local.stream);
      if (gen !== this.#gen) return;
      // Publishing a disabled track leaves its producer paused on this side only: tell the server.
      if (!this.#local.cameraOn) await media.setPaused('camera', true);
      if (!this.#local.microphoneOn) await media.setPaused('microphone', true);
      const { producers } = await this.#rpc.request('media:producers', {});
      if (gen !== this.#gen) return;
      this.#ready = true;
      this.#retries = 0;
      this.#setupBackoff.reset();
      this.#setRecovering(false);
      const all = [...producers, ...this.#pending];
      this.#pending = [];
      this.#keep = this.#keepAlive(media, gen);
      this.adaptation.start(media);
      await Promise.all(all.map((a) => this.#received.subscribe(media, a, this.#isCurrent(gen))));
    } catch (e) {
      if (gen !== this.#gen) return;
      this.#stopMedia();
      const code = e instanceof ClientError ? e.code : '';
      // Sent back while setting up: the next state says so; nothing to tell.
      if (code === 'NOT_ADMITTED') return this.#setRecovering(false);
      console.warn('media set-up failed', e);
      if (isRetryable(code) || !this.#socket.connected) {
        // Not now (a store outage, a timeout, the socket dropped): try again for as long as it takes.
        this.#setRecovering(true);
        this.#retryTimer = setTimeout(() => this.#reconcile(), this.#setupBackoff.next());
        return;
      }
      if (this.#retries < 3) {
        this.#retries++;
        this.#on.mediaProblem('We are having trouble connecting your video. Trying again…');
        this.#retryTimer = setTimeout(() => this.#reconcile(), 1500 * this.#retries);
      } else {
        this.#setRecovering(false);
        this.#on.mediaProblem(
          'We could not connect your video and sound. Your network may block video calls. Leave and join again, or tell the clinic.',
        );
      }
    }
  }

  #keepAlive(media: MediaSession, gen: number): MediaRecovery {
    return new MediaRecovery(media, {
      rpc: this.#rpc,
      timing: this.#timing,
      iceBackoff: this.#iceBackoff,
      retryBackoff: this.#setupBackoff,
      counters: this.recovery,
      host: {
        socketConnected: () => this.#socket.connected,
        verifySocket: () => this.#keeper.verify(),
        setRecovering: (r) => this.#setRecovering(r),
        rebuild: () => this.#rebuild(),
        notAdmitted: () => {
          this.#stopMedia();
          this.#setRecovering(false);
        },
        catchUp: () => this.#catchUp(media, gen),
      },
    });
  }

  /** Media could not be kept: close it and set it up again (the server still counts this person admitted). */
  #rebuild(): void {
    if (this.#closed) return;
    this.recovery.rebuilds++;
    this.#stopMedia();
    this.#setRecovering(true);
    this.#reconcile();
  }

  /** What changed while the socket was away: new producers, vanished ones, paused states, ours too. */
  async #catchUp(media: MediaSession, gen: number): Promise<void> {
    try {
      const { producers } = await this.#rpc.request('media:producers', {});
      if (gen !== this.#gen) return;
      await this.#received.catchUp(media, producers, this.#isCurrent(gen));
      await media.setPaused('camera', !this.#local.cameraOn);
      await media.setPaused('microphone', !this.#local.microphoneOn);
    } catch (e) {
      if (gen === this.#gen) console.warn('could not catch up after a reconnect', e);
    }
  }

  /** From the page's 'online' (or rejoin) with the socket answering: media back, or repaired. */
  #checkMedia(): void {
    if (this.#closed) return;
    this.#retries = 0;
    if (!this.#media) this.#reconcile();
    else this.#keep?.networkChanged();
  }

  #isCurrent(gen: number): () => boolean {
    return () => gen === this.#gen && !this.#closed;
  }

  #stopMedia(): void {
    this.#gen++;
    this.#ready = false;
    this.#pending = [];
    this.#received.clear();
    this.#keep?.close();
    this.#keep = null;
    this.adaptation.stop();
    this.#media?.close();
    this.#media = null;
    this.#remote.cleared();
  }
}
