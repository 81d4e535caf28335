// One tile of the call: a participant's camera and sound in one <video>, their
// name, what is off, and the quality of their connection, or, when their
// video has stopped arriving, "Video paused, reconnecting…" in its place.
import type { Quality } from '../model/layer-policy.ts';
import { TOP_LAYER } from '../model/layer-policy.ts';
import { h } from './dom.ts';
import { FrameWatch } from './frozen-video.ts';
import { VIDEO_FROZEN } from './messages.ts';

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
  watch: FrameWatch;
  consumers: { video?: string; audio?: string };
  paused: { video: boolean; audio: boolean };
  layer: number;
}

export const QUALITY_TEXT: Record<Quality, string> = {
  good: 'Connection: good',
  fair: 'Connection: fair',
  poor: 'Connection: poor',
  unknown: 'Connection: checking…',
};

/** The "Connection: …" line of a tile, before anything is measured. */
export const qualityLine = (): HTMLElement => h('span', { class: 'quality', 'data-quality': 'unknown' }, QUALITY_TEXT.unknown);

/** A new, empty tile for another participant; `frozen` is told when their video freezes or moves again. */
export function newTile(participantId: string, frozen: (t: Tile) => void): Tile {
  const video = h('video', { autoplay: '', playsinline: '' });
  const name = h('span', { class: 'name' });
  const state = h('span', { class: 'media-state' });
  const quality = qualityLine();
  const notice = h('span', { class: 'flag frozen', role: 'status' });
  const el = h('figure', { class: 'tile', 'data-participant': participantId }, video, h('figcaption', {}, name, ' ', state, ' ', quality, notice));
  const t: Tile = {
    participantId,
    el,
    video,
    stream: new MediaStream(),
    name,
    state,
    quality,
    notice,
    watch: new FrameWatch(video, () => frozen(t)),
    consumers: {},
    paused: { video: false, audio: false },
    layer: TOP_LAYER,
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

/** The tile's name and what of theirs is off. */
export function labelTile(t: Tile, name: string): void {
  t.video.setAttribute('aria-label', `Video of ${name}`);
  t.name.textContent = name;
  const parts = [];
  if (!t.consumers.video) parts.push('No video');
  else if (t.paused.video) parts.push('Camera off');
  if (!t.consumers.audio) parts.push('No sound');
  else if (t.paused.audio) parts.push('Microphone muted');
  t.state.textContent = parts.join(', ');
}
