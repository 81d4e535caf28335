// The page's language and its words: chosen once as the page loads (so module
// constants built with t() are already in it), set on <html lang>, and used by
// every Intl format. Changing language keeps the choice on this device and
// reloads the page: the session cookie brings the person back where they were.
// One i18next instance per page, made here; pages are one language at a time.
import i18next, { type TFunction } from 'i18next';
import { CATALOGUES, NAMESPACES } from './catalogues.ts';
import { chooseLanguage, LANGUAGE_STORAGE_KEY, type Language } from './languages.ts';
import { LANGUAGE_PARAM } from '../../../server/wire/language.ts';

function storedChoice(): string | null {
  try {
    return globalThis.localStorage?.getItem(LANGUAGE_STORAGE_KEY) ?? null;
  } catch {
    return null; // storage blocked (private mode, policy): the link and browser still choose
  }
}

function pageLanguage(): Language {
  const search = globalThis.location?.search ?? '';
  return chooseLanguage({
    stored: storedChoice(),
    link: new URLSearchParams(search).get(LANGUAGE_PARAM),
    browser: globalThis.navigator?.languages ?? [],
  });
}

const instance = i18next.createInstance();
void instance.init({
  lng: pageLanguage(),
  // No fallback: a missing key shows as the key (and the catalogue test fails), never as English inside Welsh.
  fallbackLng: false,
  supportedLngs: Object.keys(CATALOGUES),
  ns: [...NAMESPACES],
  defaultNS: 'common',
  resources: CATALOGUES,
  initAsync: false,
  returnNull: false,
  // lit-html and textContent escape; i18next must not escape twice.
  interpolation: { escapeValue: false },
});

/** The page's language. */
export function language(): Language {
  return instance.language as Language;
}

/** The words for `key` ("join:consent.heading", or a common key), with its {{placeholders}} and plural `count`. */
export const t: TFunction<typeof NAMESPACES> = instance.t.bind(instance);

/** Marks the document with the page's language (call once the DOM exists; the page entry does). */
export function applyLanguage(doc: Document = document): void {
  doc.documentElement.lang = language();
}

/** Keeps `next` as this device's choice and reloads the page in it. */
export function switchLanguage(next: Language): void {
  try {
    localStorage.setItem(LANGUAGE_STORAGE_KEY, next);
  } catch {
    // Not kept: the reload below still carries it in the address.
  }
  const url = new URL(location.href);
  url.searchParams.set(LANGUAGE_PARAM, next);
  location.replace(url.toString());
}

// ---- Intl formats in the page's language ----

/** "14:30" */
export function clock(d: Date): string {
  return new Intl.DateTimeFormat(language(), { hour: '2-digit', minute: '2-digit' }).format(d);
}

/** "Tuesday 2 December" / "Dydd Mawrth 2 Rhagfyr" */
export function longDate(d: Date): string {
  return new Intl.DateTimeFormat(language(), { weekday: 'long', day: 'numeric', month: 'long' }).format(d);
}

/** "Asha, Ben and Carys" / "Asha, Ben a Carys" */
export function list(items: readonly string[]): string {
  return new Intl.ListFormat(language(), { style: 'long', type: 'conjunction' }).format(items);
}

/** A number in the page's language ("1,234"). */
export function number(n: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(language(), options).format(n);
}
