// The console's first view: today's appointments, refreshed every 15 seconds
// and on request. Rendered with lit-html's keyed `repeat`, so an appointment's
// button stays the same element across refreshes and keeps keyboard focus.
import { html, nothing, render } from 'lit-html';
import { repeat } from 'lit-html/directives/repeat.js';
import type { ClinicianAppointmentSummary } from '../../../../server/wire/session.ts';
import { button, h, setStatus, showView } from '../dom.ts';
import { clockTime, longDay } from '../messages.ts';

const STATUS_TEXT: Record<ClinicianAppointmentSummary['status'], string> = {
  scheduled: 'Not started',
  live: 'In progress',
  ended: 'Ended',
};

const REFRESH_EVERY_MS = 15_000;

export interface DayListOptions {
  clinicianName: string;
  /**
   * Today's appointments, or null when they could not be loaded (the status
   * line says so). `background`: the 15 s refresh, which does not count as use
   * of the session (an unattended console still times out).
   */
  load(background: boolean): Promise<ClinicianAppointmentSummary[] | null>;
  open(id: string, patientName: string): void;
  signOut(): void;
}

export class DayList {
  readonly #opts: DayListOptions;
  readonly #list: HTMLElement;
  readonly #empty: HTMLElement;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(opts: DayListOptions) {
    this.#opts = opts;
    this.#list = h('ul', { class: 'appointments', 'aria-labelledby': 'list-heading' });
    this.#empty = h('p', { class: 'empty', hidden: '' }, 'You have no video appointments today.');
  }

  /** Shows the list, loads it, and refreshes it until stop(). */
  async show(): Promise<void> {
    const { clinicianName } = this.#opts;
    showView(
      'list',
      h('h1', { id: 'list-heading' }, "Today's appointments"),
      h('p', {}, `${clinicianName ? clinicianName + ', ' : ''}${longDay(new Date())}.`),
      this.#list,
      this.#empty,
      h('p', {}, button('Refresh the list', () => void this.refresh(true), 'secondary'), button('Sign out', () => this.#opts.signOut(), 'secondary')),
    );
    await this.refresh(false);
    this.#timer = setInterval(() => void this.refresh(false, true), REFRESH_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async refresh(announce: boolean, background = false): Promise<void> {
    const loaded = await this.#opts.load(background);
    if (!loaded || !this.#list.isConnected) return;
    const items = [...loaded].sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    render(repeat(items, (a) => a.id, (a) => this.#item(a)), this.#list);
    this.#empty.hidden = items.length > 0;
    const waiting = items.reduce((n, a) => n + a.waiting, 0);
    document.title = `${waiting ? `(${waiting} waiting) ` : ''}Today's appointments – Video consultation`;
    if (announce) setStatus(`The list is up to date. ${items.length} appointments, ${waiting} people waiting.`);
  }

  #item(a: ClinicianAppointmentSummary) {
    const facts = [`${clockTime(a.startsAt)}, ${a.durationMinutes} minutes`, STATUS_TEXT[a.status]];
    if (a.locked) facts.push('Locked');
    const present = a.present > 0 ? `, ${a.present} in the call` : '';
    return html`<li><p class="who"><strong>${a.patientName}</strong></p><p>${facts.join(' · ')}</p><p class=${a.waiting > 0 ? 'flag' : nothing}>${a.waiting} waiting${present}</p><button type="button" data-appointment=${a.id} @click=${() => this.#opts.open(a.id, a.patientName)}>Open ${a.patientName}</button></li>`;
  }
}
