// Tiny DOM helpers; the pages are plain HTML, no framework.
export function $<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
}

/** Updates the page's live status region (announced by screen readers). */
export function setStatus(text: string, tone: 'info' | 'ok' | 'error' = 'info'): void {
  const el = $('#status');
  el.textContent = text;
  el.dataset.tone = tone;
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
