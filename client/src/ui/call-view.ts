// The call, video first: the others' videos fill the stage (one tile each,
// their camera and sound in one <video>; several share it in a grid), your own
// camera is a small movable picture over it (self-view.ts), and the control
// bar (call-controls.ts) stays in view below it, on a phone and on a laptop:
// the call takes the height left in the window under what is above it.
// What the network does is the model's (model/video-adaptation.ts): this view
// shows the CallNetwork it is given, quality per tile and "Video paused to keep
// your sound clear", and says each change once. A remote video that stops
// moving while nothing paused it says so (frozen-video.ts). A camera or
// microphone the device took back is offered back (device-trouble.ts), and
// sound the browser will not play until a tap gets one big button.
import type { ConsultationView } from '../../../server/wire/participants.ts';
import { t } from '../i18n/i18n.ts';
import type { CallNetwork } from '../model/call-network.ts';
import type { RemoteMedia } from '../model/consultation.ts';
import type { MediaSession, RemoteTrack } from '../model/media-session.ts';
import { CallControls } from './call-controls.ts';
import { labelTile, newTile, qualityLine, showFrozen, showNetwork, showQuality, type Tile } from './call-tile.ts';
import type { DeviceControls } from './device-controls.ts';
import { DeviceTrouble } from './device-trouble.ts';
import { h, setStatus } from './dom.ts';
import { CALL_EMPTY } from './messages.ts';
import { networkChanges, tileNotice } from './network-notices.ts';
import { bestColumns } from './picture-corner.ts';
import { SelfView } from './self-view.ts';

export interface CallHost {
  media(): MediaSession | null;
  leave(): void;
}

/** The call never gets shorter than this share of the window (a tall header then scrolls away instead). */
const MIN_HEIGHT_SHARE = 0.6;

export class CallView {
  readonly element: HTMLElement;
  /** A <details> the page can put the device pickers into. */
  readonly settings: HTMLDetailsElement;
  readonly #devicePanel: DeviceControls;
  readonly #host: CallHost;
  readonly #tiles = new Map<string, Tile>();
  readonly #consumers = new Map<string, { participantId: string; kind: 'audio' | 'video' }>();
  readonly #names = new Map<string, string>();
  readonly #grid: HTMLElement;
  readonly #stage: HTMLElement;
  readonly #empty: HTMLElement;
  /** A guest's clinician, once seen in the call (their absence after that is a step out). */
  #clinicianSeen: { id: string; name: string } | null = null;
  readonly #self: SelfView;
  readonly #controls: CallControls;
  readonly #trouble: DeviceTrouble;
  readonly #tap: HTMLButtonElement;
  /** Polite, not drawn: network changes, the picture moved, a device lost. */
  readonly #live: HTMLElement;
  #network: CallNetwork | null = null;
  #admitted = new Set<string>();
  #selfId = '';
  #clinician = false;
  #active = false;
  #off: (() => void)[] = [];

