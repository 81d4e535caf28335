// The call's control bar: camera, microphone, (the page's chat), Leave, and,
// where they help, Switch camera, Full screen, Move my picture and the
// camera and microphone settings; and the line under your own picture saying
// what is off. Every button has words, not only an icon.
import { t } from '../i18n/i18n.ts';
import type { LocalDevices } from '../model/local-devices.ts';
import type { MediaSession } from '../model/media-session.ts';
import { h, setStatus } from './dom.ts';
import { errorText } from './messages.ts';

export interface CallControlsHost {
  media(): MediaSession | null;
  leave(): void;
  /** The element that goes full screen (the call). */
  fullScreenTarget(): HTMLElement;
}

export interface CallControlsParts {
  /** The element under your own picture that says what is off. */
  selfState: HTMLElement;
  /** "Move my picture" (the self view's). */
  moveButton: HTMLButtonElement;
  /** The <details> holding the device pickers. */
  settings: HTMLDetailsElement;
}

export class CallControls {
  /** The bar, in the order it is shown: the main row, then the row of extras. */
  readonly element: HTMLElement;
  readonly #local: LocalDevices;
  readonly #host: CallControlsHost;
  readonly #selfState: HTMLElement;
  readonly #main: HTMLElement;
  readonly #leave: HTMLButtonElement;
  readonly #cameraBtn: HTMLButtonElement;
  readonly #micBtn: HTMLButtonElement;
  readonly #switchBtn: HTMLButtonElement;
  readonly #fullBtn: HTMLButtonElement;
  #busy = false;

  constructor(local: LocalDevices, parts: CallControlsParts, host: CallControlsHost) {
    this.#local = local;
    this.#selfState = parts.selfState;
    this.#host = host;
    this.#cameraBtn = h('button', { type: 'button', class: 'secondary' }, t('call:controls.cameraOff'));
    this.#micBtn = h('button', { type: 'button', class: 'secondary' }, t('call:controls.microphoneOff'));
    this.#leave = h('button', { type: 'button', class: 'danger' }, t('call:controls.leave'));
    this.#switchBtn = h('button', { type: 'button', class: 'secondary', hidden: '' }, t('call:controls.switchCamera'));
    this.#fullBtn = h('button', { type: 'button', class: 'secondary', hidden: '' }, t('call:controls.fullScreen'));
    this.#cameraBtn.addEventListener('click', () => void this.#toggle('video'));
    this.#micBtn.addEventListener('click', () => void this.#toggle('audio'));
    this.#switchBtn.addEventListener('click', () => void this.#switchCamera());
    this.#fullBtn.addEventListener('click', () => void this.#toggleFullScreen());
    this.#leave.addEventListener('click', () => this.#host.leave());
    this.#main = h('div', { class: 'row main' }, this.#cameraBtn, this.#micBtn, this.#leave);
    const more = h('div', { class: 'row more' }, this.#switchBtn, this.#fullBtn, parts.moveButton, parts.settings);
    this.element = h('div', { class: 'controls', role: 'group', 'aria-label': t('call:controls.group') }, this.#main, more);
  }

  /** Another button among the main controls, before Leave (e.g. the chat on a phone). */
  add(el: HTMLElement): void {
    this.#main.insertBefore(el, this.#leave);
    // The chat opens outside the call: leave full screen to show it.
    el.addEventListener('click', () => {
      if (document.fullscreenElement === this.#host.fullScreenTarget()) void document.exitFullscreen().catch(() => undefined);
    });
  }

  refresh(): void {
    const l = this.#local;
    this.#cameraBtn.textContent = t(l.cameraOn ? 'call:controls.cameraOff' : 'call:controls.cameraOn');
    this.#micBtn.textContent = t(l.microphoneOn ? 'call:controls.microphoneOff' : 'call:controls.microphoneOn');
    this.#cameraBtn.disabled = !l.hasVideo;
    this.#micBtn.disabled = !l.hasAudio;
    this.#switchBtn.hidden = !l.canSwitchCamera;
    this.#fullBtn.hidden = !document.fullscreenEnabled;
    const full = !!document.fullscreenElement && document.fullscreenElement === this.#host.fullScreenTarget();
    this.#fullBtn.textContent = t(full ? 'call:controls.exitFullScreen' : 'call:controls.fullScreen');
    this.#fullBtn.setAttribute('aria-pressed', String(full));
    const parts = [];
    if (!l.hasVideo) parts.push(t('call:self.noCamera'));
    else if (!l.cameraOn) parts.push(t('call:self.cameraOff'));
    if (!l.hasAudio) parts.push(t('call:self.noMicrophone'));
    else if (!l.microphoneOn) parts.push(t('call:self.microphoneMuted'));
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
          ? t(on ? 'call:controls.cameraIsOn' : 'call:controls.cameraIsOff')
          : t(on ? 'call:controls.microphoneIsOn' : 'call:controls.microphoneIsOff'),
      );
    } catch (e) {
      setStatus(t(kind === 'video' ? 'call:controls.cameraFailed' : 'call:controls.microphoneFailed', { reason: errorText(e) }), 'error');
    } finally {
      this.#busy = false;
    }
  }

  async #switchCamera(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const problem = await this.#local.switchCamera();
      if (problem === null) setStatus(t('call:controls.switchedCamera'));
      else setStatus(t('call:controls.switchFailed', { reason: problem }), 'error');
    } finally {
      this.#busy = false;
      this.refresh();
    }
  }

  async #toggleFullScreen(): Promise<void> {
    const target = this.#host.fullScreenTarget();
    try {
      if (document.fullscreenElement === target) await document.exitFullscreen();
      else await target.requestFullscreen({ navigationUI: 'hide' });
    } catch {
      // Refused (not from a tap, or the browser's policy): the call stays as it is.
    }
    this.refresh();
  }
}
