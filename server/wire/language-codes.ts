// The language codes and the rules over them, without TypeBox: the browser
// pages import this file (TypeBox would add ~75 KB to every page); the schema
// for the REST API is in language.ts, built from the same list.

/** English (UK) and Welsh. The first is the default. */
export const LANGUAGES = ['en-GB', 'cy'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en-GB';

/** The query parameter a link carries to choose its page's language: "/join?lang=cy#t=...". */
export const LANGUAGE_PARAM = 'lang';

export function isLanguage(v: unknown): v is Language {
  return typeof v === 'string' && (LANGUAGES as readonly string[]).includes(v);
}

/**
 * The supported language a BCP 47 tag asks for, if any: "cy", "cy-GB" -> cy;
 * "en", "en-US", "en-GB" -> en-GB.
 */
export function languageOfTag(tag: string): Language | null {
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  if (primary === 'cy') return 'cy';
  if (primary === 'en') return 'en-GB';
  return null;
}
