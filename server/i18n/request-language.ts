// The language of a page the server renders: the link's ?lang= (a person's
// choice, or a Welsh clinic's link), else the browser's Accept-Language,
// else English.
import { DEFAULT_LANGUAGE, isLanguage, languageOfTag, type Language } from '../wire/language.ts';

/** Tags this many at most are read from a header (a browser sends a handful). */
const MAX_TAGS = 20;

/**
 * The first supported language of an Accept-Language header, by its q
 * values (highest first, ties in the header's order); q=0 means "not this".
 * "cy-GB,en;q=0.8" -> cy; "en-US,cy;q=0.5" -> en-GB; "fr" -> null.
 */
export function languageOfAcceptLanguage(header: string | undefined): Language | null {
  if (!header) return null;
  const ranked = header
    .split(',', MAX_TAGS)
    .map((part, index) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.tag !== '' && Number.isFinite(r.q) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const r of ranked) {
    const language = languageOfTag(r.tag);
    if (language) return language;
  }
  return null;
}

/** ?lang= when it names a supported language, else Accept-Language, else en-GB. */
export function requestLanguage(langParam: unknown, acceptLanguage: string | undefined): Language {
  if (isLanguage(langParam)) return langParam;
  return languageOfAcceptLanguage(acceptLanguage) ?? DEFAULT_LANGUAGE;
}
