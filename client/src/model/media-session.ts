// The browser's side of the SFU: one mediasoup-client Device, one send and one
// receive WebRtcTransport, camera sent as three simulcast layers so a weak
// link can be served a lower one, microphone as Opus. No STUN or TURN server
// is configured unless the server hands one out: media goes only to the
// server's own WebRtcServer port. TURN credentials last minutes: they are
// renewed at half-life while the server still counts us admitted, and a
// transport going through the relay restarts ICE so the relay sees the new ones.
// Each transport's connection state is reported on `observer`, and ICE can be
// restarted on demand (a changed network): the consultation decides when.
import { Device, type types } from 'mediasoup-client';
import type { ConsumerInfo, IceConfig, ProducerAnnouncement, TransportInfo } from '../../../server/wire/media.ts';
import { ClientError, type Rpc } from '../net/rpc.ts';
import { Emitter } from './emitter.ts';
import type { TransportConnectionState, TransportStatus } from './ice-watch.ts';
import type { Level } from './adaptation-policy.ts';
import { TOP_LAYER } from './layer-policy.ts';

export interface RemoteTrack {
  consumerId: string;
  producerId: string;
  participantId: string;
  kind: 'audio' | 'video';
  track: MediaStreamTrack;
  /** The sender had paused it when this subscription was made. */
  producerPaused: boolean;
}

export interface ReceiveStats {
  videoFramesDecoded: number;
  videoBytesReceived: number;
  audioBytesReceived: number;
  audioPacketsReceived: number;
  /** Audio samples decoded and played out (inbound-rtp totalSamplesReceived): sound actually heard. */
  audioSamplesReceived?: number;
  packetsLost: number;
  roundTripTime: number | null;
  /** How the receive path reaches the server: 'host' directly, 'relay' through TURN. */
  localCandidateType: string | null;
}

/** Raw counters of both paths, for the adaptation (model/video-adaptation.ts turns them into samples). */
export interface LinkStats {
  send: {
    /** The congestion controller's estimate, bit/s (candidate pair availableOutgoingBitrate). */
    availableBitrate: number | null;
    /**
     * The worst fractionLost the SFU reports on the video we send (active
     * encodings only: a paused layer's report is stale). Not audio: for Opus
     * with FEC mediasoup reports the worst loss among its receivers, to raise
     * our FEC, which says nothing about our own link.
     */
    fractionLost: number | null;
    /** The same for our sound: mediasoup may report the worst loss among its receivers here (to raise our FEC). */
    audioFractionLost: number | null;
    rttSeconds: number | null;
    /** Some video encoding is limited by bandwidth (qualityLimitationReason). */
    bandwidthLimited: boolean;
  };
  recv: {
    packetsReceived: number;
    packetsLost: number;
    videoFramesDecoded: number;
    /** Audio jitter in seconds (the worst stream). */
    jitterSeconds: number | null;
    rttSeconds: number | null;
  };
}

/** The SSRC of the SFU's bandwidth probation packets (mediasoup's RTP_PROBATION_SSRC). */
const PROBATOR_SSRC = 1234;

/** Never renew more often than this, whatever the lifetime (ms). */
const MIN_RENEW_MS = 10_000;
/** After a failed renewal (a timeout, a reconnect), try again this soon (ms). */
const RETRY_RENEW_MS = 5_000;
/** Refusals that mean we may no longer use media at all: stop renewing. */
const FINAL = new Set(['NOT_ADMITTED', 'CONSULTATION_ENDED', 'NOT_IN_CONSULTATION', 'UNAUTHENTICATED', 'FORBIDDEN']);

const SIMULCAST: RTCRtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 400_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 900_000 },
];

