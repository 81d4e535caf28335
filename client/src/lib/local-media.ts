// This device's camera and microphone: one MediaStream that lives for the whole
// page (tracks are swapped inside it when another device is picked), labelled
// device pickers and a microphone level meter. The controls are one element a
// page moves between its views, so each label exists once in the document.
import { h } from './dom.ts';

export type LocalKind = 'video' | 'audio';

export interface OpenResult {
  video: boolean;
  audio: boolean;
  /** Plain words for the person when something is missing, else null. */
  problem: string | null;
}

const VIDEO: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24, max: 30 } };
const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

function mediaProblem(e: unknown): string {
  const name = e instanceof DOMException ? e.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'This browser is not allowed to use your camera and microphone. Allow them in the browser settings for this site, then choose "Try the camera and microphone again".';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'We could not find a camera or microphone on this device.';
  if (name === 'NotReadableError' || name === 'AbortError') {
    return 'Your camera or microphone is being used by another app. Close other apps that use them, then try again.';
  }
  return 'We could not start your camera or microphone.';
}

export class LocalMedia {
  readonly stream = new MediaStream();
  /** Device pickers and the level meter. */
  readonly controls: HTMLElement;
  cameraOn = true;
  microphoneOn = true;
  /** Called after a track is swapped for one from another device. */
  onTrackReplaced: ((kind: LocalKind, track: MediaStreamTrack) => Promise<void>) | null = null;

  readonly #camera: HTMLSelectElement;
  readonly #microphone: HTMLSelectElement;
  readonly #meter: HTMLElement;
  readonly #bar: HTMLElement;
  readonly #note: HTMLElement;
  readonly #views = new Set<HTMLVideoElement>();
  #audioCtx: AudioContext | null = null;
  #source: MediaStreamAudioSourceNode | null = null;
  #analyser: AnalyserNode | null = null;
  #meterTimer: ReturnType<typeof setInterval> | undefined;
  #lastLevel = -1;
  #stopped = false;
  /** The camera's device id while lent out for a still photo. */
  #lent: string | null = null;

