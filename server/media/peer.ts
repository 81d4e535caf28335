// One participant's media inside one Router: its WebRtcTransports, producers
// and consumers, in typed maps. Every lookup is in this peer's own maps, so a
// transport or consumer id from another consultation is simply not found.
import type { types } from 'mediasoup';
import { AppError } from '../core/errors.ts';

export type Direction = 'send' | 'recv';
export type MediaSource = 'camera' | 'microphone';

export interface TransportInfo {
  id: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

export interface ConsumerInfo {
  id: string;
  producerId: string;
  kind: types.MediaKind;
  rtpParameters: types.RtpParameters;
  producerPaused: boolean;
}

export interface ProducerAppData extends types.AppData {
  peerId: string;
  source: MediaSource;
}

export interface PeerEvents {
  /** A consumer closed because its producer went away or its transport closed. */
  onConsumerClosed(consumerId: string): void;
  /** `producerScore`: the sender's stream as it reaches the SFU (loss there is theirs, not this receiver's). */
  onConsumerScore(consumerId: string, score: number, producerScore?: number): void;
  onConsumerLayersChanged(consumerId: string, spatialLayer: number | null): void;
  /** A transport's ICE state changed (e.g. 'disconnected' when the client's network went away). */
  onIceStateChange?(transportId: string, state: types.IceState): void;
  /** The send transport found a new path: those receiving this peer's video need a keyframe. */
  onSendPathChanged?(): void;
}

/** Which of this peer's video is paused because its link cannot carry it (ParticipantView.videoPaused). */
export interface VideoPaused {
  sending: boolean;
  receiving: boolean;
}

const notFound = (what: string) => new AppError('NOT_FOUND', `No such ${what} in this consultation.`);

/** Consumers one peer may hold: 3 other people x 2 kinds, with room to spare. */
export const MAX_CONSUMERS_PER_PEER = 32;

/**
 * mediasoup refuses parameters it cannot use (unknown codecs, bad
 * fingerprints, a second connect) by throwing; those are the client's
 * mistakes, answered as MEDIA_REJECTED, not server faults.
 */
async function mediasoup<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof AppError) throw e;
    const name = (e as Error | undefined)?.name;
    if (name === 'InvalidStateError') throw new AppError('NOT_IN_CONSULTATION', 'This media session is closed.', { cause: e });
    throw new AppError('MEDIA_REJECTED', { cause: e });
  }
}

export class Peer {
  readonly id: string;
  readonly #router: types.Router;
  readonly #webRtcServer: types.WebRtcServer;
  readonly #events: PeerEvents;
  readonly #transports = new Map<string, { transport: types.WebRtcTransport; direction: Direction }>();
  readonly #producers = new Map<string, types.Producer<ProducerAppData>>();
  readonly #consumers = new Map<string, types.Consumer>();
  /** Slots taken by calls still awaiting the worker, so concurrent calls cannot exceed the limits. */
  readonly #pendingDirections = new Set<Direction>();
  readonly #pendingSources = new Set<MediaSource>();
  #pendingConsumers = 0;
  #videoPaused: VideoPaused | null = null;
  #closed = false;

