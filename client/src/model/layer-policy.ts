// How good a remote tile's connection is, and which simulcast layer to ask the
// SFU for because of it: the lowest layer (0) while the connection is poor, the
// highest (2) once it is good again; fair or unknown keeps what it has, so a
// connection on the edge does not flap between layers.

export type Quality = 'good' | 'fair' | 'poor' | 'unknown';

/** The highest of the three simulcast layers the camera is sent as. */
export const TOP_LAYER = 2;

/** Connection quality from round-trip time and a consumer's SFU score (0-10). */
export function qualityOf(rttSeconds: number | null, score: number | null): Quality {
  if (rttSeconds === null && score === null) return 'unknown';
  if ((score !== null && score <= 4) || (rttSeconds !== null && rttSeconds > 0.5)) return 'poor';
  if ((score !== null && score <= 7) || (rttSeconds !== null && rttSeconds > 0.25)) return 'fair';
  return 'good';
}

/** The layer to prefer for a tile rated `quality` that now asks for `current`. */
export function preferredLayer(quality: Quality, current: number): number {
  if (quality === 'poor') return 0;
  if (quality === 'good') return TOP_LAYER;
  return current;
}

/**
 * What to remember as asked for when asking for `wanted` failed: the other
 * extreme, so the next rating that still wants `wanted` asks again.
 */
export function layerAfterFailure(wanted: number): number {
  return wanted === 0 ? TOP_LAYER : 0;
}