  constructor(controls: DeviceControls, host: CallHost) {
    this.#devicePanel = controls;
    this.#host = host;
    this.#live = h('div', { class: 'sr-only', 'aria-live': 'polite' });
    this.#empty = h('p', { class: 'empty' }, CALL_EMPTY.nobodyYet);
    this.#grid = h('div', { class: 'tiles' });
    this.#self = new SelfView(qualityLine(), (text) => this.#announce(text));
    this.#trouble = new DeviceTrouble(controls.devices, (text) => {
      this.refreshControls();
      this.#announce(text);
    });
    this.#tap = h('button', { type: 'button', class: 'tap-to-hear', hidden: '' });
    this.#tap.addEventListener('click', () => this.#unmuteAll());
    this.settings = h('details', { class: 'settings' }, h('summary', {}, t('call:controls.settings')));
    this.#controls = new CallControls(
      controls.devices,
      { selfState: this.#self.state, moveButton: this.#self.moveButton, settings: this.settings },
      { media: () => this.#host.media(), leave: () => this.#host.leave(), fullScreenTarget: () => this.element },
    );
    this.#stage = h('div', { class: 'stage' }, this.#grid, this.#empty, this.#self.element, this.#trouble.element, this.#tap);
    this.element = h('div', { class: 'call' }, this.#stage, this.#controls.element, this.#live);
  }

  /** Another button among the call controls, before Leave (e.g. the chat on a phone). */
  addControl(el: HTMLElement): void {
    this.#controls.add(el);
  }

  /** The page shows the call: start the self view, follow the devices and the window's size. */
  activate(): void {
    this.#active = true;
    this.#devicePanel.attach(this.#self.video);
    for (const t of this.#tiles.values()) t.watch.start();
    this.#trouble.start();
    this.#stopFollowing();
    const local = this.#devicePanel.devices;
    const refresh = () => this.refreshControls();
    const fit = () => this.#fit();
    const sizes = new ResizeObserver(fit);
    sizes.observe(document.body);
    const stage = new ResizeObserver(() => this.#arrange());
    stage.observe(this.#stage);
    window.addEventListener('resize', fit);
    document.addEventListener('fullscreenchange', refresh);
    this.#off = [
      local.on('devices', refresh),
      local.on('tracks', refresh),
      () => sizes.disconnect(),
      () => stage.disconnect(),
      () => window.removeEventListener('resize', fit),
      () => document.removeEventListener('fullscreenchange', refresh),
    ];
    this.refreshControls();
    this.#showSelfQuality();
    this.#fit();
  }

  deactivate(): void {
    this.#active = false;
    this.#stopFollowing();
    this.#trouble.stop();
    this.#devicePanel.detach(this.#self.video);
    for (const t of this.#tiles.values()) t.watch.stop();
    if (document.fullscreenElement === this.element) void document.exitFullscreen().catch(() => undefined);
  }

  /** Names and who is in the call, from each consultation:state. */
  setParticipants(view: ConsultationView): void {
    this.#selfId = view.self.id;
    this.#clinician = view.self.role === 'clinician';
    for (const p of view.participants) this.#names.set(p.id, p.name);
    const admitted = new Set(view.admitted.map((p) => p.id));
    if (this.#active) {
      const joined = [...admitted].filter((id) => !this.#admitted.has(id)).map((id) => this.#nameOf(id));
      const left = [...this.#admitted].filter((id) => !admitted.has(id)).map((id) => this.#nameOf(id));
      const news = [...joined.map((name) => t('call:news.joined', { name })), ...left.map((name) => t('call:news.left', { name }))];
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
    this.#consumers.set(r.consumerId, { participantId: r.participantId, kind: r.kind });
    t.stream.addTrack(r.track);
    t.video.srcObject = t.stream;
    this.#play(t.video);
    this.#showSelfQuality(); // media is up by now: no longer "connecting"
    if (r.kind === 'video') this.#expectFrames(t, true);
    this.#label(t);
    this.#updateEmpty();
  }

  removeConsumer(consumerId: string): void {
    const c = this.#consumers.get(consumerId);
    this.#consumers.delete(consumerId);
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

  /**
   * The call's network state (the model's; a new object each time something
   * changed): quality lines, "video paused to keep your sound clear", and one
   * announcement per change.
   */
  setNetwork(state: CallNetwork): void {
    const said = networkChanges(this.#network, state, (id) => this.#nameOf(id));
    this.#network = state;
    this.#self.showSendingPaused(state.self.sendingPaused);
    this.#showSelfQuality();
    for (const t of this.#tiles.values()) {
      this.#expectFrames(t);
      this.#label(t);
    }
    if (said.length && this.#active) this.#announce(said.join(' '));
  }

  /** All remote media gone (sent back, reconnecting): tiles stay, their tracks go. */
  clearRemote(): void {
    for (const id of [...this.#consumers.keys()]) this.removeConsumer(id);
    this.#showSelfQuality();
  }

  refreshControls(): void {
    this.#controls.refresh();
    this.#self.setFacing(this.#devicePanel.devices.cameraFacing);
  }

  #stopFollowing(): void {
    for (const off of this.#off) off();
    this.#off = [];
  }

  #announce(text: string): void {
    if (this.#live.textContent !== text) this.#live.textContent = text;
  }

  /**
   * The call takes the window's height below where it starts, so the control
   * bar is in view without scrolling (the bar is also sticky, for when the
   * window is too short and the call keeps its minimum).
   */
  #fit(): void {
    if (!this.element.isConnected || document.fullscreenElement === this.element) return;
    const viewport = window.visualViewport?.height ?? window.innerHeight;
    const top = this.element.getBoundingClientRect().top + window.scrollY;
    const height = Math.round(Math.max(viewport - top, viewport * MIN_HEIGHT_SHARE));
    const value = `${height}px`;
    if (this.element.style.getPropertyValue('--call-height') !== value) this.element.style.setProperty('--call-height', value);
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
    return this.#names.get(participantId) ?? t('call:tile.someone');
  }

  #label(tile: Tile): void {
    const name = this.#nameOf(tile.participantId);
    showNetwork(tile, tileNotice(this.#network?.remotes.get(tile.participantId), name));
    labelTile(tile, name);
    showFrozen(tile, name);
    const received = !!(tile.consumers.video || tile.consumers.audio);
    showQuality(tile.quality, received ? (this.#network?.remotes.get(tile.participantId)?.quality ?? 'unknown') : 'unknown');
  }

  #showSelfQuality(): void {
    const media = this.#host.media();
    if (!media && this.#active) showQuality(this.#self.quality, 'unknown', t('call:quality.connecting'));
    else showQuality(this.#self.quality, media ? (this.#network?.self.quality ?? 'unknown') : 'unknown');
  }

  /** Frames are due while the tile has a video that neither its sender nor the call paused. */
  #expectFrames(tile: Tile, newTrack = false): void {
    const netPaused = (this.#network?.remotes.get(tile.participantId)?.videoPaused ?? 'none') !== 'none';
    tile.watch.expect(!!tile.consumers.video && !tile.paused.video && !netPaused, newTrack);
  }

  #updateEmpty(): void {
    this.#empty.hidden = this.#tiles.size > 0;
    this.#arrange();
  }

  /** The others' videos in as many columns as shows each largest on this stage. */
  #arrange(): void {
    const { width, height } = this.#stage.getBoundingClientRect();
    const cols = String(width > 0 && height > 0 ? bestColumns(this.#tiles.size, width, height) : 1);
    if (this.#grid.style.getPropertyValue('--columns') !== cols) this.#grid.style.setProperty('--columns', cols);
  }

  #play(video: HTMLVideoElement): void {
    video.play().catch((e: unknown) => {
      // Sound is blocked until the person taps the page: play silently now and
      // offer one big button that turns the sound on.
      if (e instanceof DOMException && e.name === 'NotAllowedError' && !video.muted) {
        video.muted = true;
        video.play().catch(() => undefined);
        this.#offerSound();
      }
    });
  }

  #offerSound(): void {
    if (!this.#tap.hidden) return;
    this.#tap.textContent = t(this.#clinician ? 'call:sound.tapClinician' : 'call:sound.tapGuest');
    this.#tap.hidden = false;
  }

  #unmuteAll(): void {
    for (const tile of this.#tiles.values()) {
      tile.video.muted = false;
      tile.video.play().catch(() => undefined);
    }
    const hadFocus = document.activeElement === this.#tap;
    this.#tap.hidden = true;
    if (hadFocus) this.element.querySelector<HTMLElement>('.controls button:not([disabled])')?.focus();
    setStatus(t('call:sound.on'));
  }
}

/** The consultation's remote media, shown in this call view. */
export function remoteInto(call: CallView): RemoteMedia {
  return {
    participants: (view) => call.setParticipants(view),
    added: (track) => call.addRemote(track),
    removed: (consumerId) => call.removeConsumer(consumerId),
    paused: (consumerId, paused) => call.setConsumerPaused(consumerId, paused),
    // The model rates the links and picks layers (video-adaptation); the view shows only what it says.
    score: () => undefined,
    network: (state) => call.setNetwork(state),
    cleared: () => call.clearRemote(),
    closed: () => call.deactivate(),
  };
}
