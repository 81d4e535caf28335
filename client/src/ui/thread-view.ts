// The chat panel both pages use: the thread as a log (new entries are read out
// by screen readers), each file with a thumbnail that opens the viewer, and a
// message box (Enter sends, Shift+Enter starts a new line). On a narrow screen
// the page can fold it behind a "Chat" button that counts unread messages.
import type { ThreadItemView } from '../../../server/wire/thread.ts';
import { button, h, setStatus } from './dom.ts';
import { describeFile, isImage, removedText } from './file-viewer.ts';
import { clockTime, sharingProblem } from './messages.ts';
import { t } from '../i18n/i18n.ts';
import { ClientError } from '../net/rpc.ts';
import type { Thread } from '../model/thread.ts';

export interface ThreadViewOptions {
  thread: Thread;
  /** A participant's name, for "to" lines. */
  nameOf(participantId: string): string;
  openFile(item: ThreadItemView, thumb: HTMLElement): void;
  /** For the person a photo request is addressed to: offer to answer it. */
  answerRequest?(item: ThreadItemView): void;
  /** Buttons under the message box (Share a file, Send a photo). */
  actions?: HTMLElement[];
  /** Fold behind a "Chat" button on narrow screens. */
  collapsible?: boolean;
}

let seq = 0;

export class ThreadView {
  readonly element: HTMLElement;
  /** The "Chat" button (unread count) when collapsible; the page places it. */
  readonly toggle: HTMLButtonElement | null = null;
  readonly #o: ThreadViewOptions;
  readonly #list = h('ol', { class: 'thread-items' });
  readonly #empty = h('p', { class: 'empty' }, t('shared:chat.empty'));
  readonly #panel: HTMLElement;
  readonly #log: HTMLElement;
  readonly #heading: HTMLElement;
  readonly #text: HTMLTextAreaElement;
  readonly #send: HTMLButtonElement;
  readonly #error = h('p', { class: 'flag', role: 'alert', hidden: '' });
  readonly #badge = h('span', { class: 'badge', hidden: '' });
  readonly #rows = new Map<string, { li: HTMLElement; signature: string }>();
  readonly #off: () => void;
  #unread = 0;

