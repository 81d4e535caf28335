// A short chime: two soft notes made with WebAudio, nothing downloaded and
// nothing from elsewhere. The console plays one when a patient arrives, the
// join page one when the patient is let in while the tab is in the background.
// Browsers start audio only after the person has used the page (a click or a
// key): the context is made then. A chime asked for before that is skipped,
// never saved up to play late; the page's words (banner, title, notification)
// still say it.

export interface Note {
  hz: number;
  /** Seconds after the chime starts. */
  at: number;
}

/** Stepping down a third: someone has arrived (the console). */
export const ARRIVAL_NOTES: readonly Note[] = [
  { hz: 880, at: 0 },
  { hz: 660, at: 0.22 },
];

/** Stepping up: you can go in now (the join page). */
export const LET_IN_NOTES: readonly Note[] = [
  { hz: 660, at: 0 },
  { hz: 880, at: 0.22 },
];
const NOTE_S = 0.2;
const VOLUME = 0.2;
/** A chime that could not start within this is news too old to play. */
const STALE_MS = 1_000;
/** Quiet this long, the audio device is let go (resumed for the next chime: the page has been used by then). */
const IDLE_MS = 10_000;

export class Chime {
  #ctx: AudioContext | null = null;
  /** Chimes sounding now (two arrivals together overlap). */
  #playing = 0;
  #idle: ReturnType<typeof setTimeout> | undefined;
  readonly #unlock = () => this.#context();
  readonly #notes: readonly Note[];

  /** Listens for the page's first use, when audio may start. */
  constructor(notes: readonly Note[] = ARRIVAL_NOTES) {
    this.#notes = notes;
    for (const ev of ['pointerdown', 'keydown'] as const) window.addEventListener(ev, this.#unlock, { once: true, capture: true });
  }

  play(): void {
    const ctx = this.#context();
    if (!ctx) return;
    clearTimeout(this.#idle);
    const asked = Date.now();
    const go = () => {
      if (Date.now() - asked <= STALE_MS && ctx.state === 'running') this.#sound(ctx);
    };
    if (ctx.state === 'running') go();
    else void ctx.resume().then(go, () => undefined);
  }

  dispose(): void {
    clearTimeout(this.#idle);
    for (const ev of ['pointerdown', 'keydown'] as const) window.removeEventListener(ev, this.#unlock, { capture: true });
    void this.#ctx?.close().catch(() => undefined);
    this.#ctx = null;
  }

  #context(): AudioContext | null {
    if (this.#ctx) return this.#ctx;
    const w = window as { AudioContext?: typeof AudioContext; webkitAudioContext?: typeof AudioContext };
    const AC = w.AudioContext ?? w.webkitAudioContext;
    if (!AC) return null;
    try {
      this.#ctx = new AC();
    } catch {
      return null;
    }
    return this.#ctx;
  }

  /** One oscillator for the whole chime: its pitch steps down a third, a gain envelope shapes each note. */
  #sound(ctx: AudioContext): void {
    const t0 = ctx.currentTime + 0.02;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    gain.gain.setValueAtTime(0.0001, t0);
    const notes = this.#notes;
    for (const n of notes) {
      const t = t0 + n.at;
      osc.frequency.setValueAtTime(n.hz, t);
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(VOLUME, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + NOTE_S);
    }
    osc.connect(gain).connect(ctx.destination);
    const end = t0 + (notes.at(-1)?.at ?? 0) + NOTE_S + 0.05;
    osc.start(t0);
    osc.stop(end);
    this.#playing++;
    osc.onended = () => {
      gain.disconnect();
      if (--this.#playing > 0) return;
      clearTimeout(this.#idle);
      this.#idle = setTimeout(() => void ctx.suspend().catch(() => undefined), IDLE_MS);
    };
  }
}
