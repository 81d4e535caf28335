// How much video one direction of this page's link can carry, decided from a
// stats sample every couple of seconds: the top simulcast layer, the lowest
// layer, or audio only (video paused so the sound stays clear). Sending (our
// camera) and receiving (the others' video) are decided separately, each by
// its own AdaptationPolicy. Pure: no timers, no WebRTC, so it is tested with
// generated sample sequences.
//
// Down is quick but never on one sample: a step needs WEAK_NEEDED weak
// samples among the last WEAK_WINDOW, one level at a time, so a single bad
// sample never pauses video and audio only takes at least four. Up is slow:
// CLEAN_NEEDED clean samples in a row, one level at a time (audio only ->
// lowest layer first, a probe, then the top). A probe that fails soon after
// doubles the wait before the next one (up to MAX_BACKOFF), so a link on the
// edge settles instead of flapping; a probe that holds clears that, so a
// recovered link climbs back within about a minute at worst.

/** 'top': every simulcast layer; 'low': the lowest layer only; 'audio': video paused, sound only. */
export type Level = 'top' | 'low' | 'audio';

export const LEVELS: readonly Level[] = ['audio', 'low', 'top'];
const rank = (l: Level): number => LEVELS.indexOf(l);

/** What the send path measured over the last interval (null: not measured). */
export interface SendSample {
  /** The send transport's candidate pair availableOutgoingBitrate, in kbit/s (the congestion controller's estimate). */
  availableKbps: number | null;
  /** The SFU's receiver report on our camera or microphone (remote-inbound-rtp fractionLost, 0..1). */
  lossFraction: number | null;
  /** Round-trip time to the SFU in seconds. */
  rttSeconds: number | null;
  /** The encoder says bandwidth limits it (outbound-rtp qualityLimitationReason 'bandwidth'). */
  bandwidthLimited: boolean;
}

/** What the receive path measured over the last interval (null: not measured). */
export interface ReceiveSample {
  /** Packets lost over the interval as a fraction of those expected, video and audio together (0..1). */
  lossFraction: number | null;
  /** Audio jitter in seconds (inbound-rtp jitter). */
  jitterSeconds: number | null;
  /** Frames per second decoded over the interval, null when no video is expected. */
  framesPerSecond: number | null;
  /** The lowest SFU score (0-10) among our video consumers, or audio if no video. */
  score: number | null;
  /** Round-trip time to the SFU in seconds. */
  rttSeconds: number | null;
}

// ---- thresholds: what a sample must show to keep (or regain) a level --------

/**
 * Below this estimate the top level is weak: the three layers want up to
 * 1.45 Mbit/s and the middle one alone 400 kbit/s; under 300 the browser is
 * already down to the lowest layer, so stop encoding the others.
 */
export const TOP_NEEDS_KBPS = 300;
/**
 * Below this the lowest layer cannot be carried with the sound: it sends up
 * to 150 kbit/s and Opus with packet overhead takes about 45.
 */
export const LOW_NEEDS_KBPS = 100;
/** Loss above 5% makes the upper layers' retransmissions crowd the link. */
export const TOP_MAX_LOSS = 0.05;
/** Above 12% loss video is mostly freezes, and Opus with FEC needs the room. */
export const LOW_MAX_LOSS = 0.12;
/** A round trip over 0.6 s means queues are building (the link is full). */
export const TOP_MAX_RTT = 0.6;
/** Over 1.2 s the queue is so long that sound arrives too late to talk. */
export const LOW_MAX_RTT = 1.2;
/** Audio jitter over 100 ms: packets bunch up, the link is congested. */
export const TOP_MAX_JITTER = 0.1;
/** Over 250 ms of jitter sound breaks up; video only adds to it. */
export const LOW_MAX_JITTER = 0.25;
/** A consumer score (0-10, from loss on the way to us) this low: the SFU itself sees the link struggle. */
export const TOP_MIN_SCORE = 5;
export const LOW_MIN_SCORE = 3;
/** Fewer frames a second than this, with loss or jitter present, means the video is not getting through. */
export const MIN_FPS = 5;

/** "Clean" (may step up): loss under 2%, round trip under 0.4 s, jitter under 50 ms, score 8+. */
export const CLEAN_MAX_LOSS = 0.02;
export const CLEAN_MAX_RTT = 0.4;
export const CLEAN_MAX_JITTER = 0.05;
export const CLEAN_MIN_SCORE = 8;

// ---- hysteresis (in samples; one every 2 s) ---------------------------------

/** A step down needs this many weak samples... */
export const WEAK_NEEDED = 2;
/** ...among this many latest samples at the current level. */
export const WEAK_WINDOW = 3;
/** A step up needs this many clean samples in a row (10 s). */
export const CLEAN_NEEDED = 5;
/**
 * A step down within this many samples (16 s) of a step up: the probe failed,
 * wait longer next time. A step up that holds this long was a good probe: the
 * next one waits the normal time again.
 */
export const PROBE_WINDOW = 8;
/** The wait for a step up grows to at most this many times CLEAN_NEEDED (1 minute). */
export const MAX_BACKOFF = 6;

/**
 * The highest level this send sample can sustain, read at the level now sent.
 * The estimate counts only while we try to send more than it: at the top the
 * layers want far more than TOP_NEEDS_KBPS, at the lowest layer only about
 * 190 kbit/s (so only LOW_NEEDS_KBPS means anything), and with video paused
 * it only follows the sound, so there it is not read at all.
 */
