// The one rule from a pre-call check's measurements to the word the clinician
// (and the patient) sees. No TypeBox here: the pages import it (the schemas
// are in precall.ts).

/** Below this upload estimate a call's video will struggle (one low simulcast layer plus sound). */
export const WEAK_UPLOAD_KBPS = 300;

/** Above this loss, per cent, video stutters. */
const WEAK_LOSS_PERCENT = 5;

/** good: direct and fast enough; weak: works but slow or lossy; relay-only: only through TURN; failed: nothing got through. */
export const NETWORK_VERDICTS = ['good', 'weak', 'relay-only', 'failed'] as const;
export type NetworkVerdict = (typeof NETWORK_VERDICTS)[number];

export interface Measured {
  udp: boolean;
  tcp: boolean;
  relay: boolean;
  uploadKbps?: number | undefined;
  lossPercent?: number | undefined;
}

export function networkVerdict(m: Measured): NetworkVerdict {
  if (!m.udp && !m.tcp && !m.relay) return 'failed';
  if (!m.udp && !m.tcp) return 'relay-only';
  if ((m.uploadKbps !== undefined && m.uploadKbps < WEAK_UPLOAD_KBPS) || (m.lossPercent !== undefined && m.lossPercent > WEAK_LOSS_PERCENT) || !m.udp) return 'weak';
  return 'good';
}
