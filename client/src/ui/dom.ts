// Tiny DOM helpers; the pages are plain HTML, no framework.
import { t } from '../i18n/i18n.ts';

export function $<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
}

/**
 * Updates the page's live status region (announced by screen readers). With
 * show=false it is announced but not drawn, for when the view itself already
 * says the same thing on screen. The same text twice in a row is not written
 * again (some screen readers would say it twice); its tone and visibility still follow.
 */
export function setStatus(text: string, tone: 'info' | 'ok' | 'error' = 'info', show = true): void {
  const el = $('#status');
  if (el.textContent !== text) say(el, text, tone);
  else el.dataset.tone = tone;
  el.classList.toggle('sr-only', !show);
}

/** Empties the status region: the new view's focused heading says what happens now. */
export function clearStatus(): void {
  const el = $('#status');
  el.textContent = '';
  el.removeAttribute('data-tone');
}

/** Puts a message in a status element; the tone (styles.css) colours it, none is plain. */
export function say(el: HTMLElement, text: string, tone?: 'info' | 'ok' | 'error'): void {
  el.textContent = text;
  if (tone) el.dataset.tone = tone;
  else el.removeAttribute('data-tone');
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

/**
 * A translated sentence with elements in it: `text` holds each part's value
 * (`t(key, { phone: PART('phone') })`), split out and replaced by its node, so
 * the words stay in the catalogue and the element (a link) stays an element.
 */
export function sentence(text: string, parts: Record<string, Node>): (Node | string)[] {
  const out: (Node | string)[] = [];
  for (const [i, piece] of text.split(PART_MARK).entries()) {
    if (i % 2 === 0) {
      if (piece) out.push(piece);
    } else {
      const node = parts[piece];
      if (node) out.push(node);
    }
  }
  return out;
}

const PART_MARK = '\u2063';

/** The placeholder value that `sentence` replaces with the part named `name`. */
export const PART = (name: string): string => `${PART_MARK}${name}${PART_MARK}`;

/**
 * Focuses a heading for screen readers (it is read out as the new view's
 * name) without making it a tab stop once focus moves on. styles.css draws no
 * ring around a heading focused this way: it is not a control.
 */
export function focusHeading(heading: HTMLElement): void {
  heading.tabIndex = -1;
  heading.addEventListener('blur', () => heading.removeAttribute('tabindex'), { once: true });
  heading.focus();
}

/**
 * Replaces the page's current view (inside #app), records the phase on
 * <body data-phase> and moves focus to the new view's main heading.
 */
export function showView(phase: string, ...content: (Node | string)[]): HTMLElement {
  const section = h('section', { class: 'view' }, ...content);
  $('#app').replaceChildren(section);
  document.body.dataset.phase = phase;
  const heading = section.querySelector<HTMLElement>('h1');
  if (heading) {
    focusHeading(heading);
    document.title = t('join:page.documentTitle', { heading: heading.textContent ?? '' });
  }
  return section;
}

/** A button with its click handler. */
export function button(label: string, onClick: (ev: MouseEvent) => void, cls = ''): HTMLButtonElement {
  const b = h('button', cls ? { type: 'button', class: cls } : { type: 'button' }, label);
  b.addEventListener('click', onClick);
  return b;
}
