// Which language a page speaks: the person's own choice on this device first,
// then the link's (a Welsh clinic sends ?lang=cy), then the browser's, then
// English. Pure, so the order is tested without a browser.
import { DEFAULT_LANGUAGE, isLanguage, languageOfTag, type Language } from '../../../server/wire/language-codes.ts';

export { LANGUAGES, type Language } from '../../../server/wire/language-codes.ts';

/** Where the person's own choice is kept (localStorage). */
export const LANGUAGE_STORAGE_KEY = 'consultroom.language';

/** Each language's name in itself, for the switch. */
export const LANGUAGE_NAMES: Record<Language, string> = { 'en-GB': 'English', cy: 'Cymraeg' };

export interface LanguageSources {
  /** What this device remembers the person chose (localStorage), if anything. */
  stored: string | null;
  /** The link's ?lang= value, if any. */
  link: string | null;
  /** navigator.languages. */
  browser: readonly string[];
}

export function chooseLanguage({ stored, link, browser }: LanguageSources): Language {
  if (isLanguage(stored)) return stored;
  if (link) {
    const fromLink = isLanguage(link) ? link : languageOfTag(link);
    if (fromLink) return fromLink;
  }
  for (const tag of browser) {
    const l = languageOfTag(tag);
    if (l) return l;
  }
  return DEFAULT_LANGUAGE;
}