  constructor(o: ThreadViewOptions) {
    this.#o = o;
    const n = ++seq;
    const headingId = `chat-heading-${n}`;
    const textId = `chat-text-${n}`;
    this.#heading = h('h2', { id: headingId, tabindex: '-1' }, t('shared:chat.heading'));
    this.#text = h('textarea', { id: textId, rows: '2', autocomplete: 'off' });
    this.#send = h('button', { type: 'submit' }, t('shared:chat.send'));
    const form = h(
      'form',
      { class: 'compose' },
      h('label', { for: textId }, t('shared:chat.label')),
      this.#text,
      h('div', { class: 'compose-actions' }, this.#send, ...(o.actions ?? [])),
      this.#error,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.#submit();
    });
    this.#text.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        void this.#submit();
      }
    });
    this.#text.addEventListener('input', () => (this.#error.hidden = true));
    // Focusable: it scrolls, and keyboard users must be able to scroll it too.
    const log = h('div', { class: 'thread', role: 'log', 'aria-label': t('shared:chat.messages'), tabindex: '0' }, this.#list, this.#empty);
    this.#log = log;
    this.#panel = h('div', { class: 'chat-panel', id: `chat-panel-${n}` }, this.#heading, log, form);
    this.element = h('section', { class: 'chat', 'aria-labelledby': headingId }, this.#panel);
    if (o.collapsible) {
      const toggle = h('button', { type: 'button', class: 'secondary chat-toggle', 'aria-controls': this.#panel.id, 'aria-expanded': 'false' }, t('shared:chat.toggle'), this.#badge);
      toggle.addEventListener('click', () => this.#setOpen(this.#panel.dataset.collapsed !== undefined));
      this.toggle = toggle;
      this.#panel.dataset.collapsed = '';
    }
    this.#off = o.thread.subscribe((c) => {
      if ('reset' in c) this.#renderAll();
      else this.#arrived(c.item, c.live);
    });
    this.#text.maxLength = o.thread.limits.maxTextLength;
    this.#renderAll();
  }

  /** Stop following the thread (the view is being thrown away). */
  detach(): void {
    this.#off();
  }

  /** Where focus goes back to when a dialog opened from the chat closes. */
  get messageBox(): HTMLElement {
    return this.#text;
  }

  get #visible(): boolean {
    return typeof this.#panel.checkVisibility === 'function' ? this.#panel.checkVisibility() : this.#panel.offsetParent !== null;
  }

  #setOpen(open: boolean): void {
    if (open) delete this.#panel.dataset.collapsed;
    else this.#panel.dataset.collapsed = '';
    this.toggle?.setAttribute('aria-expanded', String(open));
    if (open) {
      this.#setUnread(0);
      this.#log.scrollTop = this.#log.scrollHeight;
      this.#heading.focus();
    }
  }

  #setUnread(n: number): void {
    this.#unread = n;
    this.#badge.hidden = n === 0;
    if (n === 0) this.#badge.replaceChildren();
    else this.#badge.replaceChildren(String(n), h('span', { class: 'sr-only' }, ` ${t('shared:chat.unread', { count: n })}`));
  }

  async #submit(): Promise<void> {
    const text = this.#text.value.trim();
    if (!text || this.#send.disabled) return;
    this.#send.disabled = true;
    try {
      await this.#o.thread.send(text);
      this.#text.value = '';
      this.#log.scrollTop = this.#log.scrollHeight;
      this.#error.hidden = true;
    } catch (e) {
      this.#error.textContent = t('shared:chat.notSent', { reason: e instanceof ClientError ? sharingProblem(e.code, e.message) : t('shared:tryAgain') });
      this.#error.hidden = false;
    } finally {
      this.#send.disabled = false;
    }
  }

  #arrived(item: ThreadItemView, live: boolean): void {
    this.#renderAll();
    const fromOther = item.from.id !== this.#o.thread.selfId;
    // Not on the page at all (the waiting room shows its own notes): nothing to count.
    if (!live || !fromOther || !this.element.isConnected) return;
    // The log reads it out when it is on screen; folded away, count it and say so.
    if (!this.#visible) {
      this.#setUnread(this.#unread + 1);
      const words = { name: item.from.name, summary: this.#summary(item) };
      setStatus(item.kind === 'file' ? t('shared:chat.newFile', words) : t('shared:chat.newMessage', words));
    }
  }

  #summary(item: ThreadItemView): string {
    if (item.kind === 'file') return item.file?.name ?? t('shared:chat.aFile');
    if (item.kind === 'photo-request') return t('shared:chat.asksForPhoto');
    return item.text ?? '';
  }

  /** Keyed: unchanged entries keep their elements (thumbnails, focus). */
  #renderAll(): void {
    // Follow new entries, unless the person has scrolled back to read earlier ones.
    const log = this.#log;
    const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
    this.#text.maxLength = this.#o.thread.limits.maxTextLength;
    const items = this.#o.thread.items;
    const answered = new Set(items.filter((i) => i.kind === 'file' && i.requestId).map((i) => i.requestId!));
    const keep = new Set(items.map((i) => i.id));
    for (const [id, row] of this.#rows) {
      if (!keep.has(id)) {
        row.li.remove();
        this.#rows.delete(id);
      }
    }
    items.forEach((item, i) => {
      const signature = item.kind === 'photo-request' ? String(answered.has(item.id)) : '';
      let row = this.#rows.get(item.id);
      if (!row || row.signature !== signature) {
        const li = this.#render(item, answered.has(item.id));
        row?.li.replaceWith(li);
        row = { li, signature };
        this.#rows.set(item.id, row);
      }
      if (this.#list.children[i] !== row.li) this.#list.insertBefore(row.li, this.#list.children[i] ?? null);
    });
    this.#empty.hidden = items.length > 0;
    if (atEnd) log.scrollTop = log.scrollHeight;
  }

  #render(item: ThreadItemView, answered: boolean): HTMLElement {
    const self = this.#o.thread.selfId;
    const mine = item.from.id === self;
    // A photo request says whom it asks in its own words.
    const to = item.to && item.kind !== 'photo-request' ? (item.to === self ? t('shared:chat.toYouOnly') : t('shared:chat.toOnly', { name: this.#o.nameOf(item.to) })) : '';
    const meta = h(
      'p',
      { class: 'meta' },
      h('span', { class: 'from' }, mine ? t('shared:chat.you') : item.from.name),
      ...(to ? [' ', h('span', { class: 'to' }, to)] : []),
      ' ',
      h('time', { datetime: item.at }, clockTime(item.at)),
    );
    const li = h('li', { class: mine ? 'msg mine' : 'msg', 'data-item-id': item.id, 'data-kind': item.kind }, meta);
    if (item.kind === 'text') li.append(h('p', { class: 'text' }, item.text ?? ''));
    else if (item.kind === 'photo-request') li.append(...this.#request(item, answered));
    else if (item.file) li.append(...this.#file(item));
    return li;
  }

  #request(item: ThreadItemView, answered: boolean): Node[] {
    const self = this.#o.thread.selfId;
    const forMe = item.to === self;
    const parts: Node[] = [h('p', { class: 'text' }, requestText(item.from.id === self ? null : item.from.name, forMe ? null : item.to ? this.#o.nameOf(item.to) : undefined))];
    if (answered) parts.push(h('p', { class: 'note' }, forMe ? t('shared:chat.request.youSent') : t('shared:chat.request.received')));
    else if (forMe && this.#o.answerRequest) parts.push(button(t('shared:chat.request.answer'), () => this.#o.answerRequest?.(item)));
    return parts;
  }

  #file(item: ThreadItemView): Node[] {
    const f = item.file!;
    const open = h('button', { type: 'button', class: isImage(f) ? 'thumb' : 'thumb doc' });
    const label = h('span', { class: 'thumb-label' }, t('shared:chat.openFile', { name: f.name }));
    if (isImage(f)) {
      const img = h('img', { alt: '' });
      img.addEventListener('load', () => this.#o.thread.viewed(item));
      img.addEventListener('error', () => img.replaceWith(h('span', { class: 'thumb-none', 'aria-hidden': 'true' }, t('shared:chat.noPreview'))));
      open.append(img, label);
      this.#o.thread.objectUrl(f.id).then(
        (url) => (img.src = url),
        () => img.replaceWith(h('span', { class: 'thumb-none', 'aria-hidden': 'true' }, t('shared:chat.previewUnavailable'))),
      );
    } else {
      open.append(h('span', { class: 'thumb-none', 'aria-hidden': 'true' }, t('shared:chat.pdf')), label);
    }
    open.addEventListener('click', () => this.#o.openFile(item, open));
    return [open, h('p', { class: 'file-meta' }, `${describeFile(f)}. ${removedText(f)}`)];
  }
}

/**
 * "Dr Patel asked you for a photo.": `from` null is the reader; `to` null is
 * the reader, undefined nobody in particular.
 */
function requestText(from: string | null, to: string | null | undefined): string {
  if (from === null) return to ? t('shared:chat.request.youAsked', { name: to }) : t('shared:chat.request.youAskedAnyone');
  if (to === null) return t('shared:chat.request.askedYou', { from });
  return to ? t('shared:chat.request.asked', { from, name: to }) : t('shared:chat.request.askedAnyone', { from });
}
