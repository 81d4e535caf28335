// The console's first view: today's appointments, and above them the live
// waiting area and the alert settings (the page's panels). Arrivals come pushed
// on the staff socket: the list itself is refreshed only slowly (for the
// schedule: new or moved appointments), on request, and soon after the
// clinician's own waiting room changes (for its counts). Rendered with
// lit-html's keyed `repeat`, so an appointment's button stays the same element
// across refreshes and keeps keyboard focus.
import { html, nothing, render } from 'lit-html';
import { repeat } from 'lit-html/directives/repeat.js';
import type { ClinicianAppointmentSummary } from '../../../../server/wire/session.ts';
import { button, h, setStatus, showView } from '../dom.ts';
import { CLINIC_CONSOLE, clockTime, longDay } from '../messages.ts';
import { t } from '../../i18n/i18n.ts';

/** The schedule changes rarely: arrivals do not wait for this. */
const REFRESH_EVERY_MS = 5 * 60_000;
/** Changes of the waiting room come in bursts (a family arriving together): one reload for them. */
const SOON_MS = 1_000;

export interface DayListOptions {
  clinicianName: string;
  /**
   * Today's appointments, or null when they could not be loaded (the status
   * line says so). `background`: the page's own refresh, which does not count
   * as use of the session (an unattended console still times out).
   */
  load(background: boolean): Promise<ClinicianAppointmentSummary[] | null>;
  open(id: string, patientName: string): void;
  signOut(): void;
  /** Shown between the heading and the appointments (the waiting area, running late, alert settings). */
  panels?: HTMLElement[];
  /** Sets the tab title (the page knows who waits from the live view; until it is in, from the list's counts). */
  title(waitingInList: number): void;
}

export class DayList {
  readonly #opts: DayListOptions;
  readonly #list: HTMLElement;
  readonly #empty: HTMLElement;
  #timer: ReturnType<typeof setInterval> | undefined;
  #soon: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: DayListOptions) {
    this.#opts = opts;
    this.#list = h('ul', { class: 'appointments', 'aria-labelledby': 'appointments-heading' });
    this.#empty = h('p', { class: 'empty', hidden: '' }, t('console:day.none'));
  }

  /** Shows the list, loads it, and refreshes it until stop(). */
  async show(): Promise<void> {
    const { clinicianName } = this.#opts;
    showView(
      'list',
      h('h1', { id: 'list-heading' }, t('console:day.heading')),
      h('p', {}, clinicianName ? t('console:day.namedDate', { name: clinicianName, date: longDay(new Date()) }) : t('console:day.date', { date: longDay(new Date()) })),
      ...(this.#opts.panels ?? []),
      h('h2', { id: 'appointments-heading' }, CLINIC_CONSOLE.appointments),
      this.#list,
      this.#empty,
      h('p', {}, button(t('console:day.refresh'), () => void this.refresh(true), 'secondary'), button(t('console:account.signOut'), () => this.#opts.signOut(), 'secondary')),
    );
    await this.refresh(false);
    this.#timer = setInterval(() => void this.refresh(false, true), REFRESH_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#soon);
  }

  /** A quiet reload shortly (the clinician's own waiting room changed: the counts follow). */
  refreshSoon(): void {
    if (this.#timer === undefined || this.#soon !== undefined) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      if (this.#timer !== undefined) void this.refresh(false, true);
    }, SOON_MS);
  }

  async refresh(announce: boolean, background = false): Promise<void> {
    const loaded = await this.#opts.load(background);
    if (!loaded || !this.#list.isConnected) return;
    const items = [...loaded].sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    render(repeat(items, (a) => a.id, (a) => this.#item(a)), this.#list);
    this.#empty.hidden = items.length > 0;
    const waiting = items.reduce((n, a) => n + a.waiting, 0);
    this.#opts.title(waiting);
    if (announce) {
      setStatus(
        t('console:day.upToDate', { appointments: t('console:day.appointments', { count: items.length }), waiting: t('console:day.peopleWaiting', { count: waiting }) }),
      );
    }
  }

  #item(a: ClinicianAppointmentSummary) {
    const facts = [t('console:day.slot', { time: clockTime(a.startsAt), count: a.durationMinutes }), t(`console:day.status.${a.status}`)];
    if (a.locked) facts.push(t('console:day.locked'));
    const people = a.present > 0 ? t('console:day.waitingPresent', { waiting: a.waiting, present: a.present }) : t('console:day.waiting', { waiting: a.waiting });
    return html`<li><p class="who"><strong>${a.patientName}</strong></p><p>${facts.join(' · ')}</p><p class=${a.waiting > 0 ? 'flag' : nothing}>${people}</p><button type="button" data-appointment=${a.id} @click=${() => this.#opts.open(a.id, a.patientName)}>${t('console:day.open', { name: a.patientName })}</button></li>`;
  }
}
