// Tiny DOM helpers; the pages are plain HTML, no framework.
export function $<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
}

/**
 * Updates the page's live status region (announced by screen readers). With
 * show=false it is announced but not drawn, for when the view itself already
 * says the same thing on screen.
 */
export function setStatus(text: string, tone: 'info' | 'ok' | 'error' = 'info', show = true): void {
  const el = $('#status');
  say(el, text, tone);
  el.classList.toggle('sr-only', !show);
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
 * Replaces the page's current view (inside #app), records the phase on
 * <body data-phase> and moves focus to the new view's main heading.
 */
export function showView(phase: string, ...content: (Node | string)[]): HTMLElement {
  const section = h('section', { class: 'view' }, ...content);
  $('#app').replaceChildren(section);
  document.body.dataset.phase = phase;
  const heading = section.querySelector<HTMLElement>('h1');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
    document.title = `${heading.textContent ?? ''} – Video consultation`;
  }
  return section;
}

/** A button with its click handler. */
export function button(label: string, onClick: (ev: MouseEvent) => void, cls = ''): HTMLButtonElement {
  const b = h('button', cls ? { type: 'button', class: cls } : { type: 'button' }, label);
  b.addEventListener('click', onClick);
  return b;
}
