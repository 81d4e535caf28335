// "Manage the consultation": lock it (nobody new joins, not even the waiting
// room) or unlock it, and end it for everyone after a confirmation.
import { button, h, setStatus } from '../dom.ts';
import type { Act } from './lobby.ts';
import { t } from '../../i18n/i18n.ts';

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
    this.#lock = button(t('console:manage.lock'), () => void this.#toggleLock(), 'secondary');
    this.#end = button(t('console:manage.end'), () => this.#openConfirm(), 'danger');
    this.#end.setAttribute('aria-expanded', 'false');
    this.#end.setAttribute('aria-controls', 'end-confirm');
    this.#confirmBtn = button(t('console:manage.confirmEnd'), () => void this.#endNow(), 'danger');
    this.#confirm = h(
      'div',
      { id: 'end-confirm', class: 'confirm', hidden: '' },
      h('p', {}, t('console:manage.confirmText')),
      this.#confirmBtn,
      button(t('console:manage.keepGoing'), () => this.#closeConfirm(), 'secondary'),
    );
    this.element = h(
      'section',
      { 'aria-labelledby': 'manage-heading' },
      h('h2', { id: 'manage-heading' }, t('console:manage.heading')),
      this.#state,
      this.#lock,
      this.#end,
      this.#confirm,
    );
  }

  update(locked: boolean): void {
    this.#locked = locked;
    this.#lock.textContent = locked ? t('console:manage.unlock') : t('console:manage.lock');
    this.#state.textContent = locked
      ? t('console:manage.lockedState')
      : t('console:manage.openState');
  }

  async #toggleLock(): Promise<void> {
    const locked = !this.#locked;
    await this.#act(
      'consultation:lock',
      { locked },
      locked ? t('console:manage.locked') : t('console:manage.unlocked'),
      locked ? t('console:manage.lockFailed') : t('console:manage.unlockFailed'),
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
    setStatus(t('console:manage.ending'));
    await this.#act('consultation:end', {}, t('console:manage.ended'), t('console:manage.endFailed'));
  }
}
