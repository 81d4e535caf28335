// The camera and microphone pickers, the microphone level meter and the video
// elements showing this device's own camera, all following model/local-devices.ts.
// The controls are one element a page moves between its views, so each label
// exists once in the document.
import { t } from '../i18n/i18n.ts';
import type { LocalDevices, LocalKind } from '../model/local-devices.ts';
import { DeviceTrouble } from './device-trouble.ts';
import { h, setStatus } from './dom.ts';

export class DeviceControls {
  readonly element: HTMLElement;
  readonly devices: LocalDevices;
  readonly #camera: HTMLSelectElement;
  readonly #microphone: HTMLSelectElement;
  readonly #meter: HTMLElement;
  readonly #bar: HTMLElement;
  readonly #note: HTMLElement;
  readonly #views = new Set<HTMLVideoElement>();

  constructor(devices: LocalDevices) {
    this.devices = devices;
    this.#camera = h('select', { id: 'camera-select' });
    this.#microphone = h('select', { id: 'microphone-select' });
    this.#bar = h('div');
    this.#meter = h(
      'div',
      { class: 'meter', role: 'meter', 'aria-labelledby': 'mic-level-label', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0' },
      this.#bar,
    );
    this.#note = h('p', { class: 'note' });
    // A camera or microphone the device takes back before the call (the waiting room): said here, with the
    // button that brings it back. In the call the call view says it over the video (these pickers are in its settings).
    const trouble = new DeviceTrouble(devices, (text) => {
      if (!this.element.closest('.call')) setStatus(text);
    });
    trouble.start();
    this.element = h(
      'div',
      { class: 'devices' },
      trouble.element,
      h('div', { class: 'field' }, h('label', { for: 'camera-select' }, t('call:devices.camera')), this.#camera),
      h('div', { class: 'field' }, h('label', { for: 'microphone-select' }, t('call:devices.microphone')), this.#microphone),
      h('div', { class: 'field' }, h('p', { id: 'mic-level-label', class: 'label' }, t('call:devices.level')), this.#meter),
      this.#note,
    );
    this.#camera.addEventListener('change', () => void devices.switchDevice('video', this.#camera.value));
    this.#microphone.addEventListener('change', () => void devices.switchDevice('audio', this.#microphone.value));
    devices.on('note', (text) => (this.#note.textContent = text));
    devices.on('devices', () => {
      this.#fill(this.#camera, 'video');
      this.#fill(this.#microphone, 'audio');
    });
    devices.on('level', (level) => {
      this.#bar.style.width = `${level}%`;
      this.#meter.setAttribute('aria-valuenow', String(level));
    });
    devices.on('tracks', () => {
      for (const v of this.#views) {
        v.srcObject = devices.stream;
        v.play().catch(() => undefined);
      }
    });
    devices.on('stopped', () => {
      for (const v of this.#views) v.srcObject = null;
    });
    const wake = () => devices.resumeAudio();
    document.addEventListener('pointerdown', wake, { capture: true });
    document.addEventListener('keydown', wake, { capture: true });
  }

  /** Shows the local camera in a (muted) video element; kept in step with device changes. */
  attach(video: HTMLVideoElement): void {
    video.muted = true;
    this.#views.add(video);
    video.srcObject = this.devices.stream;
    video.play().catch(() => undefined);
  }

  detach(video: HTMLVideoElement): void {
    this.#views.delete(video);
    video.srcObject = null;
  }

  #fill(select: HTMLSelectElement, kind: LocalKind): void {
    const list = this.devices.devicesOf(kind);
    const current = this.devices.currentDevice(kind);
    const focused = document.activeElement === select;
    select.replaceChildren(
      ...list.map((d, i) => {
        const number = String(i + 1);
        const o = h('option', { value: d.deviceId }, d.label || t(kind === 'video' ? 'call:devices.cameraNumber' : 'call:devices.microphoneNumber', { number }));
        o.selected = d.deviceId === current;
        return o;
      }),
    );
    if (list.length === 0) select.append(h('option', { value: '' }, t(kind === 'video' ? 'call:devices.noCamera' : 'call:devices.noMicrophone')));
    select.disabled = list.length === 0;
    if (focused && !select.disabled) select.focus();
  }
}
