// One consultation over one socket: follows consultation:state, and whenever
// this person is admitted (and connected) runs a MediaSession: publish the
// camera and microphone, subscribe to everything already there and to every
// later producer. When they are sent back, the socket drops or the server
// resets media, the session is closed and remote media removed; it is started
// again when they are admitted again. No DOM: what happens to remote media is
// told to a RemoteMedia (the page wires it to the call view).
import type { ProducerAnnouncement } from '../../../server/wire/media.ts';
import type { ConsultationView } from '../../../server/wire/participants.ts';
import type { ServerToClientEvents } from '../../../server/wire/socket.ts';
import { ClientError, rpcOver, type AppSocket, type Rpc } from '../net/rpc.ts';
import type { LocalDevices } from './local-devices.ts';
import { MediaSession, type RemoteTrack } from './media-session.ts';

export type EndedReason = Parameters<ServerToClientEvents['consultation:ended']>[0]['reason'];

export interface ConsultationEvents {
  /** Every consultation:state (the first one too, with prev null). */
  state(view: ConsultationView, prev: ConsultationView | null): void;
  /** The server ended this person's part in the consultation. */
  ended(reason: EndedReason): void;
  /** The socket cannot connect (or was closed by the server without a reason). */
  failed(code: string, message: string): void;
  /** Transient connection changes, for the status line. */
  connection(state: 'connected' | 'reconnecting'): void;
  /** A media set-up failure worth telling the person about. */
  mediaProblem(message: string): void;
  /** The Leave button. */
  leave(): void;
}

/** Where remote media and who is in the call go (the call view, wired by the page). */
export interface RemoteMedia {
  /** Every consultation:state, before the media session follows it. */
  participants(view: ConsultationView): void;
  added(track: RemoteTrack): void;
  removed(consumerId: string): void;
  paused(consumerId: string, paused: boolean): void;
  score(consumerId: string, score: number): void;
  /** All remote media gone (sent back, reconnecting). */
  cleared(): void;
  /** The consultation is closed. */
  closed(): void;
}

export interface ConsultationOptions {
  socket: AppSocket;
  local: LocalDevices;
  on: ConsultationEvents;
  remote: RemoteMedia;
  /** A media session over this RPC (tests pass a fake). */
  createMedia?: (rpc: Rpc) => MediaSession;
}

interface Known {
  participantId: string;
  kind: 'audio' | 'video';
  consumerId?: string;
}

export class Consultation {
  readonly #local: LocalDevices;
  readonly #on: ConsultationEvents;
  readonly #remote: RemoteMedia;
  readonly #createMedia: (rpc: Rpc) => MediaSession;
  readonly #socket: AppSocket;
  readonly #rpc: Rpc;
  #view: ConsultationView | null = null;
  #media: MediaSession | null = null;
  #ready = false;
  #gen = 0;
  #pending: ProducerAnnouncement[] = [];
  readonly #known = new Map<string, Known>();
  #retries = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #everConnected = false;

  constructor({ socket, local, on, remote, createMedia }: ConsultationOptions) {
    this.#local = local;
    this.#on = on;
    this.#remote = remote;
    this.#createMedia = createMedia ?? ((rpc) => new MediaSession(rpc));
    this.#socket = socket;
    this.#rpc = rpcOver(socket);
    local.onTrackReplaced = async (kind, track) => {
      await this.#media?.replaceTrack(kind === 'video' ? 'camera' : 'microphone', track).catch(() => undefined);
    };
    this.#wire();
  }

  get view(): ConsultationView | null {
    return this.#view;
  }

  /** The live media session, once it is publishing (null otherwise). */
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
    clearTimeout(this.#retryTimer);
    this.#stopMedia();
    this.#remote.closed();
    this.#socket.removeAllListeners();
    this.#socket.close();
    this.#local.onTrackReplaced = null;
  }

