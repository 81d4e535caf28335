// The in-page arrival banner: "Jane Doe has arrived and is waiting. [Open]
// [Dismiss]". It sits outside #app, so it stays while the views change, and is
// a polite live region that is always in the page (a region added at the
// moment it speaks is often not announced). A line goes when its person is no
// longer waiting, is opened, or is dismissed; focus on a line that goes moves
// to the next line's button, or to the view's heading, never to the page.
import { html, nothing, render } from 'lit-html';
import { repeat } from 'lit-html/directives/repeat.js';
import { $, h } from '../dom.ts';
import { ARRIVAL } from '../messages.ts';

export interface BannerLine {
  arrivalId: string;
  appointmentId: string;
  name: string;
  /** Whose patient, when not the viewer's own (coordinators). */
  clinicianName: string | null;
  /** Whether "Open" is offered (own patients only). */
  canOpen: boolean;
}

/** Lines kept at most (the waiting area lists everyone). */
const MAX_LINES = 5;

export class ArrivalBanner {
  readonly element: HTMLElement;
  readonly #list: HTMLElement;
  readonly #open: (line: BannerLine) => void;
  #lines: BannerLine[] = [];

  constructor(open: (line: BannerLine) => void) {
    this.#open = open;
    this.#list = h('ul', { class: 'arrival-lines' });
    this.element = h('div', { id: 'arrivals', class: 'arrival-banner', role: 'status', 'aria-live': 'polite', hidden: '' }, this.#list);
  }

  /** Puts the banner on the page, just above the view. */
  mount(): this {
    if (!this.element.isConnected) $('#app').before(this.element);
    return this;
  }

  add(line: BannerLine): void {
    this.#lines = [line, ...this.#lines.filter((l) => l.arrivalId !== line.arrivalId)].slice(0, MAX_LINES);
    this.#render();
  }

  /** Keeps only the lines of people still waiting (by arrival id). */
  keepOnly(waiting: ReadonlySet<string>): void {
    if (this.#lines.every((l) => waiting.has(l.arrivalId))) return;
    this.#remove((l) => !waiting.has(l.arrivalId));
  }

  /** Drops the lines of one appointment (it was opened). */
  forget(appointmentId: string): void {
    this.#remove((l) => l.appointmentId === appointmentId);
  }

  clear(): void {
    this.#remove(() => true);
  }

  get lines(): readonly BannerLine[] {
    return this.#lines;
  }

  #remove(gone: (l: BannerLine) => boolean): void {
    const active = document.activeElement;
    const hadFocus = active instanceof HTMLElement && this.#list.contains(active);
    const index = hadFocus ? this.#lines.findIndex((l) => l.arrivalId === active.closest<HTMLElement>('[data-arrival]')?.dataset.arrival) : -1;
    this.#lines = this.#lines.filter((l) => !gone(l));
    this.#render();
    if (!hadFocus || this.#list.contains(document.activeElement)) return;
    const items = [...this.#list.querySelectorAll<HTMLElement>('li')];
    const next = items[Math.min(Math.max(index, 0), items.length - 1)]?.querySelector<HTMLElement>('button');
    (next ?? document.querySelector<HTMLElement>('#app h1'))?.focus();
  }

  #render(): void {
    this.element.hidden = this.#lines.length === 0;
    render(
      repeat(
        this.#lines,
        (l) => l.arrivalId,
        (l) =>
          html`<li data-arrival=${l.arrivalId}><span>${ARRIVAL.arrived(l.name, l.clinicianName)}</span> ${l.canOpen
            ? html`<button type="button" data-action="open" @click=${() => this.#open(l)}>${ARRIVAL.open}<span class="sr-only"> ${l.name}</span></button>`
            : nothing}<button type="button" class="secondary" data-action="dismiss" @click=${() => this.#remove((x) => x.arrivalId === l.arrivalId)}>${ARRIVAL.dismiss}<span class="sr-only"> ${l.name}</span></button></li>`,
      ),
      this.#list,
    );
  }
}
