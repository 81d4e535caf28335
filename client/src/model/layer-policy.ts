// How good a connection looks from round-trip time and the SFU's score, as the
// call shows it ("Connection: good"), and the simulcast layers the camera is
// sent as. Which layer is sent or received, and when video pauses, is the
// adaptation's (model/adaptation-policy.ts, model/video-adaptation.ts).

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
