// The call: one tile per other admitted participant (their camera and sound in
// one <video>), your own camera (muted), camera / microphone / leave buttons,
// and a connection-quality line per tile. A remote tile whose connection turns
// poor is switched to the lowest simulcast layer, and back when it recovers
// (the policy is model/layer-policy.ts). A remote video that stops moving
// while its sender has not paused it says so (ui/frozen-video.ts). This file
// keeps the tiles in step with the consultation; one tile is call-tile.ts, the
// buttons call-controls.ts.
import type { ConsultationView } from '../../../server/wire/participants.ts';
import type { RemoteMedia } from '../model/consultation.ts';
import { layerAfterFailure, preferredLayer, qualityOf, TOP_LAYER, type Quality } from '../model/layer-policy.ts';
import type { MediaSession, RemoteTrack } from '../model/media-session.ts';
import { CallControls } from './call-controls.ts';
import { labelTile, newTile, QUALITY_TEXT, qualityLine, showFrozen, type Tile } from './call-tile.ts';
import type { DeviceControls } from './device-controls.ts';
import { h, setStatus } from './dom.ts';
import { CALL_EMPTY } from './messages.ts';

export interface CallHost {
  media(): MediaSession | null;
  leave(): void;
}

const STATS_EVERY_MS = 2000;

export class CallView {
  readonly element: HTMLElement;
  /** A <details> the page can put the device pickers into. */
  readonly settings: HTMLDetailsElement;
  readonly #devicePanel: DeviceControls;
  readonly #host: CallHost;
  readonly #tiles = new Map<string, Tile>();
  readonly #consumers = new Map<string, { participantId: string; kind: 'audio' | 'video' }>();
  readonly #scores = new Map<string, number>();
  readonly #names = new Map<string, string>();
  readonly #grid: HTMLElement;
  readonly #empty: HTMLElement;
  /** A guest's clinician, once seen in the call (their absence after that is a step out). */
  #clinicianSeen: { id: string; name: string } | null = null;
  readonly #selfVideo: HTMLVideoElement;
  readonly #selfQuality: HTMLElement;
  readonly #controls: CallControls;
  #admitted = new Set<string>();
  #selfId = '';
  #rtt: number | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #active = false;

