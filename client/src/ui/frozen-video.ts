// Whether a remote video is still moving. A consumer's score comes from the
// SFU and can stay "good" while nothing reaches this browser (our network
// dropped, or theirs); only frames actually decoded here tell the truth. The
// clock is pure (tested under Node); FrameWatch feeds it from the <video>
// element: requestVideoFrameCallback where the browser has it, and the
// element's decoded-frame count (getVideoPlaybackQuality) as well, since
// frame callbacks stop while the page is in the background.

export interface StallTiming {
  /** No new frame for this long after frames were flowing: frozen (ms). */
  stallMs: number;
  /** A video that has not shown its first frame yet gets this long (ms): the first keyframe takes a moment. */
  firstFrameMs: number;
}

export const STALL_TIMING: StallTiming = { stallMs: 2000, firstFrameMs: 5000 };

/** How often FrameWatch looks (ms). */
const CHECK_EVERY_MS = 500;

export class StallClock {
  readonly #t: StallTiming;
  #since: number;
  #seen = false;

  constructor(now: number, timing: StallTiming = STALL_TIMING) {
    this.#t = timing;
    this.#since = now;
  }

  /** Starts counting afresh (a new track, the sender resumed); `seen` keeps whether frames ever came. */
  restart(now: number, seen = false): void {
    this.#since = now;
    this.#seen = seen;
  }

  get seen(): boolean {
    return this.#seen;
  }

  /** A new frame was decoded. */
  frame(now: number): void {
    this.#since = now;
    this.#seen = true;
  }

  frozen(now: number): boolean {
    return now - this.#since >= (this.#seen ? this.#t.stallMs : this.#t.firstFrameMs);
  }
}

type FrameCallbackVideo = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: () => void) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

/**
 * Watches one <video> while frames are expected (a live video the sender has
 * not paused) and tells `onChange` when it freezes or moves again.
 */
export class FrameWatch {
  readonly #video: FrameCallbackVideo;
  readonly #onChange: (frozen: boolean) => void;
  readonly #clock: StallClock;
  #timer: ReturnType<typeof setInterval> | undefined;
  #handle: number | undefined;
  #fresh = false;
  #decoded = -1;
  #expecting = false;
  #frozen = false;

  constructor(video: HTMLVideoElement, onChange: (frozen: boolean) => void, timing: StallTiming = STALL_TIMING) {
    this.#video = video;
    this.#onChange = onChange;
    this.#clock = new StallClock(performance.now(), timing);
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  start(): void {
    if (this.#timer) return;
    this.#clock.restart(performance.now(), this.#clock.seen);
    this.#timer = setInterval(() => this.#check(), CHECK_EVERY_MS);
    this.#listen();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unlisten();
    this.#set(false);
  }

  /** Whether frames should be arriving now. Turning it on (or a new track) starts the clock afresh. */
  expect(expecting: boolean, newTrack = false): void {
    if (expecting && (!this.#expecting || newTrack)) this.#clock.restart(performance.now());
    this.#expecting = expecting;
    if (!expecting) this.#set(false);
  }

  #listen(): void {
    const v = this.#video;
    if (!v.requestVideoFrameCallback) return;
    this.#handle = v.requestVideoFrameCallback(() => {
      this.#fresh = true;
      this.#listen();
    });
  }

  #unlisten(): void {
    if (this.#handle !== undefined) this.#video.cancelVideoFrameCallback?.(this.#handle);
    this.#handle = undefined;
  }

  #check(): void {
    const now = performance.now();
    const decoded = this.#video.getVideoPlaybackQuality?.().totalVideoFrames ?? -1;
    const moved = this.#fresh || (decoded !== this.#decoded && decoded > 0);
    this.#fresh = false;
    this.#decoded = decoded;
    if (moved) this.#clock.frame(now);
    else if (this.#handle !== undefined) {
      // A new srcObject can drop a pending frame callback: ask again.
      this.#unlisten();
      this.#listen();
    }
    if (!this.#expecting) return;
    // In the background the browser may stop painting video: no verdict from there.
    if (document.hidden) {
      this.#clock.restart(now, this.#clock.seen);
      return;
    }
    this.#set(this.#clock.frozen(now));
  }

  #set(frozen: boolean): void {
    if (frozen === this.#frozen) return;
    this.#frozen = frozen;
    this.#onChange(frozen);
  }
}
