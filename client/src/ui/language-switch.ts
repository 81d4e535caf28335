// The language switch on every page: one link to the other language, written
// in that language and marked with its lang (the pattern Welsh public services
// use: "Cymraeg" on an English page, "English" on a Welsh one), so a screen
// reader says it in the right voice. Following it keeps the choice on this
// device and reloads the page in it; the address keeps its other parameters.
import { switchLanguage, language } from '../i18n/i18n.ts';
import { LANGUAGE_NAMES, LANGUAGES, type Language } from '../i18n/languages.ts';
import { LANGUAGE_PARAM } from '../../../server/wire/language-codes.ts';

/** The language the switch offers: the one the page is not in. */
export function otherLanguage(current: Language = language()): Language {
  return LANGUAGES.find((l) => l !== current) ?? current;
}

/**
 * The switch's address: this page's query with `lang` set. The fragment is left
 * out on purpose: it can hold a join token, which does not belong in a link
 * anyone can copy (the click keeps it: switchLanguage reloads this very address).
 */
export function switchHref(search: string, to: Language): string {
  const params = new URLSearchParams(search);
  params.set(LANGUAGE_PARAM, to);
  return `?${params.toString()}`;
}

/** Renders the switch into `root` (the page's `<nav id="language-switch">`); nothing without one. */
export function mountLanguageSwitch(root: HTMLElement | null = document.getElementById('language-switch')): HTMLAnchorElement | null {
  if (!root) return null;
  const to = otherLanguage();
  const link = root.ownerDocument.createElement('a');
  link.className = 'language-switch';
  link.href = switchHref(location.search, to);
  link.lang = to;
  link.hreflang = to;
  link.textContent = LANGUAGE_NAMES[to];
  link.addEventListener('click', (e) => {
    // A new tab or window (modifier keys, middle click) follows the href as it is.
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    switchLanguage(to);
  });
  root.replaceChildren(link);
  return link;
}