  constructor(controls: DeviceControls, host: CallHost) {
    this.#devicePanel = controls;
    this.#host = host;
    this.#empty = h('p', { class: 'empty' }, CALL_EMPTY.nobodyYet);
    this.#grid = h('div', { class: 'tiles' });
    this.#selfVideo = h('video', { autoplay: '', playsinline: '', 'aria-label': 'Your camera' });
    this.#selfVideo.muted = true;
    const selfState = h('span', { class: 'media-state' });
    this.#selfQuality = qualityLine();
    const self = h(
      'figure',
      { class: 'tile self' },
      this.#selfVideo,
      h('figcaption', {}, h('span', { class: 'name' }, 'You'), ' ', selfState, ' ', this.#selfQuality),
    );
    this.#controls = new CallControls(controls.devices, selfState, {
      media: () => this.#host.media(),
      leave: () => this.#host.leave(),
      unmuteAll: () => this.#unmuteAll(),
    });
    this.settings = h('details', { class: 'settings' }, h('summary', {}, 'Camera and microphone settings'));
    this.element = h('div', { class: 'call' }, h('div', { class: 'stage' }, this.#grid, this.#empty, self), this.#controls.element, this.settings);
  }

  /** Another button among the call controls, before Leave (e.g. the chat on a phone). */
  addControl(el: HTMLElement): void {
    this.#controls.add(el);
  }

  /** The page shows the call: start the self view and the quality checks. */
  activate(): void {
    this.#active = true;
    this.#devicePanel.attach(this.#selfVideo);
    this.refreshControls();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.#poll(), STATS_EVERY_MS);
    void this.#poll();
    for (const t of this.#tiles.values()) t.watch.start();
  }

  deactivate(): void {
    this.#active = false;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#devicePanel.detach(this.#selfVideo);
    for (const t of this.#tiles.values()) t.watch.stop();
  }

  /** Names and who is in the call, from each consultation:state. */
  setParticipants(view: ConsultationView): void {
    this.#selfId = view.self.id;
    for (const p of view.participants) this.#names.set(p.id, p.name);
    const admitted = new Set(view.admitted.map((p) => p.id));
    if (this.#active) {
      const joined = [...admitted].filter((id) => !this.#admitted.has(id)).map((id) => this.#nameOf(id));
      const left = [...this.#admitted].filter((id) => !admitted.has(id)).map((id) => this.#nameOf(id));
      const news = [...joined.map((n) => `${n} has joined.`), ...left.map((n) => `${n} has left.`)];
      if (news.length) setStatus(news.join(' '));
    }
    this.#admitted = admitted;
    // A guest whose clinician was in the call and is not now: they stepped out (the call goes on), so say so.
    // (A guest's view lists only those in the call, so the clinician is remembered from when they were.)
    const clinician = view.self.role === 'clinician' ? undefined : view.admitted.find((p) => p.role === 'clinician');
    if (clinician) this.#clinicianSeen = { id: clinician.id, name: clinician.name };
    const away = this.#clinicianSeen && !admitted.has(this.#clinicianSeen.id) ? this.#clinicianSeen : null;
    this.#empty.textContent = away ? CALL_EMPTY.steppedOut(away.name) : CALL_EMPTY.nobodyYet;
    for (const id of admitted) this.#tile(id);
    for (const t of [...this.#tiles.values()]) {
      if (!admitted.has(t.participantId) && !t.consumers.audio && !t.consumers.video) this.#removeTile(t);
    }
    for (const t of this.#tiles.values()) this.#label(t);
    this.#updateEmpty();
  }

  addRemote(r: RemoteTrack): void {
    if (r.participantId === this.#selfId) return;
    const t = this.#tile(r.participantId);
    const old = t.consumers[r.kind];
    if (old) this.removeConsumer(old);
    t.consumers[r.kind] = r.consumerId;
    t.paused[r.kind] = r.producerPaused;
    if (r.kind === 'video') t.layer = TOP_LAYER;
    this.#consumers.set(r.consumerId, { participantId: r.participantId, kind: r.kind });
    t.stream.addTrack(r.track);
    t.video.srcObject = t.stream;
    this.#play(t.video);
    if (r.kind === 'video') this.#expectFrames(t, true);
    this.#label(t);
    this.#updateEmpty();
  }

  removeConsumer(consumerId: string): void {
    const c = this.#consumers.get(consumerId);
    this.#consumers.delete(consumerId);
    this.#scores.delete(consumerId);
    if (!c) return;
    const t = this.#tiles.get(c.participantId);
    if (!t) return;
    if (t.consumers[c.kind] === consumerId) delete t.consumers[c.kind];
    for (const track of c.kind === 'video' ? t.stream.getVideoTracks() : t.stream.getAudioTracks()) t.stream.removeTrack(track);
    this.#expectFrames(t);
    if (!this.#admitted.has(t.participantId) && !t.consumers.audio && !t.consumers.video) this.#removeTile(t);
    else this.#label(t);
    this.#updateEmpty();
  }

  setConsumerPaused(consumerId: string, paused: boolean): void {
    const c = this.#consumers.get(consumerId);
    const t = c && this.#tiles.get(c.participantId);
    if (!c || !t) return;
    t.paused[c.kind] = paused;
    this.#expectFrames(t);
    this.#label(t);
  }

  setScore(consumerId: string, score: number): void {
    this.#scores.set(consumerId, score);
    const c = this.#consumers.get(consumerId);
    const t = c && this.#tiles.get(c.participantId);
    if (t) this.#rate(t);
  }

  /** All remote media gone (sent back, reconnecting): tiles stay, their tracks go. */
  clearRemote(): void {
    for (const id of [...this.#consumers.keys()]) this.removeConsumer(id);
    this.#rtt = null;
    this.#rateSelf();
  }

  refreshControls(): void {
    this.#controls.refresh();
  }

  #tile(participantId: string): Tile {
    const existing = this.#tiles.get(participantId);
    if (existing) return existing;
    const t = newTile(participantId, (x) => this.#label(x));
    if (this.#active) t.watch.start();
    this.#tiles.set(participantId, t);
    this.#grid.append(t.el);
    this.#label(t);
    return t;
  }

  #removeTile(t: Tile): void {
    t.watch.stop();
    t.video.srcObject = null;
    t.el.remove();
    this.#tiles.delete(t.participantId);
  }

  #nameOf(participantId: string): string {
    return this.#names.get(participantId) ?? 'Another participant';
  }

  #label(t: Tile): void {
    labelTile(t, this.#nameOf(t.participantId));
    showFrozen(t, this.#nameOf(t.participantId));
    this.#rate(t);
  }

  /** Frames are due while the tile has a video its sender has not paused. */
  #expectFrames(t: Tile, newTrack = false): void {
    t.watch.expect(!!t.consumers.video && !t.paused.video, newTrack);
  }

  #updateEmpty(): void {
    this.#empty.hidden = this.#tiles.size > 0;
  }

  #play(video: HTMLVideoElement): void {
    video.play().catch((e: unknown) => {
      // Autoplay with sound is blocked until the person interacts with the page: play
      // silently now and offer a button that turns the sound on.
      if (e instanceof DOMException && e.name === 'NotAllowedError' && !video.muted) {
        video.muted = true;
        video.play().catch(() => undefined);
        this.#controls.offerSound();
      }
    });
  }

  #unmuteAll(): void {
    for (const t of this.#tiles.values()) {
      t.video.muted = false;
      t.video.play().catch(() => undefined);
    }
  }

  async #poll(): Promise<void> {
    const media = this.#host.media();
    try {
      this.#rtt = media ? await media.roundTripTime() : null;
    } catch {
      this.#rtt = null;
    }
    this.#rateSelf();
    for (const t of this.#tiles.values()) this.#rate(t);
  }

  #rateSelf(): void {
    const media = this.#host.media();
    const q: Quality = media ? qualityOf(this.#rtt, null) : 'unknown';
    this.#selfQuality.dataset.quality = q;
    this.#selfQuality.textContent = media || !this.#active ? QUALITY_TEXT[q] : 'Connection: connecting…';
  }

  #rate(t: Tile): void {
    const pick = t.consumers.video && !t.paused.video ? t.consumers.video : t.consumers.audio;
    const score = pick ? (this.#scores.get(pick) ?? null) : null;
    const q: Quality = t.consumers.video || t.consumers.audio ? qualityOf(this.#rtt, score) : 'unknown';
    if (t.quality.dataset.quality !== q) {
      t.quality.dataset.quality = q;
      t.quality.textContent = QUALITY_TEXT[q];
    }
    const media = this.#host.media();
    const vc = t.consumers.video;
    if (!media || !vc) return;
    const want = preferredLayer(q, t.layer);
    if (want === t.layer) return;
    t.layer = want;
    media.preferLayer(vc, want).catch(() => {
      t.layer = layerAfterFailure(want);
    });
  }
}

/** The consultation's remote media, shown in this call view. */
export function remoteInto(call: CallView): RemoteMedia {
  return {
    participants: (view) => call.setParticipants(view),
    added: (track) => call.addRemote(track),
    removed: (consumerId) => call.removeConsumer(consumerId),
    paused: (consumerId, paused) => call.setConsumerPaused(consumerId, paused),
    score: (consumerId, score) => call.setScore(consumerId, score),
    network: () => undefined, // issue 16: the view renders CallNetwork (call-view owner)
    cleared: () => call.clearRemote(),
    closed: () => call.deactivate(),
  };
}