  #wire(): void {
    const s = this.#socket;
    s.on('connect', () => {
      this.#everConnected = true;
      this.#on.connection('connected');
    });
    s.on('connect_error', (err: Error & { data?: { code?: unknown; message?: unknown } }) => {
      if (this.#closed) return;
      if (s.active) {
        this.#on.connection('reconnecting');
        return;
      }
      // Refused by the server (not a network problem): socket.io will not retry.
      const code = typeof err.data?.code === 'string' ? err.data.code : 'CONNECT_REFUSED';
      const message = typeof err.data?.message === 'string' ? err.data.message : err.message;
      this.#on.failed(code, message);
    });
    s.on('disconnect', (reason) => {
      this.#stopMedia();
      if (this.#closed) return;
      if (reason === 'io server disconnect') {
        this.#closed = true;
        this.#on.failed('DISCONNECTED', 'The video service closed the connection.');
      } else if (reason !== 'io client disconnect') {
        this.#on.connection('reconnecting');
      }
    });
    s.on('consultation:state', (view) => this.#onState(view));
    s.on('consultation:ended', ({ reason }) => {
      if (this.#closed) return;
      this.close();
      this.#on.ended(reason);
    });
    s.on('media:newProducer', (a) => {
      if (!this.#media) return;
      if (!this.#ready) this.#pending.push(a);
      else void this.#subscribe(a, this.#gen);
    });
    s.on('media:producerClosed', ({ producerId }) => this.#forget(producerId));
    s.on('media:consumerClosed', ({ consumerId }) => {
      for (const [pid, k] of this.#known) if (k.consumerId === consumerId) this.#forget(pid);
    });
    s.on('media:producerPaused', ({ producerId, paused }) => {
      const k = this.#known.get(producerId);
      if (k?.consumerId) this.#remote.paused(k.consumerId, paused);
    });
    s.on('media:consumerScore', ({ consumerId, score }) => this.#remote.score(consumerId, score));
    s.on('media:reset', ({ reason }) => {
      // Sent back: the state that follows says 'waiting'. Otherwise (the room was lost) start again.
      this.#stopMedia();
      if (reason !== 'sent-back') this.#retryTimer = setTimeout(() => this.#reconcile(), 500);
    });
  }

  #onState(view: ConsultationView): void {
    if (this.#closed) return;
    const prev = this.#view;
    this.#view = view;
    this.#remote.participants(view);
    this.#reconcile();
    this.#on.state(view, prev);
  }

  #reconcile(): void {
    const admitted = this.#view?.self.state === 'admitted' && this.#socket.connected && !this.#closed;
    if (admitted && !this.#media) void this.#startMedia();
    else if (!admitted && this.#media) this.#stopMedia();
    if (!admitted) this.#retries = 0;
  }

  async #startMedia(): Promise<void> {
    clearTimeout(this.#retryTimer);
    const gen = ++this.#gen;
    const media = this.#createMedia(this.#rpc);
    this.#media = media;
    this.#ready = false;
    this.#pending = [];
    try {
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
      const all = [...producers, ...this.#pending];
      this.#pending = [];
      await Promise.all(all.map((a) => this.#subscribe(a, gen)));
    } catch (e) {
      if (gen !== this.#gen) return;
      this.#stopMedia();
      // Sent back while setting up: the next state says so; nothing to tell.
      if (e instanceof ClientError && e.code === 'NOT_ADMITTED') return;
      console.warn('media set-up failed', e);
      if (this.#retries < 3) {
        this.#retries++;
        this.#on.mediaProblem('We are having trouble connecting your video. Trying again…');
        this.#retryTimer = setTimeout(() => this.#reconcile(), 1500 * this.#retries);
      } else {
        this.#on.mediaProblem(
          'We could not connect your video and sound. Your network may block video calls. Leave and join again, or tell the clinic.',
        );
      }
    }
  }

  async #subscribe(a: ProducerAnnouncement, gen: number): Promise<void> {
    const media = this.#media;
    if (!media || gen !== this.#gen || a.participantId === this.#view?.self.id || this.#known.has(a.producerId)) return;
    const k: Known = { participantId: a.participantId, kind: a.kind };
    this.#known.set(a.producerId, k);
    try {
      const r = await media.subscribe(a);
      if (gen !== this.#gen || this.#known.get(a.producerId) !== k) {
        media.dropConsumer(r.consumerId);
        return;
      }
      k.consumerId = r.consumerId;
      this.#remote.added(r);
    } catch (e) {
      if (this.#known.get(a.producerId) === k) this.#known.delete(a.producerId);
      if (gen === this.#gen) console.warn('could not receive a stream', e);
    }
  }

  #forget(producerId: string): void {
    const k = this.#known.get(producerId);
    if (!k) return;
    this.#known.delete(producerId);
    if (k.consumerId) {
      this.#remote.removed(k.consumerId);
      this.#media?.dropConsumer(k.consumerId);
    }
  }

  #stopMedia(): void {
    this.#gen++;
    this.#ready = false;
    this.#pending = [];
    this.#known.clear();
    this.#media?.close();
    this.#media = null;
    this.#remote.cleared();
  }

  get everConnected(): boolean {
    return this.#everConnected;
  }
}
