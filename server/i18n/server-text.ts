// The server's own words, in every language (server/wire/language.ts): the
// link messages sent by SMS and email, the appointment time as they say it,
// and the pages rendered here (the signed-out page). From the catalogues
// server/i18n/{en-GB,cy}.json through i18next, as the browser client does.
// One instance, filled once as the module loads and never changed after:
// every call names its language (nothing depends on a "current" one), so it
// is as constant as the catalogues. No HTML escaping here: SMS and email are
// plain text, and a page escapes what it writes (signed-out-page.ts).
import i18next from 'i18next';
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from '../wire/language.ts';
import cy from './cy.json' with { type: 'json' };
import en from './en-GB.json' with { type: 'json' };

/** Every language's catalogue; English's shape is the reference (test/unit/i18n/server-catalogues.test.ts). */
export const SERVER_CATALOGUES: Record<Language, object> = { 'en-GB': en, cy };

type PluralSuffix = 'zero' | 'one' | 'two' | 'few' | 'many' | 'other';
type WithoutPlural<K extends string> = K extends `${infer Base}_${PluralSuffix}` ? Base : K;
type Leaves<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${Prefix}${WithoutPlural<K>}` : Leaves<T[K], `${Prefix}${K}.`>;
}[keyof T & string];

/** A key of the server's catalogues ("sms.invite"), checked against English at compile time. */
export type ServerKey = Leaves<typeof en>;

const NAMESPACE = 'server';
const instance = i18next.createInstance();
void instance.init({
  lng: DEFAULT_LANGUAGE,
  // No fallback: a missing Welsh key shows as the key (and the catalogue test fails), never as English inside Welsh.
  fallbackLng: false,
  supportedLngs: [...LANGUAGES],
  ns: [NAMESPACE],
  defaultNS: NAMESPACE,
  resources: { 'en-GB': { [NAMESPACE]: en }, cy: { [NAMESPACE]: cy } },
  initAsync: false,
  returnNull: false,
  interpolation: { escapeValue: false },
});
// Keys are typed by ServerKey above, not by i18next's global resource types (the browser client's).
const translate = instance.t.bind(instance) as unknown as (key: string, options: Record<string, unknown>) => string;

/** The words for `key` in `language`, with its {{placeholders}} filled (and its plural form for `count`). */
export function serverText(language: Language, key: ServerKey, values: Record<string, string | number> = {}): string {
  return translate(key, { ...values, lng: language });
}
