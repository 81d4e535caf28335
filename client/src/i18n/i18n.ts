// The page's language and its words: chosen once as the page loads (so module
// constants built with t() are already in it), set on <html lang>, and used by
// every Intl format. Changing language keeps the choice on this device and
// reloads the page: the session cookie brings the person back where they were.
// One i18next instance per page, made here; pages are one language at a time.
import i18next, { type TFunction } from 'i18next';
import { CATALOGUES, NAMESPACES } from './catalogues.ts';
import { chooseLanguage, LANGUAGE_STORAGE_KEY, type Language } from './languages.ts';
import { LANGUAGE_PARAM } from '../../../server/wire/language-codes.ts';

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

/** "14:30": the 24-hour clock in both languages (browsers without Welsh locale data would say "06:30 PM"). */
export function clock(d: Date): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

const WEEKDAYS = ['date.weekdays.sun', 'date.weekdays.mon', 'date.weekdays.tue', 'date.weekdays.wed', 'date.weekdays.thu', 'date.weekdays.fri', 'date.weekdays.sat'] as const;
const MONTHS = [
  'date.months.jan',
  'date.months.feb',
  'date.months.mar',
  'date.months.apr',
  'date.months.may',
  'date.months.jun',
  'date.months.jul',
  'date.months.aug',
  'date.months.sep',
  'date.months.oct',
  'date.months.nov',
  'date.months.dec',
] as const;

/**
 * "Tuesday 2 December" / "dydd Mawrth 2 Rhagfyr". Day and month names come
 * from the catalogue, not Intl: Chromium builds without Welsh locale data
 * silently fall back to American English ("Tuesday, December 2").
 */
export function longDate(d: Date): string {
  return t('date.long', { weekday: t(WEEKDAYS[d.getDay()]!), day: String(d.getDate()), month: t(MONTHS[d.getMonth()]!) });
}

/** "Asha, Ben and Carys" / "Asha, Ben a Carys" */
export function list(items: readonly string[]): string {
  if (language() === 'cy' && items.length > 1) {
    // Written here, not by Intl: ICU writes "a(c)" and browsers without Welsh data write English "and".
    // Welsh says "ac" before a vowel and "a" otherwise.
    const last = items[items.length - 1]!;
    return `${items.slice(0, -1).join(', ')} ${/^[aeiouwyâêîôûŵŷ]/i.test(last) ? 'ac' : 'a'} ${last}`;
  }
  return new Intl.ListFormat(language(), { style: 'long', type: 'conjunction' }).format(items);
}

/** A number in the page's language ("1,234"). */
export function number(n: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(language(), options).format(n);
}