export function sendCapacity(s: SendSample, at: Level = 'top'): Level {
  const loss = s.lossFraction ?? 0;
  const rtt = s.rttSeconds ?? 0;
  const kbps = at === 'audio' ? null : s.availableKbps;
  if ((kbps !== null && kbps < LOW_NEEDS_KBPS) || loss > LOW_MAX_LOSS || rtt > LOW_MAX_RTT) return 'audio';
  if ((kbps !== null && at === 'top' && kbps < TOP_NEEDS_KBPS) || loss > TOP_MAX_LOSS || rtt > TOP_MAX_RTT) return 'low';
  return 'top';
}

/**
 * Whether this send sample shows room to step up: little loss and a short
 * round trip. With less video sent the estimate stops growing, so it cannot
 * say there is room; the probe (one level up) finds out.
 */
export function sendClean(s: SendSample, at: Level = 'top'): boolean {
  if (s.lossFraction === null && s.rttSeconds === null) return false;
  // The encoder held back by bandwidth even at the lowest layer: no room for more.
  if (at === 'low' && s.bandwidthLimited) return false;
  return (s.lossFraction ?? 0) < CLEAN_MAX_LOSS && (s.rttSeconds ?? 0) < CLEAN_MAX_RTT && sendCapacity(s, at) === 'top';
}

/** The highest level this receive sample can sustain. */
export function receiveCapacity(s: ReceiveSample): Level {
  const loss = s.lossFraction ?? 0;
  const jitter = s.jitterSeconds ?? 0;
  const rtt = s.rttSeconds ?? 0;
  const score = s.score ?? 10;
  if (loss > LOW_MAX_LOSS || jitter > LOW_MAX_JITTER || rtt > LOW_MAX_RTT || score < LOW_MIN_SCORE) return 'audio';
  // Few frames alone may be the sender's doing (their camera, their link); with loss or jitter it is ours.
  const starved = s.framesPerSecond !== null && s.framesPerSecond < MIN_FPS && (loss >= CLEAN_MAX_LOSS || jitter >= CLEAN_MAX_JITTER);
  if (loss > TOP_MAX_LOSS || jitter > TOP_MAX_JITTER || rtt > TOP_MAX_RTT || score < TOP_MIN_SCORE || starved) return 'low';
  return 'top';
}

export function receiveClean(s: ReceiveSample): boolean {
  if (s.lossFraction === null && s.jitterSeconds === null && s.rttSeconds === null && s.score === null) return false;
  return (
    (s.lossFraction ?? 0) < CLEAN_MAX_LOSS &&
    (s.jitterSeconds ?? 0) < CLEAN_MAX_JITTER &&
    (s.rttSeconds ?? 0) < CLEAN_MAX_RTT &&
    (s.score ?? 10) >= CLEAN_MIN_SCORE &&
    receiveCapacity(s) === 'top'
  );
}

/** One sample as the policy reads it: the level it can sustain, and whether it leaves room to go up. */
export interface Reading {
  capacity: Level;
  clean: boolean;
}

/** `at`: the level the send path is at now (the estimate means different things at each). */
export const readSend = (s: SendSample, at: Level): Reading => ({ capacity: sendCapacity(s, at), clean: sendClean(s, at) });
export const readReceive = (s: ReceiveSample): Reading => ({ capacity: receiveCapacity(s), clean: receiveClean(s) });

/** One direction's level over time. Starts at the top: most calls never need to step down. */
export class AdaptationPolicy {
  #level: Level = 'top';
  /** Weak (true) or not, for the samples since the last change (the latest WEAK_WINDOW). */
  #recent: boolean[] = [];
  #cleanRun = 0;
  /** Samples since the last change of level. */
  #held = 0;
  #lastChangeUp = false;
  #backoff = 1;

  get level(): Level {
    return this.#level;
  }

  /** Takes one sample's reading (null: nothing measured, which changes nothing) and returns the level. */
  next(r: Reading | null): Level {
    this.#held++;
    // A step up that has held this long was a good probe: the next one waits the normal time.
    if (this.#lastChangeUp && this.#held > PROBE_WINDOW) this.#backoff = 1;
    if (r === null) return this.#level;
    const weak = rank(r.capacity) < rank(this.#level);
    this.#recent.push(weak);
    if (this.#recent.length > WEAK_WINDOW) this.#recent.shift();
    this.#cleanRun = r.clean && !weak ? this.#cleanRun + 1 : 0;
    if (this.#level !== 'audio' && this.#recent.filter(Boolean).length >= WEAK_NEEDED) {
      // A probe that failed straight away: wait twice as long before the next one.
      if (this.#lastChangeUp && this.#held <= PROBE_WINDOW) this.#backoff = Math.min(MAX_BACKOFF, this.#backoff * 2);
      this.#change(LEVELS[rank(this.#level) - 1]!, false);
    } else if (this.#level !== 'top' && this.#cleanRun >= CLEAN_NEEDED * this.#backoff) {
      this.#change(LEVELS[rank(this.#level) + 1]!, true);
    }
    return this.#level;
  }

  /** Back to the top (a new media session: nothing known about the new path yet). */
  reset(): void {
    this.#change('top', false);
    this.#backoff = 1;
  }

  #change(to: Level, up: boolean): void {
    this.#level = to;
    this.#recent = [];
    this.#cleanRun = 0;
    this.#held = 0;
    this.#lastChangeUp = up;
  }
}
