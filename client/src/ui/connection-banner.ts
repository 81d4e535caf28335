// The line above every view that says what the connection is doing while the
// page puts it right by itself: reconnecting, the service restarting, and,
// only when that has not worked for a long while, one "Reconnect" button.
// It sits outside #app, so it stays while the views change underneath. Its
// text is a polite live region that is always in the page (a region added at
// the moment it speaks is often not announced).
import type { ConnectionState } from '../model/consultation.ts';
import { $, h } from './dom.ts';
import { CONNECTION_BANNER, RECONNECT_BUTTON } from './messages.ts';

export class ConnectionBanner {
  readonly element: HTMLElement;
  readonly #text: HTMLElement;
  readonly #button: HTMLButtonElement;
  #state: ConnectionState = 'connected';

  /** `rejoin`: what the Reconnect button does (the open consultation's rejoin()). */
  constructor(rejoin: () => void) {
    this.#text = h('div', { role: 'status', 'aria-live': 'polite' });
    this.#button = h('button', { type: 'button', hidden: '' }, RECONNECT_BUTTON);
    this.#button.addEventListener('click', () => {
      this.show('reconnecting');
      rejoin();
    });
    this.element = h('div', { id: 'connection', 'data-connection': 'connected' }, this.#text, this.#button);
  }

  /** Puts the banner on the page, between the status line and the view. */
  mount(): this {
    if (!this.element.isConnected) $('#app').before(this.element);
    return this;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Shows what a connection state means; 'connected' clears it. Returns whether there was trouble before. */
  show(state: ConnectionState): boolean {
    const before = this.#state;
    this.#state = state;
    this.element.dataset.connection = state;
    if (state === 'connected') {
      this.#clear();
      return before !== 'connected';
    }
    this.element.classList.add('waiting');
    if (this.#text.textContent !== CONNECTION_BANNER[state]) this.#text.textContent = CONNECTION_BANNER[state];
    if (state === 'lost') this.#text.dataset.tone = 'error';
    else delete this.#text.dataset.tone;
    const offer = state === 'lost';
    if (offer && this.#button.hidden) {
      this.#button.hidden = false;
      this.#button.focus();
    } else if (!offer) this.#hideButton();
    return before !== 'connected';
  }

  /** The consultation is over (ended, left, failed): nothing to say about its connection. */
  reset(): void {
    this.#state = 'connected';
    this.element.dataset.connection = 'connected';
    this.#clear();
  }

  #clear(): void {
    this.element.classList.remove('waiting');
    this.#text.textContent = '';
    delete this.#text.dataset.tone;
    this.#hideButton();
  }

  #hideButton(): void {
    if (this.#button.hidden) return;
    const hadFocus = document.activeElement === this.#button;
    this.#button.hidden = true;
    // Focus must not fall to the page: back to the view's heading.
    if (hadFocus) document.querySelector<HTMLElement>('#app h1')?.focus();
  }
}
