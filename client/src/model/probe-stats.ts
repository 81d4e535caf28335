// What one send transport's WebRTC stats say about a connectivity probe:
// whether the SFU got the media (it answered with an RTCP receiver report, seen
// here as remote-inbound-rtp), the browser's own upload estimate for the
// selected candidate pair, and the loss the SFU reported. Pure functions over
// a stats report, so they can be tested without a browser.

/** A stats report as the browser gives it (RTCStatsReport is a Map of these). */
export type StatsEntries = ReadonlyMap<string, Record<string, unknown>>;

export interface ProbeSample {
  /** The SFU reported receiving our media (an RTCP receiver report came back). */
  reached: boolean;
  /** The browser's estimate of what it can send now (bits per second), if it has one. */
  availableOutgoingBitrate: number | null;
  /** RTP payload bytes sent so far on every stream. */
  bytesSent: number;
  packetsSent: number;
  /** Packets the SFU reported lost so far. */
  packetsLost: number;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The candidate pair the transport is using: the one its transport stats name, else the nominated succeeded one. */
function selectedPair(report: StatsEntries): Record<string, unknown> | undefined {
  for (const s of report.values()) {
    if (s.type !== 'transport' || typeof s.selectedCandidatePairId !== 'string') continue;
    const pair = report.get(s.selectedCandidatePairId);
    if (pair) return pair;
  }
  for (const s of report.values()) if (s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded') return s;
  return undefined;
}

export function probeSample(report: StatsEntries): ProbeSample {
  const out: ProbeSample = { reached: false, availableOutgoingBitrate: null, bytesSent: 0, packetsSent: 0, packetsLost: 0 };
  for (const s of report.values()) {
    if (s.type === 'outbound-rtp') {
      out.bytesSent += num(s.bytesSent);
      out.packetsSent += num(s.packetsSent);
    } else if (s.type === 'remote-inbound-rtp') {
      out.reached = true;
      out.packetsLost += Math.max(0, num(s.packetsLost));
    }
  }
  const pair = selectedPair(report);
  const rate = pair?.availableOutgoingBitrate;
  if (typeof rate === 'number' && Number.isFinite(rate) && rate >= 0) out.availableOutgoingBitrate = rate;
  return out;
}

/**
 * The upload estimate in kbit/s from samples taken while sending: the
 * browser's own estimate at the end when it has one (it probes the link),
 * else what was actually sent over the time (a lower bound).
 */
export function uploadKbps(first: { sample: ProbeSample; atMs: number }, last: { sample: ProbeSample; atMs: number }): number | undefined {
  const estimate = last.sample.availableOutgoingBitrate;
  if (estimate !== null) return clampKbps(estimate / 1000);
  const seconds = (last.atMs - first.atMs) / 1000;
  if (seconds <= 0) return undefined;
  return clampKbps(((last.sample.bytesSent - first.sample.bytesSent) * 8) / 1000 / seconds);
}

const clampKbps = (kbps: number): number => Math.min(1_000_000, Math.max(0, Math.round(kbps)));

/** Per cent of the packets sent that the SFU reported lost, to one decimal place; undefined before anything was sent. */
export function lossPercent(sample: ProbeSample): number | undefined {
  if (sample.packetsSent <= 0) return undefined;
  const pct = (100 * sample.packetsLost) / sample.packetsSent;
  return Math.min(100, Math.max(0, Math.round(pct * 10) / 10));
}
