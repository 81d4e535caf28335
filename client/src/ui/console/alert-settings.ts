// The console's alert settings: the arrival sound (saved on the server with
// alerts:settings, so it follows the clinician to any browser), and desktop
// alerts, which only the browser can allow: a button asks, never the page on
// its own.
import { ClientError } from '../../net/rpc.ts';
import type { StaffRpc } from '../../net/staff-socket.ts';
import { button, h, setStatus } from '../dom.ts';
import { ALERT_SETTINGS, errorText, WAITING_AREA } from '../messages.ts';
import { desktopText, type ArrivalAlerts } from './arrival-alerts.ts';

export class AlertSettingsPanel {
  readonly element: HTMLElement;
  readonly #sound: HTMLInputElement;
  readonly #desktopLine: HTMLElement;
  readonly #ask: HTMLButtonElement;
  readonly #alerts: ArrivalAlerts;
  readonly #rpc: () => StaffRpc | null;

  constructor(alerts: ArrivalAlerts, rpc: () => StaffRpc | null) {
    this.#alerts = alerts;
    this.#rpc = rpc;
    this.#sound = h('input', { type: 'checkbox', id: 'alert-sound' });
    this.#sound.addEventListener('change', () => void this.#saveSound(this.#sound.checked));
    this.#desktopLine = h('p', { class: 'hint' });
    this.#ask = button(ALERT_SETTINGS.desktopOffer, () => void this.#askDesktop(), 'secondary');
    this.element = h(
      'section',
      { class: 'alert-settings', 'aria-labelledby': 'alert-settings-heading' },
      h('h2', { id: 'alert-settings-heading' }, ALERT_SETTINGS.heading),
      h('p', { class: 'choice' }, this.#sound, h('label', { for: 'alert-sound' }, ALERT_SETTINGS.sound)),
      h('p', {}, this.#ask),
      this.#desktopLine,
    );
    this.#showDesktop();
  }

  /** The saved setting (from the view). */
  update(sound: boolean): void {
    if (document.activeElement !== this.#sound) this.#sound.checked = sound;
    this.#showDesktop();
  }

  async #saveSound(sound: boolean): Promise<void> {
    const rpc = this.#rpc();
    try {
      if (!rpc) throw new ClientError('UNAVAILABLE', WAITING_AREA.unavailable);
      const saved = await rpc.request('alerts:settings', { sound });
      this.#sound.checked = saved.sound;
      setStatus(saved.sound ? ALERT_SETTINGS.soundOn : ALERT_SETTINGS.soundOff, 'ok');
    } catch (e) {
      this.#sound.checked = !sound;
      setStatus(`${ALERT_SETTINGS.soundFailed} ${errorText(e)}`, 'error');
    }
  }

  async #askDesktop(): Promise<void> {
    const state = await this.#alerts.askForDesktop();
    this.#showDesktop();
    const text = desktopText(state);
    if (text) setStatus(text, state === 'on' ? 'ok' : 'info');
    // The button went away with the question: keep focus in the section.
    if (this.#ask.hidden) this.#sound.focus();
  }

  #showDesktop(): void {
    const state = this.#alerts.desktop();
    this.#ask.hidden = state !== 'off';
    this.#desktopLine.textContent = desktopText(state);
    this.#desktopLine.hidden = state === 'off';
  }
}