  constructor(id: string, router: types.Router, webRtcServer: types.WebRtcServer, events: PeerEvents) {
    this.id = id;
    this.#router = router;
    this.#webRtcServer = webRtcServer;
    this.#events = events;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get producers(): types.Producer<ProducerAppData>[] {
    return [...this.#producers.values()];
  }

  /** The ids of this peer's open transports. */
  transportIds(): string[] {
    return [...this.#transports.keys()];
  }

  /** Whether this peer's open transports are exactly these (a page resuming its media after a reconnect). */
  holdsExactly(transportIds: readonly string[]): boolean {
    const wanted = new Set(transportIds);
    return !this.#closed && wanted.size === this.#transports.size && [...wanted].every((id) => this.#transports.has(id));
  }

  /** Some transport's ICE is connected: media may still be flowing although the signalling went away. */
  carriesMedia(): boolean {
    return [...this.#transports.values()].some(({ transport }) => transport.iceState === 'connected' || transport.iceState === 'completed');
  }

  /** Some transport lost its ICE connection (the client's network went away or changed). */
  iceDisconnected(): boolean {
    return [...this.#transports.values()].some(({ transport }) => transport.iceState === 'disconnected');
  }

  counts(): { transports: number; producers: number; consumers: number } {
    return { transports: this.#transports.size, producers: this.#producers.size, consumers: this.#consumers.size };
  }

  /** After any await: if the peer closed meanwhile (sent back, left), undo and refuse. */
  #keepOrUndo(created: { close(): void }): void {
    if (!this.#closed) return;
    created.close();
    throw new AppError('NOT_ADMITTED', 'You are no longer in the consultation.');
  }

  async createTransport(direction: Direction): Promise<TransportInfo> {
    this.#assertOpen();
    const existing = [...this.#transports.values()].some((t) => t.direction === direction);
    if (existing || this.#pendingDirections.has(direction)) throw new AppError('BAD_REQUEST', `A ${direction} transport already exists.`);
    this.#pendingDirections.add(direction);
    let transport: types.WebRtcTransport;
    try {
      transport = await mediasoup(() =>
        this.#router.createWebRtcTransport({
          webRtcServer: this.#webRtcServer,
          enableUdp: true,
          enableTcp: true,
          preferUdp: true,
          initialAvailableOutgoingBitrate: 600_000,
          appData: { peerId: this.id, direction },
        }),
      );
    } finally {
      this.#pendingDirections.delete(direction);
    }
    this.#keepOrUndo(transport);
    this.#transports.set(transport.id, { transport, direction });
    transport.observer.once('close', () => this.#transports.delete(transport.id));
    transport.on('icestatechange', (state) => this.#events.onIceStateChange?.(transport.id, state));
    // A new path (an ICE restart after a network switch or an outage): video lost on the way can
    // only be repaired by a keyframe, so ask for one now rather than wait for the browser to.
    transport.on('iceselectedtuplechange', () => {
      if (direction === 'recv') this.requestKeyFrames();
      else this.#events.onSendPathChanged?.();
    });
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    const { transport } = this.#transport(transportId);
    await mediasoup(() => transport.connect({ dtlsParameters }));
  }

  async restartIce(transportId: string): Promise<types.IceParameters> {
    const { transport } = this.#transport(transportId);
    return mediasoup(() => transport.restartIce());
  }

  async produce(
    transportId: string,
    kind: types.MediaKind,
    rtpParameters: types.RtpParameters,
    source: MediaSource,
  ): Promise<types.Producer<ProducerAppData>> {
    const t = this.#transport(transportId);
    if (t.direction !== 'send') throw new AppError('BAD_REQUEST', 'Produce needs a send transport.');
    if ((source === 'camera') !== (kind === 'video')) throw new AppError('BAD_REQUEST', 'The source does not match the media kind.');
    if (this.producers.some((p) => p.appData.source === source) || this.#pendingSources.has(source)) {
      throw new AppError('BAD_REQUEST', `A ${source} is already being sent.`);
    }
    this.#pendingSources.add(source);
    let producer: types.Producer<ProducerAppData>;
    try {
      producer = await mediasoup(() => t.transport.produce<ProducerAppData>({ kind, rtpParameters, appData: { peerId: this.id, source } }));
    } finally {
      this.#pendingSources.delete(source);
    }
    this.#keepOrUndo(producer);
    this.#producers.set(producer.id, producer);
    producer.observer.once('close', () => this.#producers.delete(producer.id));
    return producer;
  }

  async consume(transportId: string, producer: types.Producer, rtpCapabilities: types.RtpCapabilities): Promise<ConsumerInfo> {
    const t = this.#transport(transportId);
    if (t.direction !== 'recv') throw new AppError('BAD_REQUEST', 'Consume needs a receive transport.');
    if (!this.#router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      throw new AppError('MEDIA_ERROR', 'This device cannot decode that stream.');
    }
    if (this.#consumers.size + this.#pendingConsumers >= MAX_CONSUMERS_PER_PEER) throw new AppError('BAD_REQUEST', 'Too many streams open at once.');
    this.#pendingConsumers++;
    let consumer: types.Consumer;
    try {
      // Paused until the client has set up its track, so no keyframe is lost.
      consumer = await mediasoup(() => t.transport.consume({ producerId: producer.id, rtpCapabilities, paused: true }));
    } finally {
      this.#pendingConsumers--;
    }
    this.#keepOrUndo(consumer);
    this.#consumers.set(consumer.id, consumer);
    const gone = () => {
      if (this.#consumers.delete(consumer.id)) this.#events.onConsumerClosed(consumer.id);
    };
    consumer.on('producerclose', () => {
      consumer.close();
      gone();
    });
    consumer.on('transportclose', gone);
    consumer.on('score', (s) => this.#events.onConsumerScore(consumer.id, s.score, s.producerScore));
    consumer.on('layerschange', (l) => this.#events.onConsumerLayersChanged(consumer.id, l?.spatialLayer ?? null));
    return { id: consumer.id, producerId: producer.id, kind: consumer.kind, rtpParameters: consumer.rtpParameters, producerPaused: consumer.producerPaused };
  }

  /** Asks the senders for a keyframe on this peer's video consumers (all, or those of these producers). */
  requestKeyFrames(producerIds?: ReadonlySet<string>): void {
    for (const c of this.#consumers.values()) {
      if (c.kind !== 'video' || c.closed || (producerIds && !producerIds.has(c.producerId))) continue;
      c.requestKeyFrame().catch(() => undefined); // closed meanwhile: nothing to repair
    }
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    const c = this.#consumer(consumerId);
    await mediasoup(() => c.resume());
  }

  /** Simulcast: which spatial layer this consumer should receive (0 is the lowest). */
  async setPreferredLayers(consumerId: string, spatialLayer: number): Promise<void> {
    const c = this.#consumer(consumerId);
    if (c.type !== 'simulcast') return;
    await mediasoup(() => c.setPreferredLayers({ spatialLayer }));
  }

  /**
   * The receiver's own pause of one of its consumers (its link cannot carry
   * that video just now; resumed when it recovers). Only this peer's consumers:
   * anyone else's id is not found.
   */
  async setConsumerPaused(consumerId: string, paused: boolean): Promise<void> {
    const c = this.#consumer(consumerId);
    await mediasoup(() => (paused ? c.pause() : c.resume()));
  }

  /** Video this peer paused to keep its sound clear, as it last said (null: none); ephemeral, gone with the peer. */
  get videoPaused(): VideoPaused | null {
    return this.#videoPaused;
  }

  /** Returns whether that changed what the others are shown. */
  setVideoPaused(v: VideoPaused): boolean {
    this.#assertOpen();
    const next = v.sending || v.receiving ? { sending: v.sending, receiving: v.receiving } : null;
    const changed = next?.sending !== this.#videoPaused?.sending || next?.receiving !== this.#videoPaused?.receiving;
    this.#videoPaused = next;
    return changed;
  }

  async setProducerPaused(producerId: string, paused: boolean): Promise<types.Producer<ProducerAppData>> {
    const p = this.#producers.get(producerId);
    if (!p) throw notFound('producer');
    await mediasoup(() => (paused ? p.pause() : p.resume()));
    return p;
  }

  closeProducer(producerId: string): void {
    const p = this.#producers.get(producerId);
    if (!p) throw notFound('producer');
    p.close();
  }

  /** Idempotent; closing the transports closes their producers and consumers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { transport } of this.#transports.values()) transport.close();
    this.#transports.clear();
    this.#producers.clear();
    this.#consumers.clear();
  }

  async stats(): Promise<{ consumers: { id: string; score: number; paused: boolean }[] }> {
    return { consumers: [...this.#consumers.values()].map((c) => ({ id: c.id, score: c.score.score, paused: c.paused })) };
  }

  #assertOpen(): void {
    if (this.#closed) throw new AppError('NOT_IN_CONSULTATION', 'This media session is closed.');
  }

  #transport(id: string) {
    this.#assertOpen();
    const t = this.#transports.get(id);
    if (!t) throw notFound('transport');
    return t;
  }

  #consumer(id: string): types.Consumer {
    this.#assertOpen();
    const c = this.#consumers.get(id);
    if (!c) throw notFound('consumer');
    return c;
  }
}
