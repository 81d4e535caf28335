// In a consultation: how many of the clinician's other patients are waiting
// and for how long, and "End and next patient" (one click: this consultation
// ends for everyone, the longest-waiting patient's opens). Not a live region:
// arrivals are announced by the banner; this line only keeps count.
import type { QueuedAppointment } from '../../model/waiting-queue.ts';
import { queueSummary } from '../../model/waiting-queue.ts';
import { button, h } from '../dom.ts';
import { NEXT_PATIENT } from '../messages.ts';

const TICK_MS = 30_000;

export class NextPatientBar {
  readonly element: HTMLElement;
  readonly #summary: HTMLElement;
  readonly #hint: HTMLElement;
  readonly #button: HTMLButtonElement;
  #queue: readonly QueuedAppointment[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(next: (head: QueuedAppointment) => void) {
    this.#summary = h('p', { class: 'queue-summary' });
    this.#hint = h('p', { class: 'hint', id: 'next-patient-hint' });
    this.#button = button(NEXT_PATIENT.button, () => {
      const head = this.#queue[0];
      if (head) next(head);
    });
    this.#button.setAttribute('aria-describedby', 'next-patient-hint');
    this.element = h('div', { class: 'next-patient', hidden: '' }, this.#summary, this.#button, this.#hint);
    this.#timer = setInterval(() => this.#render(), TICK_MS);
  }

  /** The queue (longest wait first); null while the live view is not available (the bar hides). */
  update(queue: readonly QueuedAppointment[] | null): void {
    this.element.hidden = queue === null;
    this.#queue = queue ?? [];
    this.#render();
  }

  /** While ending and moving on: one click is one move. */
  set busy(b: boolean) {
    this.#button.disabled = b;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #render(): void {
    const { count, longestMinutes } = queueSummary(this.#queue, Date.now());
    this.#summary.textContent = count === 0 ? NEXT_PATIENT.none : NEXT_PATIENT.summary(count, longestMinutes * 60_000);
    const head = this.#queue[0];
    const hadFocus = document.activeElement === this.#button;
    this.#button.hidden = !head;
    this.#hint.hidden = !head;
    this.#hint.textContent = head ? NEXT_PATIENT.hint(head.name) : '';
    if (hadFocus && !head) this.#summary.closest<HTMLElement>('.view')?.querySelector<HTMLElement>('h1')?.focus();
  }
}
