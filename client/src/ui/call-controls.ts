// The call's own controls: camera, microphone, "Turn on sound" (shown when the
// browser blocked autoplay with sound) and Leave, and the line under your own
// camera saying what is off.
import type { LocalDevices } from '../model/local-devices.ts';
import type { MediaSession } from '../model/media-session.ts';
import { h, setStatus } from './dom.ts';
import { errorText } from './messages.ts';

export interface CallControlsHost {
  media(): MediaSession | null;
  leave(): void;
  /** Unmute and play every remote tile (after the person pressed "Turn on sound"). */
  unmuteAll(): void;
}

export class CallControls {
  /** The button group, in the order it is shown. */
  readonly element: HTMLElement;
  readonly #local: LocalDevices;
  readonly #host: CallControlsHost;
  readonly #selfState: HTMLElement;
  readonly #cameraBtn: HTMLButtonElement;
  readonly #micBtn: HTMLButtonElement;
  readonly #soundBtn: HTMLButtonElement;
  #busy = false;

  /** selfState: the element under your own camera that says what is off. */
  constructor(local: LocalDevices, selfState: HTMLElement, host: CallControlsHost) {
    this.#local = local;
    this.#selfState = selfState;
    this.#host = host;
    this.#cameraBtn = h('button', { type: 'button', class: 'secondary' }, 'Turn camera off');
    this.#micBtn = h('button', { type: 'button', class: 'secondary' }, 'Mute microphone');
    this.#soundBtn = h('button', { type: 'button', hidden: '' }, 'Turn on sound');
    const leave = h('button', { type: 'button', class: 'danger' }, 'Leave');
    this.#cameraBtn.addEventListener('click', () => void this.#toggle('video'));
    this.#micBtn.addEventListener('click', () => void this.#toggle('audio'));
    this.#soundBtn.addEventListener('click', () => this.#unblockSound());
    leave.addEventListener('click', () => this.#host.leave());
    this.element = h('div', { class: 'controls', role: 'group', 'aria-label': 'Call controls' }, this.#soundBtn, this.#cameraBtn, this.#micBtn, leave);
  }

  /** Another button among the call controls, before Leave. */
  add(el: HTMLElement): void {
    this.element.insertBefore(el, this.element.lastElementChild);
  }

  /** The browser blocked sound: offer the button that turns it on. */
  offerSound(): void {
    this.#soundBtn.hidden = false;
  }

  refresh(): void {
    const l = this.#local;
    this.#cameraBtn.textContent = l.cameraOn ? 'Turn camera off' : 'Turn camera on';
    this.#micBtn.textContent = l.microphoneOn ? 'Mute microphone' : 'Unmute microphone';
    this.#cameraBtn.disabled = !l.hasVideo;
    this.#micBtn.disabled = !l.hasAudio;
    const parts = [];
    if (!l.hasVideo) parts.push('No camera');
    else if (!l.cameraOn) parts.push('Camera off');
    if (!l.hasAudio) parts.push('No microphone');
    else if (!l.microphoneOn) parts.push('Microphone muted');
    this.#selfState.textContent = parts.join(', ');
  }

  async #toggle(kind: 'video' | 'audio'): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    const on = kind === 'video' ? !this.#local.cameraOn : !this.#local.microphoneOn;
    try {
      this.#local.setEnabled(kind, on);
      this.refresh();
      await this.#host.media()?.setPaused(kind === 'video' ? 'camera' : 'microphone', !on);
      setStatus(
        kind === 'video'
          ? on
            ? 'Your camera is on.'
            : 'Your camera is off. The others cannot see you.'
          : on
            ? 'Your microphone is on.'
            : 'Your microphone is muted. The others cannot hear you.',
      );
    } catch (e) {
      setStatus(`We could not change your ${kind === 'video' ? 'camera' : 'microphone'}: ${errorText(e)}`, 'error');
    } finally {
      this.#busy = false;
    }
  }

  #unblockSound(): void {
    this.#host.unmuteAll();
    this.#soundBtn.hidden = true;
    this.#cameraBtn.focus();
    setStatus('Sound is on.');
  }
}
