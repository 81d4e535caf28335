// What the call says about the network, worked out from CallNetwork (the
// model's one state for the call): the quality line and the "video paused to
// keep the sound clear" words for each tile and for your own picture, and
// which of those changed since last time, so a live region says each change
// once instead of on every stats sample.
import { t } from '../i18n/i18n.ts';
import type { CallNetwork, Quality, RemoteNetwork } from '../model/call-network.ts';

export const QUALITY_KEY = {
  good: 'call:quality.good',
  fair: 'call:quality.fair',
  poor: 'call:quality.poor',
  unknown: 'call:quality.unknown',
} as const satisfies Record<Quality, string>;

/** The words on one remote tile. */
export interface TileNotice {
  /** Why their video is not shown, or null. */
  paused: string | null;
  /** They cannot see you (their link), or null. */
  cannotSeeYou: string | null;
}

export function tileNotice(r: RemoteNetwork | undefined, name: string): TileNotice {
  const paused =
    r?.videoPaused === 'your-link' ? t('call:network.yourLink') : r?.videoPaused === 'their-link' ? t('call:network.theirLink', { name }) : null;
  return { paused, cannotSeeYou: r?.cannotSeeYou ? t('call:network.cannotSeeYou', { name }) : null };
}

/**
 * The sentences to announce going from `before` to `after` (null before the
 * first state): what paused, and what came back. Quality alone is not announced.
 */
export function networkChanges(before: CallNetwork | null, after: CallNetwork, nameOf: (participantId: string) => string): string[] {
  const out: string[] = [];
  if (after.self.sendingPaused !== (before?.self.sendingPaused ?? false)) {
    out.push(t(after.self.sendingPaused ? 'call:network.sendingPaused' : 'call:network.sendingBack'));
  }
  for (const [id, r] of after.remotes) {
    const was = before?.remotes.get(id);
    const name = nameOf(id);
    const wasPaused = was?.videoPaused ?? 'none';
    if (r.videoPaused !== wasPaused) {
      if (r.videoPaused === 'your-link') out.push(t('call:network.yourLinkFrom', { name }));
      else if (r.videoPaused === 'their-link') out.push(t('call:network.theirLink', { name }));
      else out.push(t('call:network.videoBack', { name }));
    }
    if (r.cannotSeeYou !== (was?.cannotSeeYou ?? false)) {
      out.push(t(r.cannotSeeYou ? 'call:network.cannotSeeYou' : 'call:network.canSeeYouAgain', { name }));
    }
  }
  return out;
}
