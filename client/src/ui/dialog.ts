// Modal dialogs on the native <dialog>: it traps focus, closes on Escape and
// makes the rest of the page inert. What it does not do is put focus back
// where it was when the dialog closes: this does (or on a fallback, when the
// element that opened it has gone meanwhile).
import { h } from './dom.ts';

let seq = 0;

export interface Modal {
  readonly el: HTMLDialogElement;
  /** The dialog's heading (its accessible name). */
  readonly title: HTMLElement;
  readonly isOpen: boolean;
  /** Opens it (appended to the page if needed); focus goes to `focus`, or to its heading. Already open: only moves focus to `focus`, if given. */
  open(focus?: HTMLElement | null, fallback?: () => HTMLElement | null): void;
  close(): void;
  /** Closes it and takes it out of the page for good. */
  remove(): void;
}

export function modal(cls: string, onClose: () => void = () => undefined): Modal {
  const id = `dialog-title-${++seq}`;
  const title = h('h2', { id, tabindex: '-1' });
  const el = h('dialog', { class: `modal ${cls}`, 'aria-labelledby': id }, title);
  let opener: HTMLElement | null = null;
  let fallback: (() => HTMLElement | null) | undefined;
  el.addEventListener('close', () => {
    onClose();
    const back = opener?.isConnected ? opener : (fallback?.() ?? null);
    opener = null;
    back?.focus();
  });
  return {
    el,
    title,
    get isOpen() {
      return el.open;
    },
    open(focus, fb) {
      if (!el.isConnected) document.body.append(el);
      if (el.open) {
        focus?.focus();
        return;
      }
      opener = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
      fallback = fb;
      el.showModal();
      (focus ?? title).focus();
    },
    close() {
      if (el.open) el.close();
    },
    remove() {
      if (el.open) el.close();
      el.remove();
    },
  };
}
