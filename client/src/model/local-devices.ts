// This device's camera and microphone: one MediaStream that lives for the whole
// page (tracks are swapped inside it when another device is picked), the list
// of devices to pick from and the microphone's level. No DOM: the pickers, the
// meter and the video elements showing the stream are ui/device-controls.ts,
// which follows the events here.
import { Emitter } from './emitter.ts';

export type LocalKind = 'video' | 'audio';

export interface OpenResult {
  video: boolean;
  audio: boolean;
  /** Plain words for the person when something is missing, else null. */
  problem: string | null;
}

export interface LocalDevicesEvents {
  /** The stream's tracks changed: views showing it start it again. */
  tracks: [];
  /** Everything stopped: views showing the stream let it go. */
  stopped: [];
  /** The list of cameras and microphones was read again. */
  devices: [];
  /** Plain words about a device problem ('' once there is none). */
  note: [text: string];
  /** The microphone level, 0-100. */
  level: [level: number];
}

const VIDEO: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24, max: 30 } };
const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

export function mediaProblem(e: unknown): string {
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

export class LocalDevices extends Emitter<LocalDevicesEvents> {
  readonly stream = new MediaStream();
  cameraOn = true;
  microphoneOn = true;
  /** Called after a track is swapped for one from another device. */
  onTrackReplaced: ((kind: LocalKind, track: MediaStreamTrack) => Promise<void>) | null = null;

  #devices: MediaDeviceInfo[] = [];
  #audioCtx: AudioContext | null = null;
  #source: MediaStreamAudioSourceNode | null = null;
  #analyser: AnalyserNode | null = null;
  #meterTimer: ReturnType<typeof setInterval> | undefined;
  #lastLevel = -1;
  #stopped = false;
  /** The camera's device id while lent out for a still photo. */
  #lent: string | null = null;

  constructor() {
    super();
    navigator.mediaDevices?.addEventListener?.('devicechange', () => void this.#listDevices());
  }

  get hasVideo(): boolean {
    return this.stream.getVideoTracks().some((t) => t.readyState === 'live');
  }

  get hasAudio(): boolean {
    return this.stream.getAudioTracks().some((t) => t.readyState === 'live');
  }

  /** The cameras or microphones last listed (those with a device id). */
  devicesOf(kind: LocalKind): MediaDeviceInfo[] {
    const want: MediaDeviceKind = kind === 'video' ? 'videoinput' : 'audioinput';
    return this.#devices.filter((d) => d.kind === want && d.deviceId);
  }

  /** The device id of the track in use ('' when there is none). */
  currentDevice(kind: LocalKind): string {
    const track = kind === 'video' ? this.stream.getVideoTracks()[0] : this.stream.getAudioTracks()[0];
    return track?.getSettings().deviceId ?? '';
  }

  /** Browsers start audio processing only after the person has interacted with the page. */
  resumeAudio(): void {
    void this.#audioCtx?.resume().catch(() => undefined);
  }

  /** Asks for the camera and microphone (falling back to whichever one works). */
  async open(): Promise<OpenResult> {
    this.#stopped = false;
    if (!navigator.mediaDevices?.getUserMedia) {
      const problem = 'This browser cannot use a camera or microphone here. Try an up-to-date Chrome, Edge, Firefox or Safari.';
      this.emit('note', problem);
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
    this.emit('note', problem ?? '');
    this.emit('tracks');
    this.#startMeter();
    await this.#listDevices();
    return { video, audio, problem };
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
      this.emit('note', `We could not switch to that ${kind === 'video' ? 'camera' : 'microphone'}. ${mediaProblem(e)}`);
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
    if (kind === 'video') this.emit('note', '');
    this.emit('tracks');
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
    this.emit('tracks');
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
      this.emit('note', `We could not turn your camera back on. ${mediaProblem(e)}`);
      return;
    }
    if (!track) return;
    if (this.#stopped) {
      track.stop();
      return;
    }
    this.#adopt(track);
    this.emit('tracks');
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
    this.emit('stopped');
  }

  #adopt(track: MediaStreamTrack): void {
    track.enabled = track.kind === 'video' ? this.cameraOn : this.microphoneOn;
    this.stream.addTrack(track);
  }

  async #listDevices(): Promise<void> {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    try {
      this.#devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    this.emit('devices');
  }

  #startMeter(): void {
    if (this.#meterTimer !== undefined) clearInterval(this.#meterTimer);
    const Ctx = globalThis.AudioContext ?? (globalThis as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
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
      this.emit('level', level);
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
