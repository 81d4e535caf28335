// "Manage the consultation": lock it (nobody new joins, not even the waiting
// room) or unlock it, and end it for everyone after a confirmation.
import { button, h, setStatus } from '../dom.ts';
import type { Act } from './lobby.ts';

export class Manage {
  readonly element: HTMLElement;
  readonly #act: Act;
  readonly #state: HTMLElement;
  readonly #lock: HTMLButtonElement;
  readonly #end: HTMLButtonElement;
  readonly #confirm: HTMLElement;
  readonly #confirmBtn: HTMLButtonElement;
  #locked = false;

  constructor(act: Act) {
    this.#act = act;
    this.#state = h('p', {});
    this.#lock = button('Lock consultation', () => void this.#toggleLock(), 'secondary');
    this.#end = button('End consultation', () => this.#openConfirm(), 'danger');
    this.#end.setAttribute('aria-expanded', 'false');
    this.#end.setAttribute('aria-controls', 'end-confirm');
    this.#confirmBtn = button('Are you sure? End for everyone', () => void this.#endNow(), 'danger');
    this.#confirm = h(
      'div',
      { id: 'end-confirm', class: 'confirm', hidden: '' },
      h('p', {}, 'This ends the video call for everyone, and the links stop working.'),
      this.#confirmBtn,
      button('Keep the consultation going', () => this.#closeConfirm(), 'secondary'),
    );
    this.element = h(
      'section',
      { 'aria-labelledby': 'manage-heading' },
      h('h2', { id: 'manage-heading' }, 'Manage the consultation'),
      this.#state,
      this.#lock,
      this.#end,
      this.#confirm,
    );
  }

  update(locked: boolean): void {
    this.#locked = locked;
    this.#lock.textContent = locked ? 'Unlock consultation' : 'Lock consultation';
    this.#state.textContent = locked
      ? 'Locked: nobody new can join, not even into the waiting room.'
      : 'Open: people with a link can join the waiting room.';
  }

  async #toggleLock(): Promise<void> {
    const locked = !this.#locked;
    await this.#act(
      'consultation:lock',
      { locked },
      locked ? 'The consultation is locked: nobody new can join.' : 'The consultation is unlocked: people with a link can join the waiting room.',
      locked ? 'We could not lock the consultation.' : 'We could not unlock the consultation.',
    );
  }

  #openConfirm(): void {
    this.#confirm.hidden = false;
    this.#end.setAttribute('aria-expanded', 'true');
    this.#confirmBtn.focus();
  }

  #closeConfirm(): void {
    this.#confirm.hidden = true;
    this.#end.setAttribute('aria-expanded', 'false');
    this.#end.focus();
  }

  async #endNow(): Promise<void> {
    setStatus('Ending the consultation…');
    await this.#act('consultation:end', {}, 'The consultation has ended.', 'We could not end the consultation.');
  }
}
