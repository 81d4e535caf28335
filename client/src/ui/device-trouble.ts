// When this device takes the camera or microphone back during the call
// (another app opened the camera, a phone call took the microphone, the system
// revoked it), the call says so plainly, with one button that opens the device
// again and puts it back into the call (LocalDevices.reacquire). It goes away
// when the device is back, by the button or by itself (a phone call ended).
import { t } from '../i18n/i18n.ts';
import type { LocalDevices, LocalKind, TrackLoss } from '../model/local-devices.ts';
import { h } from './dom.ts';

const TEXT = {
  video: { ended: 'call:trouble.cameraEnded', muted: 'call:trouble.cameraMuted', button: 'call:trouble.cameraButton', back: 'call:trouble.cameraBack', failed: 'call:trouble.cameraFailed' },
  audio: {
    ended: 'call:trouble.microphoneEnded',
    muted: 'call:trouble.microphoneMuted',
    button: 'call:trouble.microphoneButton',
    back: 'call:trouble.microphoneBack',
    failed: 'call:trouble.microphoneFailed',
  },
} as const;

interface Row {
  el: HTMLElement;
  text: HTMLElement;
  button: HTMLButtonElement;
}

export class DeviceTrouble {
  /** One line per lost device; hidden while nothing is lost. */
  readonly element: HTMLElement;
  readonly #local: LocalDevices;
  readonly #rows: Record<LocalKind, Row>;
  readonly #changed: (text: string) => void;
  #off: (() => void)[] = [];
  readonly #busy = new Set<LocalKind>();

  /** `changed`: a device was lost or came back (the view refreshes its buttons, announces `text`). */
  constructor(local: LocalDevices, changed: (text: string) => void) {
    this.#local = local;
    this.#changed = changed;
    this.#rows = { video: this.#row('video'), audio: this.#row('audio') };
    this.element = h('div', { class: 'device-trouble', hidden: '' }, this.#rows.video.el, this.#rows.audio.el);
  }

  /** Follows the devices while the call is shown (and shows what is already lost). */
  start(): void {
    this.stop();
    this.#off = [
      this.#local.on('lost', (kind, why) => {
        this.#show(kind, why);
        this.#changed(t(TEXT[kind][why]));
      }),
      this.#local.on('restored', (kind) => {
        const wasShown = !this.#rows[kind].el.hidden;
        this.#hide(kind);
        if (wasShown) this.#changed(t(TEXT[kind].back));
      }),
    ];
    for (const kind of ['video', 'audio'] as const) {
      const why = this.#local.lost(kind);
      if (why) this.#show(kind, why);
      else this.#hide(kind);
    }
  }

  stop(): void {
    for (const off of this.#off) off();
    this.#off = [];
  }

  #row(kind: LocalKind): Row {
    const text = h('p', {});
    const button = h('button', { type: 'button' }, t(TEXT[kind].button));
    button.addEventListener('click', () => void this.#reacquire(kind));
    return { el: h('div', { class: 'trouble', hidden: '', 'data-kind': kind }, text, button), text, button };
  }

  #show(kind: LocalKind, why: TrackLoss): void {
    const row = this.#rows[kind];
    row.text.textContent = t(TEXT[kind][why]);
    row.el.hidden = false;
    this.element.hidden = false;
  }

  #hide(kind: LocalKind): void {
    const row = this.#rows[kind];
    const hadFocus = row.el.contains(document.activeElement);
    row.el.hidden = true;
    this.element.hidden = this.#rows.video.el.hidden && this.#rows.audio.el.hidden;
    // Focus must not fall to the page: on to the call's first control.
    if (hadFocus) this.element.closest('.call')?.querySelector<HTMLElement>('.controls button:not([disabled])')?.focus();
  }

  async #reacquire(kind: LocalKind): Promise<void> {
    const row = this.#rows[kind];
    // Not disabled while busy: a disabled button drops the focus to the page.
    if (this.#busy.has(kind)) return;
    this.#busy.add(kind);
    try {
      const problem = await this.#local.reacquire(kind);
      if (problem !== null && this.#local.lost(kind)) {
        row.text.textContent = t(TEXT[kind].failed, { reason: problem });
        this.#changed(row.text.textContent);
      }
    } finally {
      this.#busy.delete(kind);
    }
  }
}
