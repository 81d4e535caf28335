// One tile of the call: a participant's camera and sound in one <video>, their
// name, what is off, and the quality of their connection, or, when their
// video has stopped arriving, "Video paused, reconnecting…" in its place.
// When the call paused their video to keep the sound clear, the tile says so
// (and whose link it was), and when they cannot see you, that too.
import { t as tr } from '../i18n/i18n.ts';
import type { Quality } from '../model/call-network.ts';
import { h } from './dom.ts';
import { FrameWatch } from './frozen-video.ts';
import { VIDEO_FROZEN } from './messages.ts';
import { QUALITY_KEY, type TileNotice } from './network-notices.ts';

export interface Tile {
  participantId: string;
  el: HTMLElement;
  video: HTMLVideoElement;
  stream: MediaStream;
  name: HTMLElement;
  state: HTMLElement;
  quality: HTMLElement;
  /** A polite live region: says (once) that their video froze. */
  notice: HTMLElement;
  /** Over the video: "Video paused to keep your sound clear" (not live: the call announces it). */
  pausedNote: HTMLElement;
  /** "They cannot see you just now, but can hear you." */
  seeNote: HTMLElement;
  watch: FrameWatch;
  consumers: { video?: string; audio?: string };
  paused: { video: boolean; audio: boolean };
  network: TileNotice;
}

/** The "Connection: …" line of a tile, before anything is measured. */
export const qualityLine = (): HTMLElement => h('span', { class: 'quality', 'data-quality': 'unknown' }, tr(QUALITY_KEY.unknown));

/** Shows `q` on a quality line (text written only when it changes). */
export function showQuality(el: HTMLElement, q: Quality, text = tr(QUALITY_KEY[q])): void {
  el.dataset.quality = q;
  if (el.textContent !== text) el.textContent = text;
}

/** A new, empty tile for another participant; `frozen` is told when their video freezes or moves again. */
export function newTile(participantId: string, frozen: (t: Tile) => void): Tile {
  const video = h('video', { autoplay: '', playsinline: '' });
  const name = h('span', { class: 'name' });
  const state = h('span', { class: 'media-state' });
  const quality = qualityLine();
  const notice = h('span', { class: 'flag frozen', role: 'status' });
  const pausedNote = h('p', { class: 'paused-note', hidden: '' });
  const seeNote = h('span', { class: 'see-note', hidden: '' });
  const el = h(
    'figure',
    { class: 'tile', 'data-participant': participantId },
    video,
    pausedNote,
    h('figcaption', {}, name, ' ', state, ' ', quality, notice, seeNote),
  );
  const t: Tile = {
    participantId,
    el,
    video,
    stream: new MediaStream(),
    name,
    state,
    quality,
    notice,
    pausedNote,
    seeNote,
    watch: new FrameWatch(video, () => frozen(t)),
    consumers: {},
    paused: { video: false, audio: false },
    network: { paused: null, cannotSeeYou: null },
  };
  return t;
}

/**
 * Shows the frozen notice instead of the quality line (a frozen video is never
 * "Connection: good"), or the other way round. The notice names the person for
 * screen readers; its text changes only when the state does, so it is announced once.
 */
export function showFrozen(t: Tile, name: string): void {
  const frozen = t.watch.frozen;
  t.el.toggleAttribute('data-frozen', frozen);
  t.quality.hidden = frozen;
  if (!frozen) {
    t.notice.replaceChildren();
    return;
  }
  if (t.notice.textContent) return;
  t.notice.replaceChildren(h('span', { class: 'sr-only' }, `${name}: `), VIDEO_FROZEN);
}

/** The words the call's network state puts on the tile. */
export function showNetwork(t: Tile, n: TileNotice): void {
  t.network = n;
  t.el.toggleAttribute('data-video-paused', !!n.paused);
  t.pausedNote.hidden = !n.paused;
  if (t.pausedNote.textContent !== (n.paused ?? '')) t.pausedNote.textContent = n.paused ?? '';
  t.seeNote.hidden = !n.cannotSeeYou;
  if (t.seeNote.textContent !== (n.cannotSeeYou ?? '')) t.seeNote.textContent = n.cannotSeeYou ?? '';
}

/** The tile's name and what of theirs is off (a video the call paused is not "Camera off": the tile says why). */
export function labelTile(t: Tile, name: string): void {
  t.video.setAttribute('aria-label', tr('call:tile.videoOf', { name }));
  t.name.textContent = name;
  const parts = [];
  if (!t.consumers.video) parts.push(tr('call:tile.noVideo'));
  else if (t.paused.video && !t.network.paused) parts.push(tr('call:tile.cameraOff'));
  if (!t.consumers.audio) parts.push(tr('call:tile.noSound'));
  else if (t.paused.audio) parts.push(tr('call:tile.microphoneMuted'));
  t.state.textContent = parts.join(', ');
}
