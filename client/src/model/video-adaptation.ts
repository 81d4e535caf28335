// Keeps a call's sound clear on a poor link (issue 16): every couple of
// seconds it reads both paths' stats, lets an AdaptationPolicy per direction
// pick a level (model/adaptation-policy.ts), and acts on it. Receiving: the
// others' video at the top layer, then the lowest, then paused at the SFU.
// Sending: our camera at every layer, the lowest only, then paused (only
// while the person wants it on: MediaSession combines the two). Audio is
// never touched. The server is told what is paused (self:videoPaused) so
// everyone's view shows it, and the call view gets one CallNetwork, told
// only when it changed. Driven by the Consultation while admitted with media.
import type { ConsultationView } from '../../../server/wire/participants.ts';
import { AdaptationPolicy, readReceive, readSend, type Level, type ReceiveSample, type SendSample } from './adaptation-policy.ts';
import type { CallNetwork, Quality, RemoteNetwork } from './call-network.ts';
import { qualityOf, TOP_LAYER } from './layer-policy.ts';
import type { LinkStats, MediaSession } from './media-session.ts';

export interface VideoPausedState {
  sending: boolean;
  receiving: boolean;
}

export interface AdaptationHost {
  /** Tells the server what this page paused (self:videoPaused); rejects when it could not. */
  tell(paused: VideoPausedState): Promise<void>;
  /** The call's network state changed (to the call view). */
  network(state: CallNetwork): void;
}

/** One stats sample every 2 s: quick enough to step down within seconds, slow enough to average a little. */
export const SAMPLE_EVERY_MS = 2000;
/**
 * A sender's stream scored below this at the SFU (0-10, from the loss on its
 * way there) is damaged before it reaches our link: our loss and jitter then
 * say little about our own link.
 */
export const UPSTREAM_MIN_SCORE = 8;

type Media = Pick<
  MediaSession,
  'linkStats' | 'setSendLevel' | 'sendingCamera' | 'videoConsumers' | 'setConsumerPaused' | 'preferLayer'
>;

interface Applied {
  layer: number;
  paused: boolean;
}

const NOTHING: VideoPausedState = { sending: false, receiving: false };

export class VideoAdaptation {
  readonly #host: AdaptationHost;
  readonly #everyMs: number;
  readonly #now: () => number;
  readonly #send = new AdaptationPolicy();
  readonly #recv = new AdaptationPolicy();
  #media: Media | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #polling = false;
  #last: { stats: LinkStats; at: number } | null = null;
  /** What each video consumer was last set to at the SFU. */
  readonly #applied = new Map<string, Applied>();
  readonly #scores = new Map<string, number>();
  /** How each sender's stream reaches the SFU, by our consumer of it. */
  readonly #upstream = new Map<string, number>();
  readonly #senderPaused = new Set<string>();
  /** Latest readings: quality shown for this page's own link. */
  #sendCapacity: Level | null = null;
  #recvCapacity: Level | null = null;
  #rtt: number | null = null;
  /** What the server was last told (and acknowledged). */
  #told: VideoPausedState = NOTHING;
  #view: ConsultationView | null = null;
  #shown = '';
  #closed = false;

  /** `everyMs` 0: no timer (tests call poll()); `now`: the clock samples are timed by. */
  constructor(host: AdaptationHost, opts: { everyMs?: number; now?: () => number } = {}) {
    this.#host = host;
    this.#everyMs = opts.everyMs ?? SAMPLE_EVERY_MS;
    this.#now = opts.now ?? Date.now;
  }

  get sendLevel(): Level {
    return this.#send.level;
  }

  get receiveLevel(): Level {
    return this.#recv.level;
  }

