// "Leave" for a clinician asks first: step out (the patient is told and can
// keep waiting; the consultation carries on), or end it for everyone. A native
// modal <dialog> (ui/dialog.ts): focus goes to its heading, Tab stays inside,
// Escape or Cancel closes it and focus returns to the Leave button.
import { modal, type Modal } from '../dialog.ts';
import { button, h } from '../dom.ts';
import { LEAVE_DIALOG } from '../messages.ts';

export interface LeaveChoices {
  stepOut(): void;
  endForEveryone(): void;
}

export class LeaveDialog {
  readonly #modal: Modal;

  constructor(choices: LeaveChoices) {
    this.#modal = modal('leave-dialog');
    this.#modal.title.textContent = LEAVE_DIALOG.title;
    const pick = (fn: () => void) => () => {
      this.#modal.close();
      fn();
    };
    const stepOut = button(LEAVE_DIALOG.stepOut, pick(() => choices.stepOut()));
    stepOut.setAttribute('aria-describedby', 'leave-step-out-text');
    const end = button(LEAVE_DIALOG.end, pick(() => choices.endForEveryone()), 'danger');
    end.setAttribute('aria-describedby', 'leave-end-text');
    this.#modal.el.append(
      h('div', { class: 'leave-choice' }, stepOut, h('p', { id: 'leave-step-out-text', class: 'hint' }, LEAVE_DIALOG.stepOutText)),
      h('div', { class: 'leave-choice' }, end, h('p', { id: 'leave-end-text', class: 'hint' }, LEAVE_DIALOG.endText)),
      h('p', {}, button(LEAVE_DIALOG.cancel, () => this.#modal.close(), 'secondary')),
    );
  }

  /** `fallback`: where focus goes when the Leave button is gone by the time it closes. */
  open(fallback?: () => HTMLElement | null): void {
    this.#modal.open(null, fallback);
  }

  get isOpen(): boolean {
    return this.#modal.isOpen;
  }

  remove(): void {
    this.#modal.remove();
  }
}
