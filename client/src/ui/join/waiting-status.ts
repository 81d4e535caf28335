// The waiting room's honest status: whether someone who can let the patient in
// knows they are here, whether the clinician is running late, and the
// clinic's own message and phone number. Updated in place from each pushed
// view; a change is announced once, politely, through the page's one live
// region (#status), and nothing is announced when nothing changed.
import type { ConsultationView } from '../../../../server/wire/participants.ts';
import { h, setStatus } from '../dom.ts';
import { clinicianAwareText, clinicMessageHeading, HELP_CALL, RUNNING_ON_TIME, runningLateText } from '../messages.ts';
import { phoneLine } from './clinic-details.ts';

interface Shown {
  aware: boolean;
  late: number | undefined;
  message: string | undefined;
  phone: string | undefined;
}

export class WaitingStatus {
  readonly #aware = h('p', { class: 'aware' });
  readonly #late = h('p', { class: 'late' });
  /** The status lines, near the top. */
  readonly element = h('div', { class: 'waiting-status' }, this.#aware, this.#late);
  /** The clinic's message and phone number, lower down. */
  readonly clinicElement = h('div', { class: 'clinic-details' });
  #shown: Shown | null = null;

  /** The status lines, for the page's first announcement ("" when there is nothing to add). */
  get summary(): string {
    return [this.#aware.textContent, this.#late.hidden ? '' : this.#late.textContent].filter(Boolean).join(' ');
  }

  /** Shows the view's status; announces what changed since the last view (never the first: the page says that). */
  update(view: ConsultationView): void {
    const next: Shown = {
      aware: view.clinicianAware,
      late: view.runningLateMinutes,
      message: view.clinic?.waitingMessage,
      phone: view.clinic?.phone,
    };
    const prev = this.#shown;
    this.#shown = next;
    const said: string[] = [];
    if (!prev || prev.aware !== next.aware) {
      this.#aware.textContent = clinicianAwareText(next.aware);
      if (prev) said.push(this.#aware.textContent);
    }
    if (!prev || prev.late !== next.late) {
      this.#late.hidden = !next.late;
      this.#late.textContent = next.late ? runningLateText(next.late) : '';
      if (prev) said.push(next.late ? this.#late.textContent : RUNNING_ON_TIME);
    }
    if (!prev || prev.message !== next.message || prev.phone !== next.phone) {
      const phone = phoneLine(next.phone, HELP_CALL);
      this.clinicElement.replaceChildren(
        ...(next.message
          ? [h('div', { class: 'clinic-message' }, h('h2', {}, clinicMessageHeading(view.clinic?.name)), h('p', { class: 'notice-text' }, next.message))]
          : []),
        ...(phone ? [phone] : []),
      );
    }
    if (said.length) setStatus(said.join(' '), 'info', false);
  }
}
