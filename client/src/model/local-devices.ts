// This device's camera and microphone: one MediaStream that lives for the whole
// page (tracks are swapped inside it when another device is picked), the list
// of devices to pick from and the microphone's level. No DOM: the pickers, the
// meter and the video elements showing the stream are ui/device-controls.ts,
// which follows the events here. A track the device takes back (another app
// took the camera, a phone call paused the microphone) is reported as lost,
// and reacquire() opens the device again and hands the new track on.
import { t } from '../i18n/i18n.ts';
import { Emitter } from './emitter.ts';

export type LocalKind = 'video' | 'audio';

/** Why a track was lost: it ended (the device was taken back), or it stayed muted (a phone call, another app). */
export type TrackLoss = 'ended' | 'muted';

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
  /** The camera or microphone stopped without the person asking: views offer to turn it back on. */
  lost: [kind: LocalKind, why: TrackLoss];
  /** A lost camera or microphone works again (came back by itself, or reacquired). */
  restored: [kind: LocalKind];
}

/** A track muted for this long (ms) is reported lost: brief mutes happen as a camera starts or a network hiccups. */
export const MUTE_GRACE_MS = 3000;

const VIDEO: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24, max: 30 } };
const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

export function mediaProblem(e: unknown): string {
  const name = e instanceof DOMException ? e.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return t('call:problems.notAllowed');
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return t('call:problems.notFound');
  if (name === 'NotReadableError' || name === 'AbortError') return t('call:problems.inUse');
  return t('call:problems.generic');
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
  /** What was lost, by kind, and the device it was (to open the same one again). */
  readonly #lost = new Map<LocalKind, { why: TrackLoss; deviceId: string }>();
  readonly #muteTimers = new Map<MediaStreamTrack, ReturnType<typeof setTimeout>>();

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

  /** Whether the camera or microphone was lost (and not yet back), and why. */
  lost(kind: LocalKind): TrackLoss | null {
    return this.#lost.get(kind)?.why ?? null;
  }

  /**
   * Whether "Switch camera" makes sense: more than one camera listed, or a
   * camera that says which way it faces (a phone's, before it lists both).
   */
  get canSwitchCamera(): boolean {
    if (this.devicesOf('video').length > 1) return true;
    const track = this.stream.getVideoTracks()[0];
    return !!navigator.mediaDevices?.getSupportedConstraints?.().facingMode && !!track?.getSettings().facingMode;
  }

  /** Which way the camera faces, where it says ('user', 'environment'), else ''. */
  get cameraFacing(): string {
    return this.stream.getVideoTracks()[0]?.getSettings().facingMode ?? '';
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
      const problem = t('call:problems.unsupported');
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
    if (got && !video) problem = t('call:problems.noCamera');
    else if (got && !audio) problem = t('call:problems.noMicrophone');
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

  /** Uses another camera or microphone (the pickers). Resolves whether it worked. */
  async switchDevice(kind: LocalKind, deviceId: string): Promise<boolean> {
    const current = this.#track(kind);
    if (current && current.getSettings().deviceId === deviceId && current.readyState === 'live') return true;
    const problem = await this.#reopen(kind, { deviceId: { exact: deviceId } });
    if (problem !== null) {
      this.emit('note', t(kind === 'video' ? 'call:problems.switchCamera' : 'call:problems.switchMicrophone', { reason: problem }));
    }
    return problem === null;
  }

  /**
   * The other camera: the next one listed, or on a phone that lists one, the
   * one facing the other way. Resolves null when it worked, else plain words.
   */
  async switchCamera(): Promise<string | null> {
    const cameras = this.devicesOf('video');
    if (cameras.length > 1) {
      const at = cameras.findIndex((d) => d.deviceId === this.currentDevice('video'));
      const next = cameras[(at + 1) % cameras.length]!;
      return this.#reopen('video', { deviceId: { exact: next.deviceId } });
    }
    const facing = this.cameraFacing === 'environment' ? 'user' : 'environment';
    return this.#reopen('video', { facingMode: { exact: facing } });
  }

  /**
   * Opens a lost camera or microphone again (the same device where it can)
   * and hands the new track on to the call. Resolves null when it worked,
   * else plain words saying why not.
   */
  reacquire(kind: LocalKind): Promise<string | null> {
    const deviceId = this.#lost.get(kind)?.deviceId || this.currentDevice(kind);
    return this.#reopen(kind, deviceId ? { deviceId: { ideal: deviceId } } : {});
  }

  /**
   * Replaces the track of `kind` with a new one opened with `pick`. Resolves
   * null when done, else plain words; a camera that could not be switched is
   * opened again as any camera (the old one was let go first).
   */
  async #reopen(kind: LocalKind, pick: MediaTrackConstraints): Promise<string | null> {
    const current = this.#track(kind);
    const base = kind === 'video' ? VIDEO : AUDIO;
    let fresh: MediaStream;
    let problem: string | null = null;
    try {
      // Phones often cannot open two cameras at once: let the old one go first.
      if (kind === 'video') current?.stop();
      fresh = await navigator.mediaDevices.getUserMedia({ [kind]: { ...base, ...pick } });
    } catch (e) {
      problem = mediaProblem(e);
      if (kind !== 'video' || !current) return problem;
      // The old camera was let go: get it (or any camera) back.
      try {
        fresh = await navigator.mediaDevices.getUserMedia({ video: base });
      } catch {
        return problem;
      }
    }
    const track = kind === 'video' ? fresh.getVideoTracks()[0] : fresh.getAudioTracks()[0];
    if (!track) return problem ?? t('call:problems.generic');
    if (this.#stopped) {
      track.stop();
      return null;
    }
    if (current) {
      this.stream.removeTrack(current);
      current.stop();
    }
    this.#adopt(track);
    if (kind === 'video' && problem === null) this.emit('note', '');
    this.emit('tracks');
    if (kind === 'audio') this.#connectMeter();
    await this.onTrackReplaced?.(kind, track);
    await this.#listDevices();
    return problem;
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
      this.emit('note', t('call:problems.returnCamera', { reason: mediaProblem(e) }));
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
    for (const track of this.stream.getTracks()) {
      track.stop();
      this.stream.removeTrack(track);
    }
    for (const timer of this.#muteTimers.values()) clearTimeout(timer);
    this.#muteTimers.clear();
    this.#lost.clear();
    clearInterval(this.#meterTimer);
    this.#meterTimer = undefined;
    this.#source?.disconnect();
    this.#source = null;
    void this.#audioCtx?.close().catch(() => undefined);
    this.#audioCtx = null;
    this.#analyser = null;
    this.emit('stopped');
  }

  #track(kind: LocalKind): MediaStreamTrack | undefined {
    return kind === 'video' ? this.stream.getVideoTracks()[0] : this.stream.getAudioTracks()[0];
  }

  #adopt(track: MediaStreamTrack): void {
    const kind: LocalKind = track.kind === 'video' ? 'video' : 'audio';
    track.enabled = kind === 'video' ? this.cameraOn : this.microphoneOn;
    this.stream.addTrack(track);
    this.#watch(track, kind);
    if (this.#lost.delete(kind)) this.emit('restored', kind);
  }

  /**
   * Listens for the device taking the track back. stop() fires no 'ended', so
   * only the browser or the system ending it counts; a track no longer in the
   * stream (switched, lent) is ignored.
   */
  #watch(track: MediaStreamTrack, kind: LocalKind): void {
    const ours = () => !this.#stopped && this.stream.getTracks().includes(track);
    const lose = (why: TrackLoss) => {
      if (!ours() || this.#lost.get(kind)?.why === why) return;
      this.#lost.set(kind, { why, deviceId: track.getSettings().deviceId ?? '' });
      this.emit('lost', kind, why);
    };
    const unmuted = () => {
      clearTimeout(this.#muteTimers.get(track));
      this.#muteTimers.delete(track);
      if (ours() && this.#lost.get(kind)?.why === 'muted' && this.#lost.delete(kind)) this.emit('restored', kind);
    };
    track.addEventListener('ended', () => {
      unmuted();
      lose('ended');
    });
    track.addEventListener('mute', () => {
      clearTimeout(this.#muteTimers.get(track));
      this.#muteTimers.set(
        track,
        setTimeout(() => {
          this.#muteTimers.delete(track);
          if (track.muted && track.readyState === 'live') lose('muted');
        }, MUTE_GRACE_MS),
      );
    });
    track.addEventListener('unmute', unmuted);
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
