// The pre-call check: camera and microphone (as the page found them) and what
// the network lets through to the clinic's video server, measured over the
// public self-test namespace (its own Router, no consultation): a short probe
// over UDP only, one over TCP only and, when the server runs a TURN relay, one
// through the relay only; the first probe that gets through also estimates the
// upload and the loss. Bounded: each probe gives up after a few seconds and
// the whole check stays within about twelve. It never throws: when the check
// could not run at all (the server unreachable or busy, aborted), the result
// has no `network`, and the clinic sees only camera and microphone.
import { Device, type types } from 'mediasoup-client';
import type { NetworkMeasurement, PrecallCheck } from '../../../server/wire/precall.ts';
import { isRetryableCode, retryDelay } from '../net/api.ts';
import { rpcOver, type AppSocket } from '../net/rpc.ts';
import { selftestSocket } from '../net/socket.ts';
import { runProbe, type ProbePath, type ProbeResult } from './network-probe.ts';
import { probeTrack } from './probe-track.ts';

export interface PrecallCheckDeps {
  /** The page's camera and microphone (not stopped by the check), or null if it has none. */
  stream: MediaStream | null;
  hasVideo: boolean;
  hasAudio: boolean;
  /** Aborting ends the check early (the result then has no `network`). */
  signal?: AbortSignal;
}

/** The whole check, from opening the socket to the last probe (ms). */
export const CHECK_BUDGET_MS = 12_000;
/** One probe waits at most this long for its media to reach the server (ms). */
const PROBE_REACH_MS = 4_000;
/** The first probe through keeps sending this long to estimate the upload (ms). */
const MEASURE_MS = 3_000;
/** Less time left than this: the remaining probes are not started (they count as not through). */
const MIN_PROBE_MS = 1_000;
/** Each request to the server must be answered within this (ms). */
const RPC_TIMEOUT_MS = 4_000;
/** Whatever is still under way then (a request the server never answers) is abandoned: the check returns what it has (ms). */
const HARD_LIMIT_MS = CHECK_BUDGET_MS + 3_000;

export async function runPrecallCheck(deps: PrecallCheckDeps): Promise<PrecallCheck> {
  const devices: PrecallCheck = { camera: deps.hasVideo, microphone: deps.hasAudio };
  const stop = new AbortController();
  const onAbort = () => stop.abort(deps.signal?.reason);
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  if (deps.signal?.aborted) onAbort();
  const hard = setTimeout(() => stop.abort(new Error('over time')), HARD_LIMIT_MS);
  // Filled in as the probes finish: once the check can run at all, a probe not finished counts as not through.
  const progress: { network?: NetworkMeasurement } = {};
  try {
    await Promise.race([measureNetwork(deps, stop.signal, progress), whenAborted(stop.signal)]);
  } catch {
    // Nothing to add: what was measured is in `progress`.
  } finally {
    clearTimeout(hard);
    stop.abort();
    deps.signal?.removeEventListener('abort', onAbort);
  }
  if (deps.signal?.aborted || !progress.network) return devices;
  return { ...devices, network: { ...progress.network } };
}

async function measureNetwork(deps: PrecallCheckDeps, signal: AbortSignal, progress: { network?: NetworkMeasurement }): Promise<void> {
  const now = () => performance.now();
  const deadline = now() + CHECK_BUDGET_MS;
  const media = probeTrack(deps);
  if (!media) return;
  const socket = selftestSocket();
  const closeSocket = () => socket.close();
  signal.addEventListener('abort', closeSocket, { once: true });
  try {
    await connected(socket, deadline - now(), signal);
    const rpc = rpcOver(socket, RPC_TIMEOUT_MS);
    const caps = await rpc.request('media:capabilities', {});
    const device = new Device();
    await device.load({ routerRtpCapabilities: caps.rtpCapabilities as types.RtpCapabilities });
    if (!device.canProduce(media.kind)) return;
    const paths: ProbePath[] = [{ kind: 'udp' }, { kind: 'tcp' }];
    if (caps.iceServers.length > 0) paths.push({ kind: 'relay', iceServers: caps.iceServers });
    const m: NetworkMeasurement = { udp: false, tcp: false, relay: false };
    progress.network = m;
    let measured = false;
    for (const path of paths) {
      const left = deadline - now();
      if (left < MIN_PROBE_MS || signal.aborted) break;
      const r: ProbeResult = await runProbe(rpc, device, {
        path,
        media,
        reachBy: now() + Math.min(PROBE_REACH_MS, left),
        // Measured once, on the first way through.
        measureMs: measured ? 0 : MEASURE_MS,
        deadline,
        signal,
        now,
      }).catch((e: unknown) => {
        if (signal.aborted) throw e;
        return { reached: false }; // this way failed (a refusal, a timeout): the next one may still work
      });
      m[path.kind] = r.reached;
      if (r.reached && !measured) {
        measured = true;
        if (r.uploadKbps !== undefined) m.uploadKbps = r.uploadKbps;
        if (r.lossPercent !== undefined) m.lossPercent = r.lossPercent;
      }
    }
  } finally {
    signal.removeEventListener('abort', closeSocket);
    media.stop();
    socket.close();
  }
}

/** Rejects once the signal is aborted. */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
}

/** Resolves once the socket is connected; a busy server is tried again while time is left. */
function connected(socket: AppSocket, withinMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let attempt = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const started = performance.now();
    const done = (err?: Error) => {
      clearTimeout(timer);
      clearTimeout(retry);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onConnect = () => done();
    const onError = (err: Error & { data?: { code?: unknown } }) => {
      if (socket.active) return; // socket.io is already trying again
      const code = typeof err.data?.code === 'string' ? err.data.code : '';
      const wait = retryDelay(attempt++, null);
      if (!isRetryableCode(code) || performance.now() - started + wait > withinMs) return done(new Error(code || 'connect failed'));
      retry = setTimeout(() => socket.connect(), wait);
    };
    const onAbort = () => done(new Error('aborted'));
    const timer = setTimeout(() => done(new Error('timeout')), withinMs);
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
  });
}
