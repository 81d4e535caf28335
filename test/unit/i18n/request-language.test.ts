// The language of a page the server renders: ?lang=, else Accept-Language by
// its q values, else en-GB.
import { describe, expect, it } from 'vitest';
import { languageOfAcceptLanguage, requestLanguage } from '../../../server/i18n/request-language.ts';

describe('the language of a server-rendered page', () => {
  it('reads Accept-Language by preference', () => {
    expect(languageOfAcceptLanguage('cy')).toBe('cy');
    expect(languageOfAcceptLanguage('cy-GB,cy;q=0.9,en-GB;q=0.8,en;q=0.7')).toBe('cy');
    expect(languageOfAcceptLanguage('en-US,cy;q=0.5')).toBe('en-GB');
    expect(languageOfAcceptLanguage('en;q=0.4, cy;q=0.8')).toBe('cy');
    expect(languageOfAcceptLanguage('fr-FR,fr;q=0.9,cy;q=0.2')).toBe('cy');
    expect(languageOfAcceptLanguage('cy;q=0,en;q=0.1')).toBe('en-GB');
    expect(languageOfAcceptLanguage('fr, de')).toBeNull();
    expect(languageOfAcceptLanguage('*')).toBeNull();
    expect(languageOfAcceptLanguage('')).toBeNull();
    expect(languageOfAcceptLanguage(undefined)).toBeNull();
  });

  it('?lang= wins when it names a language; anything else is ignored', () => {
    expect(requestLanguage('cy', 'en-GB')).toBe('cy');
    expect(requestLanguage('en-GB', 'cy')).toBe('en-GB');
    expect(requestLanguage('fr', 'cy')).toBe('cy');
    expect(requestLanguage(['cy'], undefined)).toBe('en-GB');
    expect(requestLanguage(undefined, undefined)).toBe('en-GB');
  });
});
