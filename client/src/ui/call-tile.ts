// One tile of the call: a participant's camera and sound in one <video>, their
// name, what is off, and the quality of their connection.
import type { Quality } from '../model/layer-policy.ts';
import { TOP_LAYER } from '../model/layer-policy.ts';
import { h } from './dom.ts';

export interface Tile {
  participantId: string;
  el: HTMLElement;
  video: HTMLVideoElement;
  stream: MediaStream;
  name: HTMLElement;
  state: HTMLElement;
  quality: HTMLElement;
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

/** A new, empty tile for another participant. */
export function newTile(participantId: string): Tile {
  const video = h('video', { autoplay: '', playsinline: '' });
  const name = h('span', { class: 'name' });
  const state = h('span', { class: 'media-state' });
  const quality = qualityLine();
  const el = h('figure', { class: 'tile', 'data-participant': participantId }, video, h('figcaption', {}, name, ' ', state, ' ', quality));
  return { participantId, el, video, stream: new MediaStream(), name, state, quality, consumers: {}, paused: { video: false, audio: false }, layer: TOP_LAYER };
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