  constructor() {
    this.#camera = h('select', { id: 'camera-select' });
    this.#microphone = h('select', { id: 'microphone-select' });
    this.#bar = h('div');
    this.#meter = h(
      'div',
      { class: 'meter', role: 'meter', 'aria-labelledby': 'mic-level-label', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0' },
      this.#bar,
    );
    this.#note = h('p', { class: 'note' });
    this.controls = h(
      'div',
      { class: 'devices' },
      h('div', { class: 'field' }, h('label', { for: 'camera-select' }, 'Camera'), this.#camera),
      h('div', { class: 'field' }, h('label', { for: 'microphone-select' }, 'Microphone'), this.#microphone),
      h('div', { class: 'field' }, h('p', { id: 'mic-level-label', class: 'label' }, 'Microphone level (speak to see it move)'), this.#meter),
      this.#note,
    );
    this.#camera.addEventListener('change', () => void this.switchDevice('video', this.#camera.value));
    this.#microphone.addEventListener('change', () => void this.switchDevice('audio', this.#microphone.value));
    navigator.mediaDevices?.addEventListener?.('devicechange', () => void this.#listDevices());
    // Browsers start audio processing only after the person has interacted with the page.
    const wake = () => void this.#audioCtx?.resume().catch(() => undefined);
    document.addEventListener('pointerdown', wake, { capture: true });
    document.addEventListener('keydown', wake, { capture: true });
  }

  get hasVideo(): boolean {
    return this.stream.getVideoTracks().some((t) => t.readyState === 'live');
  }

  get hasAudio(): boolean {
    return this.stream.getAudioTracks().some((t) => t.readyState === 'live');
  }

  /** Asks for the camera and microphone (falling back to whichever one works). */
  async open(): Promise<OpenResult> {
    this.#stopped = false;
    if (!navigator.mediaDevices?.getUserMedia) {
      const problem = 'This browser cannot use a camera or microphone here. Try an up-to-date Chrome, Edge, Firefox or Safari.';
      this.#note.textContent = problem;
      return { video: false, audio: false, problem };
    }
    let problem: string | null = null;
    let got: MediaStream | null = null;
    try {
      got = await navigator.mediaDevices.getUserMedia({ video: VIDEO, audio: AUDIO });
    } catch (e) {
      problem = mediaProblem(e);
      const name = e instanceof DOMException ? e.name : '';
      if (name !== 'NotAllowedError' && name !== 'SecurityError') {
        for (const c of [{ audio: AUDIO }, { video: VIDEO }] satisfies MediaStreamConstraints[]) {
          try {
            got = await navigator.mediaDevices.getUserMedia(c);
            break;
          } catch {
            // try the next one
          }
        }
      }
    }
    if (this.#stopped) {
      got?.getTracks().forEach((t) => t.stop());
      return { video: false, audio: false, problem: null };
    }
    for (const t of this.stream.getTracks()) {
      this.stream.removeTrack(t);
      t.stop();
    }
    for (const t of got?.getTracks() ?? []) this.#adopt(t);
    const video = this.hasVideo;
    const audio = this.hasAudio;
    if (got && !video) problem = 'We could not start your camera, so the clinician will hear you but not see you.';
    else if (got && !audio) problem = 'We could not start your microphone, so the clinician will see you but not hear you.';
    else if (got) problem = null;
    this.#note.textContent = problem ?? '';
    this.#refreshViews();
    this.#startMeter();
    await this.#listDevices();
    return { video, audio, problem };
  }

  /** Shows the local camera in a (muted) video element; kept in step with device changes. */
  attach(video: HTMLVideoElement): void {
    video.muted = true;
    this.#views.add(video);
    video.srcObject = this.stream;
    video.play().catch(() => undefined);
  }

  detach(video: HTMLVideoElement): void {
    this.#views.delete(video);
    video.srcObject = null;
  }

  setEnabled(kind: LocalKind, on: boolean): void {
    if (kind === 'video') this.cameraOn = on;
    else this.microphoneOn = on;
    for (const t of kind === 'video' ? this.stream.getVideoTracks() : this.stream.getAudioTracks()) t.enabled = on;
  }

  async switchDevice(kind: LocalKind, deviceId: string): Promise<void> {
    const current = kind === 'video' ? this.stream.getVideoTracks()[0] : this.stream.getAudioTracks()[0];
    if (current && current.getSettings().deviceId === deviceId && current.readyState === 'live') return;
    const base = kind === 'video' ? VIDEO : AUDIO;
    let fresh: MediaStream;
    try {
      // Phones often cannot open two cameras at once: let the old one go first.
      if (kind === 'video') current?.stop();
      fresh = await navigator.mediaDevices.getUserMedia({ [kind]: { ...base, deviceId: { exact: deviceId } } });
    } catch (e) {
      this.#note.textContent = `We could not switch to that ${kind === 'video' ? 'camera' : 'microphone'}. ${mediaProblem(e)}`;
      if (kind === 'video' && current) {
        // The old camera was let go: get it (or any camera) back.
        try {
          fresh = await navigator.mediaDevices.getUserMedia({ video: base });
        } catch {
          return;
        }
      } else {
        return;
      }
    }
    const track = kind === 'video' ? fresh.getVideoTracks()[0] : fresh.getAudioTracks()[0];
    if (!track) return;
    if (this.#stopped) {
      track.stop();
      return;
    }
    if (current) {
      this.stream.removeTrack(current);
      current.stop();
    }
    this.#adopt(track);
    if (kind === 'video') this.#note.textContent = '';
    this.#refreshViews();
    if (kind === 'audio') this.#connectMeter();
    await this.onTrackReplaced?.(kind, track);
    await this.#listDevices();
  }

  /**
   * Lets go of the camera for a still photo: phones often cannot open two
   * cameras at once, and a webcam opened twice stays at the call's small size.
   * The call shows no video from here until returnCamera().
   */
  lendCamera(): void {
    const t = this.stream.getVideoTracks()[0];
    if (!t || this.#lent !== null) return;
    this.#lent = t.getSettings().deviceId ?? '';
    this.stream.removeTrack(t);
    t.stop();
    this.#refreshViews();
  }

  /** The call's camera back after lendCamera() (the same device where it can). */
  async returnCamera(): Promise<void> {
    const id = this.#lent;
    this.#lent = null;
    if (id === null || this.#stopped) return;
    let track: MediaStreamTrack | undefined;
    try {
      track = (await navigator.mediaDevices.getUserMedia({ video: id ? { ...VIDEO, deviceId: { ideal: id } } : VIDEO })).getVideoTracks()[0];
    } catch (e) {
      this.#note.textContent = `We could not turn your camera back on. ${mediaProblem(e)}`;
      return;
    }
    if (!track) return;
    if (this.#stopped) {
      track.stop();
      return;
    }
    this.#adopt(track);
    this.#refreshViews();
    await this.onTrackReplaced?.('video', track);
  }

  /** Stops the camera and microphone (the camera light goes off) and the meter. */
  stop(): void {
    this.#stopped = true;
    for (const t of this.stream.getTracks()) {
      t.stop();
      this.stream.removeTrack(t);
    }
    clearInterval(this.#meterTimer);
    this.#meterTimer = undefined;
    this.#source?.disconnect();
    this.#source = null;
    void this.#audioCtx?.close().catch(() => undefined);
    this.#audioCtx = null;
    this.#analyser = null;
    for (const v of this.#views) v.srcObject = null;
  }

  #adopt(track: MediaStreamTrack): void {
    track.enabled = track.kind === 'video' ? this.cameraOn : this.microphoneOn;
    this.stream.addTrack(track);
  }

  #refreshViews(): void {
    for (const v of this.#views) {
      v.srcObject = this.stream;
      v.play().catch(() => undefined);
    }
  }

  async #listDevices(): Promise<void> {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    let devices: MediaDeviceInfo[];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    const fill = (select: HTMLSelectElement, kind: MediaDeviceKind, track: MediaStreamTrack | undefined, noun: string) => {
      const list = devices.filter((d) => d.kind === kind && d.deviceId);
      const current = track?.getSettings().deviceId ?? '';
      const focused = document.activeElement === select;
      select.replaceChildren(
        ...list.map((d, i) => {
          const o = h('option', { value: d.deviceId }, d.label || `${noun} ${i + 1}`);
          o.selected = d.deviceId === current;
          return o;
        }),
      );
      if (list.length === 0) select.append(h('option', { value: '' }, `No ${noun.toLowerCase()} found`));
      select.disabled = list.length === 0;
      if (focused && !select.disabled) select.focus();
    };
    fill(this.#camera, 'videoinput', this.stream.getVideoTracks()[0], 'Camera');
    fill(this.#microphone, 'audioinput', this.stream.getAudioTracks()[0], 'Microphone');
  }

  #startMeter(): void {
    if (this.#meterTimer !== undefined) clearInterval(this.#meterTimer);
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctx) return;
    try {
      this.#audioCtx ??= new Ctx();
    } catch {
      return;
    }
    this.#connectMeter();
    const samples = new Uint8Array(512);
    this.#meterTimer = setInterval(() => {
      const a = this.#analyser;
      let level = 0;
      if (a && this.microphoneOn) {
        a.getByteTimeDomainData(samples);
        let sum = 0;
        for (const v of samples) sum += ((v - 128) / 128) ** 2;
        const rms = Math.sqrt(sum / samples.length);
        // Speech is roughly 0.02-0.3 RMS: stretch it over the bar.
        level = Math.min(100, Math.round(Math.sqrt(rms) * 180));
      }
      if (level === this.#lastLevel) return;
      this.#lastLevel = level;
      this.#bar.style.width = `${level}%`;
      this.#meter.setAttribute('aria-valuenow', String(level));
    }, 100);
  }

  #connectMeter(): void {
    const ctx = this.#audioCtx;
    const track = this.stream.getAudioTracks()[0];
    this.#source?.disconnect();
    this.#source = null;
    if (!ctx || !track) return;
    const analyser = this.#analyser ?? ctx.createAnalyser();
    analyser.fftSize = 512;
    this.#analyser = analyser;
    this.#source = ctx.createMediaStreamSource(new MediaStream([track]));
    this.#source.connect(analyser);
    void ctx.resume().catch(() => undefined);
  }
}
