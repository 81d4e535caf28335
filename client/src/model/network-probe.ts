// One connectivity probe: a send transport to the self-test Router that may
// use only one way in (the server's UDP candidates, its TCP candidates, or the
// TURN relay), a short send, and whether the SFU got it. The SFU answers media
// it receives with RTCP receiver reports; the first one (remote-inbound-rtp in
// the browser's stats) proves ICE, DTLS and media all got through. The first
// probe that gets through also keeps sending a little longer to estimate the
// upload and the loss. The probe's transport and producer are closed at the
// end on both sides.
import type { Device, types } from 'mediasoup-client';
import type { Rpc } from '../net/rpc.ts';
import { lossPercent, probeSample, uploadKbps, type ProbeSample } from './probe-stats.ts';
import type { ProbeTrack } from './probe-track.ts';

export type ProbePath = { kind: 'udp' } | { kind: 'tcp' } | { kind: 'relay'; iceServers: RTCIceServer[] };

export interface ProbeResult {
  reached: boolean;
  uploadKbps?: number;
  lossPercent?: number;
}

export interface ProbeOptions {
  path: ProbePath;
  media: ProbeTrack;
  /** Give up unless the SFU has had our media by this time (on `now`'s clock). */
  reachBy: number;
  /** Once through, keep sending this long to measure (0: don't measure)... */
  measureMs: number;
  /** ...but not past this time (on `now`'s clock), unless that leaves less than a second. */
  deadline: number;
  signal?: AbortSignal;
  now?: () => number;
}

/** How often the browser's stats are read while waiting and measuring. */
const POLL_MS = 250;
/** A shorter measurement says little: the browser's estimate needs a second to move. */
const MIN_MEASURE_MS = 1_000;
/** The probe's one video encoding: room enough above the "weak" line (WEAK_UPLOAD_KBPS) to tell the two apart. */
const MAX_BITRATE = 1_000_000;
/**
 * Where the browser's estimate starts (kbit/s): as a call starts (media-session.ts), twice the "weak" line.
 * The noise is sent at this rate at once, so a link that cannot carry it is congested within
 * the measurement and the estimate falls below what it carries; one that can keeps it, or more.
 */
const START_KBPS = 600;
/** A probe that only has to get through sends little (bit/s). */
const REACH_BITRATE = 150_000;

export async function runProbe(rpc: Rpc, device: Device, o: ProbeOptions): Promise<ProbeResult> {
  const now = o.now ?? (() => performance.now());
  const info = await rpc.request('media:createTransport', { direction: 'send' });
  let transport: types.Transport | undefined;
  try {
    const all = info.iceCandidates as types.IceCandidate[];
    // Only the server's candidates of one protocol: ICE cannot fall back to the other one.
    const iceCandidates = o.path.kind === 'relay' ? all : all.filter((c) => c.protocol === o.path.kind);
    if (iceCandidates.length === 0) return { reached: false };
    const relay = o.path.kind === 'relay' ? o.path.iceServers : null;
    const t = device.createSendTransport({
      id: info.id,
      iceParameters: info.iceParameters as types.IceParameters,
      iceCandidates,
      dtlsParameters: info.dtlsParameters as types.DtlsParameters,
      iceServers: relay ?? [],
      iceTransportPolicy: relay ? 'relay' : 'all',
    });
    transport = t;
    t.on('connect', ({ dtlsParameters }, ok, fail) => {
      rpc.request('media:connectTransport', { transportId: t.id, dtlsParameters }).then(() => ok(), fail);
    });
    t.on('produce', ({ kind, rtpParameters }, ok, fail) => {
      const source = kind === 'video' ? 'camera' : 'microphone';
      rpc.request('media:produce', { transportId: t.id, kind, rtpParameters: rtpParameters as never, source }).then(({ id }) => ok({ id }), fail);
    });
    await t.produce({
      track: o.media.track,
      stopTracks: false,
      ...(o.media.kind === 'video'
        ? o.measureMs > 0
          ? { encodings: [{ maxBitrate: MAX_BITRATE }], codecOptions: { videoGoogleStartBitrate: START_KBPS } }
          : { encodings: [{ maxBitrate: REACH_BITRATE }], codecOptions: { videoGoogleStartBitrate: REACH_BITRATE / 1000 } }
        : {}),
    });
    const first = await firstReport(t, o.reachBy, now, o.signal);
    if (!first) return { reached: false };
    if (o.measureMs <= 0) return { reached: true };
    let last = first;
    const end = Math.min(first.atMs + o.measureMs, Math.max(first.atMs + MIN_MEASURE_MS, o.deadline));
    while (now() < end) {
      await sleep(POLL_MS, o.signal);
      last = { sample: probeSample(await stats(t)), atMs: now() };
    }
    const up = uploadKbps(first, last);
    const loss = lossPercent(last.sample);
    return { reached: true, ...(up !== undefined ? { uploadKbps: up } : {}), ...(loss !== undefined ? { lossPercent: loss } : {}) };
  } finally {
    transport?.close();
    // The server's side of this probe goes too (a fresh start for the next probe's transport).
    await rpc.request('media:resume', { transportIds: [] }).catch(() => {});
  }
}

/** The first stats sample showing that the SFU got our media, or null if none came by `until`. */
async function firstReport(
  t: types.Transport,
  until: number,
  now: () => number,
  signal?: AbortSignal,
): Promise<{ sample: ProbeSample; atMs: number } | null> {
  while (now() < until) {
    if (t.connectionState === 'failed' || t.connectionState === 'closed') return null;
    const sample = probeSample(await stats(t));
    if (sample.reached) return { sample, atMs: now() };
    await sleep(Math.min(POLL_MS, Math.max(0, until - now())), signal);
  }
  return null;
}

async function stats(t: types.Transport): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  (await t.getStats()).forEach((s: Record<string, unknown>, id: string) => out.set(id, s));
  return out;
}

/** Waits, or rejects with the signal's reason once it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