export class MediaSession {
  readonly #rpc: Rpc;
  #iceServers: RTCIceServer[];
  #policy: RTCIceTransportPolicy;
  #device: Device | undefined;
  #send: types.Transport | undefined;
  #recv: types.Transport | undefined;
  readonly #producers = new Map<'camera' | 'microphone', types.Producer>();
  readonly #consumers = new Map<string, { consumer: types.Consumer; participantId: string }>();
  /** The person wants their camera sent (their own toggle); never overridden by the link. */
  #cameraWanted = true;
  /** How much of the camera the link can carry now (the adaptation's send level). */
  #sendLevel: Level = 'top';
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** Each transport's ICE/DTLS connection state changes (for the consultation's ICE watch). */
  readonly observer = new Emitter<{ connectionstatechange: [transportId: string, state: TransportConnectionState] }>();

  constructor(rpc: Rpc, opts: { iceServers?: RTCIceServer[]; iceTransportPolicy?: RTCIceTransportPolicy } = {}) {
    this.#rpc = rpc;
    this.#iceServers = opts.iceServers ?? [];
    this.#policy = opts.iceTransportPolicy ?? 'all';
  }

  async start(): Promise<void> {
    const { rtpCapabilities, iceServers, iceTransportPolicy, expiresAt } = await this.#rpc.request('media:capabilities', {});
    // The server's TURN relay (if the trust runs one) comes with admission; nothing else is ever used.
    if (iceServers.length > 0) this.#iceServers = iceServers;
    if (iceTransportPolicy === 'relay') this.#policy = 'relay';
    this.#scheduleRenewal(expiresAt);
    const device = new Device();
    await device.load({ routerRtpCapabilities: rtpCapabilities as types.RtpCapabilities });
    this.#device = device;
    this.#send = device.createSendTransport(this.#options(await this.#rpc.request('media:createTransport', { direction: 'send' })));
    this.#recv = device.createRecvTransport(this.#options(await this.#rpc.request('media:createTransport', { direction: 'recv' })));
    for (const t of [this.#send, this.#recv]) {
      t.on('connect', ({ dtlsParameters }, ok, fail) => {
        this.#rpc.request('media:connectTransport', { transportId: t.id, dtlsParameters }).then(() => ok(), fail);
      });
      t.on('connectionstatechange', (state) => {
        if (!this.#closed) this.observer.emit('connectionstatechange', t.id, state);
      });
    }
    this.#send.on('produce', ({ kind, rtpParameters, appData }, ok, fail) => {
      const source = (appData as { source: 'camera' | 'microphone' }).source;
      this.#rpc
        .request('media:produce', { transportId: this.#send!.id, kind, rtpParameters: rtpParameters as never, source })
        .then(({ id }) => ok({ id }), fail);
    });
  }

  /** Renews at half the remaining lifetime; nothing to renew when no credential expires. */
  #scheduleRenewal(expiresAt: string | null, delayMs?: number): void {
    clearTimeout(this.#renewTimer);
    if (this.#closed || expiresAt === null) return;
    const wait = delayMs ?? Math.max(MIN_RENEW_MS, (Date.parse(expiresAt) - Date.now()) / 2);
    this.#renewTimer = setTimeout(() => void this.#renew(expiresAt), wait);
  }

  async #renew(current: string): Promise<void> {
    let fresh: IceConfig;
    try {
      fresh = await this.#rpc.request('media:iceServers', {});
    } catch (e) {
      // Sent back, removed or ended: the server resets our media; the old credentials just run out.
      if (e instanceof ClientError && FINAL.has(e.code)) return;
      if (Date.parse(current) - Date.now() > RETRY_RENEW_MS) this.#scheduleRenewal(current, RETRY_RENEW_MS);
      return;
    }
    if (this.#closed) return;
    this.#iceServers = fresh.iceServers;
    for (const t of [this.#send, this.#recv]) {
      if (!t || t.closed) continue;
      try {
        await t.updateIceServers({ iceServers: this.#iceServers });
        // A TURN allocation keeps the credentials it was made with: only an ICE restart moves it to the new ones.
        if (await usesRelay(t)) {
          const { iceParameters } = await this.#rpc.request('media:restartIce', { transportId: t.id });
          await t.restartIce({ iceParameters: iceParameters as types.IceParameters });
        }
      } catch {
        // The transport closed or the server refused: the next renewal (or a media reset) sorts it out.
      }
    }
    this.#scheduleRenewal(fresh.expiresAt);
  }

  #options(info: TransportInfo): types.TransportOptions {
    return {
      id: info.id,
      iceParameters: info.iceParameters as types.IceParameters,
      iceCandidates: info.iceCandidates as types.IceCandidate[],
      dtlsParameters: info.dtlsParameters as types.DtlsParameters,
      iceServers: this.#iceServers,
      iceTransportPolicy: this.#policy,
    };
  }

  /** The send and receive transports' ids (what media:resume asks the server about). */
  get transportIds(): string[] {
    return [this.#send, this.#recv].filter((t) => t !== undefined).map((t) => t.id);
  }

  transportStates(): TransportStatus[] {
    return [this.#send, this.#recv].filter((t) => t !== undefined).map((t) => ({ id: t.id, state: t.closed ? 'closed' : t.connectionState }));
  }

  /** New ICE credentials from the server, then an ICE restart on this side (a changed network). */
  async restartIce(transportId: string): Promise<void> {
    const t = [this.#send, this.#recv].find((x) => x?.id === transportId);
    if (!t || t.closed) return;
    const { iceParameters } = await this.#rpc.request('media:restartIce', { transportId });
    if (!t.closed) await t.restartIce({ iceParameters: iceParameters as types.IceParameters });
  }

  get rtpCapabilities(): types.RtpCapabilities {
    if (!this.#device) throw new Error('media session not started');
    return this.#device.recvRtpCapabilities;
  }

  async publish(stream: MediaStream): Promise<void> {
    if (!this.#send) throw new Error('media session not started');
    const video = stream.getVideoTracks()[0];
    const audio = stream.getAudioTracks()[0];
    if (video) {
      this.#producers.set(
        'camera',
        await this.#send.produce({
          track: video,
          encodings: SIMULCAST,
          codecOptions: { videoGoogleStartBitrate: 600 },
          // The page owns its camera and microphone: closing the session (sent back to the
          // waiting room, a reconnect) must not stop the tracks behind the self view.
          stopTracks: false,
          appData: { source: 'camera' },
        }),
      );
    }
    if (audio) {
      this.#producers.set(
        'microphone',
        await this.#send.produce({ track: audio, codecOptions: { opusDtx: true, opusFec: true }, stopTracks: false, appData: { source: 'microphone' } }),
      );
    }
  }

  /** Replaces the camera or microphone track (device picker) without renegotiating. */
  async replaceTrack(source: 'camera' | 'microphone', track: MediaStreamTrack): Promise<void> {
    await this.#producers.get(source)?.replaceTrack({ track });
  }

  /**
   * The person's own camera or microphone toggle. The camera is sent iff they
   * want it AND the link can carry it (setSendLevel): a link recovering never
   * turns on a camera they turned off.
   */
  async setPaused(source: 'camera' | 'microphone', paused: boolean): Promise<void> {
    const p = this.#producers.get(source);
    if (!p) return;
    if (source === 'camera') this.#cameraWanted = !paused;
    if (paused) p.pause();
    else p.resume();
    await this.#rpc.request('media:setProducerPaused', { producerId: p.id, paused: source === 'camera' ? this.#cameraPaused : paused });
  }

  /** Whether the SFU should hold our camera paused: not wanted, or the link cannot carry it. */
  get #cameraPaused(): boolean {
    return !this.#cameraWanted || this.#sendLevel === 'audio';
  }

  /** Whether a camera is being sent (the person has not turned it off); false without a camera. */
  get sendingCamera(): boolean {
    const p = this.#producers.get('camera');
    return !!p && !p.closed && this.#cameraWanted;
  }

  /**
   * How much of the camera the link carries: every simulcast layer, the
   * lowest only, or none (audio only; the SFU holds the producer paused so
   * the others know). The track itself is untouched: the self view goes on.
   */
  async setSendLevel(level: Level): Promise<void> {
    if (level === this.#sendLevel) return;
    const wasPaused = this.#cameraPaused;
    this.#sendLevel = level;
    const p = this.#producers.get('camera');
    if (!p || p.closed) return;
    if (level === 'audio') await p.setRtpEncodingParameters({ active: false });
    else {
      const layer = level === 'top' ? TOP_LAYER : 0;
      // mediasoup-client skips a max layer equal to the one it remembers, and turning every encoding
      // off (audio only) does not change what it remembers: back from audio only at that same layer,
      // the encodings would stay off. Set the other extreme first so the target really applies.
      if (p.maxSpatialLayer === layer) await p.setMaxSpatialLayer(layer === 0 ? TOP_LAYER : 0);
      await p.setMaxSpatialLayer(layer);
    }
    if (this.#cameraPaused !== wasPaused) await this.#rpc.request('media:setProducerPaused', { producerId: p.id, paused: this.#cameraPaused });
  }

  get sendLevel(): Level {
    return this.#sendLevel;
  }

  /** The video this page receives: consumer and whose it is. */
  videoConsumers(): { consumerId: string; participantId: string }[] {
    return [...this.#consumers.values()].filter((c) => c.consumer.kind === 'video' && !c.consumer.closed).map((c) => ({ consumerId: c.consumer.id, participantId: c.participantId }));
  }

  /** Stops (or restarts) receiving one video at the SFU and here: our link cannot carry it just now. */
  async setConsumerPaused(consumerId: string, paused: boolean): Promise<void> {
    const c = this.#consumers.get(consumerId)?.consumer;
    if (!c || c.closed) return;
    await this.#rpc.request('media:setConsumerPaused', { consumerId, paused });
    if (paused) c.pause();
    else c.resume();
  }

  async subscribe(a: ProducerAnnouncement): Promise<RemoteTrack> {
    if (!this.#recv) throw new Error('media session not started');
    const info: ConsumerInfo = await this.#rpc.request('media:consume', {
      transportId: this.#recv.id,
      producerId: a.producerId,
      rtpCapabilities: this.rtpCapabilities as never,
    });
    const consumer = await this.#recv.consume({
      id: info.id,
      producerId: info.producerId,
      kind: info.kind,
      rtpParameters: info.rtpParameters as types.RtpParameters,
    });
    this.#consumers.set(consumer.id, { consumer, participantId: a.participantId });
    await this.#rpc.request('media:resumeConsumer', { consumerId: consumer.id });
    return {
      consumerId: consumer.id,
      producerId: info.producerId,
      participantId: a.participantId,
      kind: info.kind,
      track: consumer.track,
      producerPaused: info.producerPaused,
    };
  }

  dropConsumer(consumerId: string): void {
    this.#consumers.get(consumerId)?.consumer.close();
    this.#consumers.delete(consumerId);
  }

  /** Asks the SFU for a lower (or higher) simulcast layer of one video. */
  async preferLayer(consumerId: string, spatialLayer: number): Promise<void> {
    await this.#rpc.request('media:setPreferredLayers', { consumerId, spatialLayer });
  }

  /** Both paths' counters in one go (for the adaptation, every couple of seconds). */
  async linkStats(): Promise<LinkStats> {
    const out: LinkStats = {
      send: { availableBitrate: null, fractionLost: null, audioFractionLost: null, rttSeconds: null, bandwidthLimited: false },
      recv: { packetsReceived: 0, packetsLost: 0, videoFramesDecoded: 0, jitterSeconds: null, rttSeconds: null },
    };
    const live = (t: types.Transport | undefined) => (t && !t.closed && t.connectionState === 'connected' ? t : undefined);
    const send = live(this.#send);
    const recv = live(this.#recv);
    if (send) {
      const report = await send.getStats();
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
          if (typeof s.availableOutgoingBitrate === 'number') out.send.availableBitrate = s.availableOutgoingBitrate;
          if (typeof s.currentRoundTripTime === 'number') out.send.rttSeconds = s.currentRoundTripTime;
        }
        if (s.type === 'outbound-rtp' && s.kind === 'video' && s.active !== false && s.qualityLimitationReason === 'bandwidth') out.send.bandwidthLimited = true;
        if (s.type === 'remote-inbound-rtp' && s.kind === 'video' && typeof s.fractionLost === 'number') {
          const local = report.get(String(s.localId)) as Record<string, unknown> | undefined;
          if (local?.active !== false) out.send.fractionLost = Math.max(out.send.fractionLost ?? 0, s.fractionLost);
        }
        if (s.type === 'remote-inbound-rtp' && s.kind === 'audio' && typeof s.fractionLost === 'number') {
          out.send.audioFractionLost = Math.max(out.send.audioFractionLost ?? 0, s.fractionLost);
        }
      });
    }
    if (recv) {
      (await recv.getStats()).forEach((s: Record<string, unknown>) => {
        // Not the SFU's bandwidth probe (mediasoup-client's 'probator' receiver): its bursts jump sequence numbers.
        if (s.type === 'inbound-rtp' && s.mid !== 'probator' && s.ssrc !== PROBATOR_SSRC) {
          out.recv.packetsReceived += Number(s.packetsReceived ?? 0);
          out.recv.packetsLost += Math.max(0, Number(s.packetsLost ?? 0));
          if (s.kind === 'video') out.recv.videoFramesDecoded += Number(s.framesDecoded ?? 0);
          if (s.kind === 'audio' && typeof s.jitter === 'number') out.recv.jitterSeconds = Math.max(out.recv.jitterSeconds ?? 0, s.jitter);
        }
        if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded' && typeof s.currentRoundTripTime === 'number') out.recv.rttSeconds = s.currentRoundTripTime;
      });
    }
    return out;
  }

  async receiveStats(): Promise<ReceiveStats> {
    const out: ReceiveStats = {
      videoFramesDecoded: 0,
      videoBytesReceived: 0,
      audioBytesReceived: 0,
      audioPacketsReceived: 0,
      audioSamplesReceived: 0,
      packetsLost: 0,
      roundTripTime: null,
      localCandidateType: null,
    };
    if (!this.#recv) return out;
    const report = await this.#recv.getStats();
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp') {
        if (s.kind === 'video') {
          out.videoFramesDecoded += Number(s.framesDecoded ?? 0);
          out.videoBytesReceived += Number(s.bytesReceived ?? 0);
        } else if (s.kind === 'audio') {
          out.audioBytesReceived += Number(s.bytesReceived ?? 0);
          out.audioPacketsReceived += Number(s.packetsReceived ?? 0);
          out.audioSamplesReceived = (out.audioSamplesReceived ?? 0) + Number(s.totalSamplesReceived ?? 0);
        }
        out.packetsLost += Number(s.packetsLost ?? 0);
      }
      if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number') out.roundTripTime = s.currentRoundTripTime;
    });
    report.forEach((s: Record<string, unknown>) => {
      if (s.type !== 'candidate-pair' || !s.nominated || s.state !== 'succeeded') return;
      const local = report.get(String(s.localCandidateId)) as Record<string, unknown> | undefined;
      if (local && typeof local.candidateType === 'string') out.localCandidateType = local.candidateType;
    });
    return out;
  }

  /**
   * The round-trip time to the server in seconds, from the receive transport
   * or, before anything is received, the send transport; null when unknown.
   */
  async roundTripTime(): Promise<number | null> {
    for (const t of [this.#recv, this.#send]) {
      if (!t || t.closed || t.connectionState !== 'connected') continue;
      let rtt: number | null = null;
      (await t.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number') rtt = s.currentRoundTripTime;
      });
      if (rtt !== null) return rtt;
    }
    return null;
  }

  close(): void {
    this.#closed = true;
    this.observer.clear();
    clearTimeout(this.#renewTimer);
    this.#send?.close();
    this.#recv?.close();
    this.#producers.clear();
    this.#consumers.clear();
  }
}

/** Whether the transport's selected candidate pair goes through the TURN relay. */
async function usesRelay(t: types.Transport): Promise<boolean> {
  if (t.connectionState === 'new') return false;
  let relay = false;
  const report = await t.getStats();
  report.forEach((s: Record<string, unknown>) => {
    if (s.type !== 'candidate-pair' || !s.nominated) return;
    const local = report.get(String(s.localCandidateId)) as Record<string, unknown> | undefined;
    if (local?.candidateType === 'relay') relay = true;
  });
  return relay;
}