  /** A new media session is up: start from the top (nothing is known about its path; the server forgot the old one). */
  start(media: Media): void {
    if (this.#closed) return;
    this.stop();
    this.#media = media;
    this.#send.reset();
    this.#recv.reset();
    this.#told = NOTHING;
    if (this.#everyMs > 0) this.#timer = setInterval(() => void this.poll(), this.#everyMs);
    this.#publish();
  }

  /** Media stopped (sent back, rebuilt, closed). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#media = null;
    this.#last = null;
    this.#applied.clear();
    this.#scores.clear();
    this.#upstream.clear();
    this.#senderPaused.clear();
    this.#sendCapacity = this.#recvCapacity = null;
    this.#rtt = null;
    this.#publish();
  }

  close(): void {
    this.stop();
    this.#closed = true;
  }

  /** Each consultation:state: the others' videoPaused, who is in the call. */
  view(view: ConsultationView): void {
    this.#view = view;
    this.#publish();
  }

  /** The SFU's score of one of our consumers, and of its sender's stream as it reaches the SFU (media:consumerScore). */
  score(consumerId: string, score: number, producerScore?: number): void {
    this.#scores.set(consumerId, score);
    if (producerScore !== undefined) this.#upstream.set(consumerId, producerScore);
  }

  /** The sender paused (or resumed) what that consumer receives: a paused stream scores nothing upstream. */
  senderPaused(consumerId: string, paused: boolean): void {
    if (paused) this.#senderPaused.add(consumerId);
    else this.#senderPaused.delete(consumerId);
  }

  /** That consumer closed: its scores go with it. */
  consumerGone(consumerId: string): void {
    this.#scores.delete(consumerId);
    this.#upstream.delete(consumerId);
    this.#senderPaused.delete(consumerId);
    this.#applied.delete(consumerId);
  }

  /** One sample: read, decide, act, tell. Errors wait for the next sample. */
  async poll(): Promise<void> {
    const media = this.#media;
    if (!media || this.#polling) return;
    this.#polling = true;
    try {
      const stats = await media.linkStats();
      if (media !== this.#media) return;
      const now = this.#now();
      const prev = this.#last;
      this.#last = { stats, at: now };
      const send = sendSample(stats, this.#send.level);
      const recv = prev ? this.#receiveSample(media, prev.stats, stats, (now - prev.at) / 1000) : null;
      this.#rtt = stats.recv.rttSeconds ?? stats.send.rttSeconds;
      // Our own camera's path is read only while it is sent: with it off there is nothing to measure.
      const sending = media.sendingCamera;
      const sendReading = sending ? readSend(send, this.#send.level) : null;
      this.#sendCapacity = sendReading?.capacity ?? null;
      this.#send.next(sendReading);
      const recvReading = recv ? readReceive(recv) : null;
      this.#recvCapacity = recvReading?.capacity ?? this.#recvCapacity;
      this.#recv.next(recvReading);
      await this.#act(media);
    } catch (e) {
      if (this.#media) console.warn('could not adapt the video to the connection', e);
    } finally {
      this.#polling = false;
      this.#publish();
    }
  }

  /** Pausing: the others are told first (their page says why before the video stops); resuming: after. */
  async #act(media: Media): Promise<void> {
    const want: VideoPausedState = {
      sending: media.sendingCamera && this.#send.level === 'audio',
      receiving: media.videoConsumers().length > 0 && this.#recv.level === 'audio',
    };
    const pausing = (want.sending && !this.#told.sending) || (want.receiving && !this.#told.receiving);
    // Best effort: a slow answer must not hold back the step that keeps the sound clear (told again below).
    if (pausing) await this.#tell(want).catch(() => undefined);
    await media.setSendLevel(this.#send.level);
    await this.#applyReceive(media);
    if (media === this.#media) await this.#tell(want);
  }

  async #tell(want: VideoPausedState): Promise<void> {
    if (want.sending === this.#told.sending && want.receiving === this.#told.receiving) return;
    await this.#host.tell(want);
    this.#told = want;
  }

  async #applyReceive(media: Media): Promise<void> {
    const level = this.#recv.level;
    const target: Applied = { paused: level === 'audio', layer: level === 'top' ? TOP_LAYER : 0 };
    const live = new Set<string>();
    for (const { consumerId } of media.videoConsumers()) {
      live.add(consumerId);
      // A new consumer comes resumed at the top layer (the SFU's default).
      const now = this.#applied.get(consumerId) ?? { paused: false, layer: TOP_LAYER };
      try {
        if (!target.paused && now.layer !== target.layer) await media.preferLayer(consumerId, target.layer);
        if (now.paused !== target.paused) await media.setConsumerPaused(consumerId, target.paused);
        this.#applied.set(consumerId, { paused: target.paused, layer: target.paused ? now.layer : target.layer });
      } catch (e) {
        // Not known now: the next sample asks for both again (each is harmless repeated).
        this.#applied.set(consumerId, { paused: !target.paused, layer: -1 });
        throw e;
      }
    }
    for (const id of [...this.#applied.keys()]) if (!live.has(id)) this.#applied.delete(id);
  }

  #receiveSample(media: Media, a: LinkStats, b: LinkStats, seconds: number): ReceiveSample | null {
    const received = b.recv.packetsReceived - a.recv.packetsReceived;
    const lost = b.recv.packetsLost - a.recv.packetsLost;
    // A stream came or went between the samples: counters not comparable, skip this one.
    if (received < 0 || lost < 0) return null;
    const frames = b.recv.videoFramesDecoded - a.recv.videoFramesDecoded;
    const videoFlowing = this.#recv.level !== 'audio' && media.videoConsumers().length > 0;
    const scores = media.videoConsumers().flatMap((c) => (this.#scores.has(c.consumerId) ? [this.#scores.get(c.consumerId)!] : []));
    // The SFU passes on the sender's loss and jitter: while some sender's stream arrives there damaged,
    // what we count is (partly) theirs, so only our own round trip speaks for our link.
    if ([...this.#upstream].some(([id, s]) => s < UPSTREAM_MIN_SCORE && !this.#senderPaused.has(id))) {
      return { lossFraction: null, jitterSeconds: null, framesPerSecond: null, score: null, rttSeconds: b.recv.rttSeconds };
    }
    return {
      lossFraction: received + lost > 0 ? lost / (received + lost) : null,
      jitterSeconds: b.recv.jitterSeconds,
      framesPerSecond: videoFlowing && frames >= 0 && seconds > 0 ? frames / seconds : null,
      score: this.#recv.level !== 'audio' && scores.length > 0 ? Math.min(...scores) : null,
      rttSeconds: b.recv.rttSeconds,
    };
  }

  /** The call view's state from what is known now; told only when it changed. */
  #publish(): void {
    const state = this.#network();
    const text = JSON.stringify({ ...state, remotes: [...state.remotes] });
    if (text === this.#shown) return;
    this.#shown = text;
    this.#host.network(state);
  }

  #network(): CallNetwork {
    const media = this.#media;
    const sendingPaused = !!media && media.sendingCamera && this.#send.level === 'audio';
    const receivingPaused = !!media && media.videoConsumers().length > 0 && this.#recv.level === 'audio';
    const remotes = new Map<string, RemoteNetwork>();
    const selfId = this.#view?.self.id;
    const videoFrom = new Map((media?.videoConsumers() ?? []).map((c) => [c.participantId, c.consumerId]));
    for (const p of this.#view?.admitted ?? []) {
      if (p.id === selfId) continue;
      const theirs = p.videoPaused;
      const consumerId = videoFrom.get(p.id);
      const base: Quality = media ? qualityOf(this.#rtt, consumerId ? (this.#scores.get(consumerId) ?? null) : null) : 'unknown';
      remotes.set(p.id, {
        quality: theirs ? 'poor' : base,
        videoPaused: receivingPaused && consumerId ? 'your-link' : theirs?.sending ? 'their-link' : 'none',
        cannotSeeYou: !!theirs?.receiving,
      });
    }
    return { self: { quality: this.#selfQuality(), sendingPaused, receivingPaused }, remotes };
  }

  #selfQuality(): Quality {
    if (!this.#media || (this.#sendCapacity === null && this.#recvCapacity === null && this.#rtt === null)) return 'unknown';
    const levels = [this.#send.level, this.#recv.level, this.#sendCapacity, this.#recvCapacity];
    if (this.#send.level === 'audio' || this.#recv.level === 'audio') return 'poor';
    if (levels.some((l) => l === 'low' || l === 'audio')) return 'fair';
    return qualityOf(this.#rtt, null) === 'poor' ? 'fair' : 'good';
  }
}

/**
 * The send sample at level `at`. With video paused only the sound's loss is
 * left: it may include others' loss (mediasoup reports the worst receiver's,
 * for Opus FEC), which errs towards waiting, never towards breaking the sound.
 */
function sendSample(s: LinkStats, at: Level): SendSample {
  return {
    availableKbps: s.send.availableBitrate === null ? null : s.send.availableBitrate / 1000,
    lossFraction: at === 'audio' ? s.send.audioFractionLost : s.send.fractionLost,
    rttSeconds: s.send.rttSeconds,
    bandwidthLimited: s.send.bandwidthLimited,
  };
}
