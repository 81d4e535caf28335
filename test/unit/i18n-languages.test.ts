// Which language a page speaks, and how it writes times, dates and numbers in
// it: the person's own choice on this device first, then the link's ?lang=,
// then the browser's, then English; patients read "2:30pm"/"2:30yh", staff "14:30".
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chooseLanguage, LANGUAGES, type Language } from '../../client/src/i18n/languages.ts';
import { switchHref, otherLanguage } from '../../client/src/ui/language-switch.ts';
import { isLanguage, languageOfTag } from '../../server/wire/language.ts';

import type * as I18nModule from '../../client/src/i18n/i18n.ts';
import type * as MessagesModule from '../../client/src/ui/messages.ts';

type I18n = typeof I18nModule;
type Messages = typeof MessagesModule;

/** The i18n core and the common words as a page opened with `search` loads them (the language is chosen at import). */
async function pageWith(search: string, stored: string | null = null): Promise<{ i18n: I18n; messages: Messages }> {
  vi.resetModules();
  vi.stubGlobal('location', { search, href: `https://video.example.nhs.uk/join${search}#t=secret` });
  vi.stubGlobal('localStorage', { getItem: () => stored, setItem: vi.fn() });
  const i18n = await import('../../client/src/i18n/i18n.ts');
  const messages = await import('../../client/src/ui/messages.ts');
  return { i18n, messages };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

/** Any string that names no language we speak, as a stored choice, a link or a browser tag. */
const junk = fc.string({ maxLength: 12 }).filter((s) => !isLanguage(s) && languageOfTag(s) === null);
const language = fc.constantFrom(...LANGUAGES);
const tagFor = (l: Language) => fc.constantFrom(...(l === 'cy' ? ['cy', 'cy-GB', 'CY', 'cy_GB'] : ['en', 'en-GB', 'en-US', 'EN-au']));

describe('chooseLanguage', () => {
  it("takes this device's own choice over the link and the browser", () => {
    fc.assert(
      fc.property(language, fc.option(fc.oneof(junk, language)), fc.array(fc.oneof(junk, language)), (stored, link, browser) => {
        expect(chooseLanguage({ stored, link, browser })).toBe(stored);
      }),
    );
  });

  it("takes the link's language when nothing usable is stored, whatever the browser says", () => {
    fc.assert(
      fc.property(fc.option(junk), language.chain((l) => fc.tuple(fc.constant(l), tagFor(l))), fc.array(fc.oneof(junk, language)), (stored, [l, link], browser) => {
        expect(chooseLanguage({ stored, link, browser })).toBe(l);
      }),
    );
  });

  it("takes the browser's first language we speak when neither the device nor the link says one", () => {
    fc.assert(
      fc.property(fc.option(junk), fc.option(junk), fc.array(junk), language.chain((l) => fc.tuple(fc.constant(l), tagFor(l))), fc.array(fc.oneof(junk, language)), (stored, link, before, [l, tag], after) => {
        expect(chooseLanguage({ stored, link, browser: [...before, tag, ...after] })).toBe(l);
      }),
    );
  });

  it('falls back to English when nothing names a language we speak', () => {
    fc.assert(
      fc.property(fc.option(junk), fc.option(junk), fc.array(junk), (stored, link, browser) => {
        expect(chooseLanguage({ stored, link, browser })).toBe('en-GB');
      }),
    );
  });
});

describe('the page language', () => {
  it('follows the link, marks <html lang>, and a choice kept on the device wins over the link', async () => {
    const cy = await pageWith('?lang=cy');
    expect(cy.i18n.language()).toBe('cy');
    const doc = { documentElement: { lang: 'en' } } as unknown as Document;
    cy.i18n.applyLanguage(doc);
    expect(doc.documentElement.lang).toBe('cy');
    expect(cy.i18n.t('index.title')).toBe('Ymgynghoriadau fideo');

    const kept = await pageWith('?lang=cy', 'en-GB');
    expect(kept.i18n.language()).toBe('en-GB');
    expect(kept.i18n.t('index.title')).toBe('Video consultations');
  });

  it('builds the common words as the page loads, in its language', async () => {
    const { messages } = await pageWith('?lang=cy');
    expect(messages.RECONNECTING).toBe('Yn ailgysylltu…');
    expect(messages.describeEnding('ended', 'guest').title).toBe("Mae'r ymgynghoriad wedi dod i ben");
    expect(messages.runningLateText(2)).toBe('Mae eich clinigydd yn rhedeg tua 2 funud yn hwyr.');
    expect(messages.runningLateText(3)).toBe('Mae eich clinigydd yn rhedeg tua 3 munud yn hwyr.');
    expect(messages.duration(3_720_000)).toBe('1 awr, 2 funud');
    expect(messages.roleLabel('interpreter')).toBe('Cyfieithydd');
    expect(messages.describeProblem('NO_SUCH_CODE', 'The disk is full.').text).not.toMatch(/disk/);
  });

  it('switching keeps the choice on the device and reloads the same address in the other language', async () => {
    const { i18n } = await pageWith('?x=1&lang=en-GB');
    const replace = vi.fn();
    const setItem = vi.fn();
    vi.stubGlobal('location', { href: 'https://video.example.nhs.uk/join?x=1&lang=en-GB#t=secret', replace });
    vi.stubGlobal('localStorage', { setItem });
    i18n.switchLanguage('cy');
    expect(setItem).toHaveBeenCalledWith('consultroom.language', 'cy');
    expect(replace).toHaveBeenCalledWith('https://video.example.nhs.uk/join?x=1&lang=cy#t=secret');
  });
});

describe('the language switch link', () => {
  it('offers the other language and keeps the other parameters, never the fragment', () => {
    expect(otherLanguage('en-GB')).toBe('cy');
    expect(otherLanguage('cy')).toBe('en-GB');
    expect(switchHref('?x=1&lang=en-GB', 'cy')).toBe('?x=1&lang=cy');
    expect(switchHref('', 'en-GB')).toBe('?lang=en-GB');
  });
});

describe('Intl formats in the page language', () => {
  const d = new Date(2026, 11, 8, 14, 5);

  it('writes English and Welsh dates, the 24-hour clock, lists and numbers', async () => {
    const en = await pageWith('?lang=en-GB');
    expect(en.i18n.clock(d)).toBe('14:05');
    expect(en.i18n.longDate(d)).toBe('Tuesday 8 December');
    expect(en.i18n.list(['Asha', 'Ben', 'Carys'])).toBe('Asha, Ben and Carys');
    expect(en.i18n.number(1234.5)).toBe('1,234.5');

    const cy = await pageWith('?lang=cy');
    expect(cy.i18n.clock(d)).toBe('14:05');
    expect(cy.i18n.longDate(d)).toBe('dydd Mawrth 8 Rhagfyr');
    expect(cy.i18n.number(1234.5)).toBe('1,234.5');
    expect(cy.i18n.list(['Asha', 'Ben', 'Carys'])).toBe('Asha, Ben a Carys');
    expect(cy.i18n.list(['Carys', 'Ellis'])).toBe('Carys ac Ellis');
    expect(cy.i18n.list(['Carys'])).toBe('Carys');
  });
});

describe('times as people read them', () => {
  const now = new Date(2026, 11, 3, 9, 0);
  const iso = (...a: [number, number, number, number, number]) => new Date(...a).toISOString();

  it('patients read the 12-hour clock, "midday" and "midnight", in English', async () => {
    const { messages: m } = await pageWith('?lang=en-GB');
    expect(m.friendlyTime(iso(2026, 11, 3, 14, 30), now)).toBe('2:30pm today');
    expect(m.friendlyTime(iso(2026, 11, 4, 14, 0), now)).toBe('2pm tomorrow');
    expect(m.friendlyTime(iso(2026, 11, 3, 12, 0), now)).toBe('midday today');
    expect(m.friendlyTime(iso(2026, 11, 8, 0, 0), now)).toBe('midnight on Tuesday 8 December');
    expect(m.friendlyTime(iso(2026, 11, 8, 0, 5), now)).toBe('12:05am on Tuesday 8 December');
    expect(m.when(iso(2026, 11, 3, 14, 30), now)).toBe('14:30 today');
  });

  it('and in Welsh: "2:30yh", "2yb", "canol dydd", "heddiw", "yfory"', async () => {
    const { messages: m } = await pageWith('?lang=cy');
    expect(m.friendlyTime(iso(2026, 11, 3, 14, 30), now)).toBe('heddiw am 2:30yh');
    expect(m.friendlyTime(iso(2026, 11, 4, 2, 0), now)).toBe('yfory am 2yb');
    expect(m.friendlyTime(iso(2026, 11, 3, 12, 0), now)).toBe('heddiw am ganol dydd');
    expect(m.friendlyClock(iso(2026, 11, 3, 12, 0))).toBe('canol dydd');
    expect(m.friendlyTime(iso(2026, 11, 8, 14, 30), now)).toMatch(/^ddydd Mawrth,? 8 Rhagfyr am 2:30yh$/);
    expect(m.when(iso(2026, 11, 3, 14, 30), now)).toBe('heddiw am 14:30');
    expect(m.appointmentWith('Dr Asha Patel', undefined, iso(2026, 11, 3, 14, 30))).toMatch(/^Mae'r apwyntiad hwn .* gyda'r clinigydd Dr Asha Patel\.$/);
  });

  it('every minute of the day reads as a 12-hour time in both languages', async () => {
    const en = (await pageWith('?lang=en-GB')).messages;
    const cy = (await pageWith('?lang=cy')).messages;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), (h, min) => {
        const at = iso(2026, 11, 3, h, min);
        expect(en.friendlyClock(at)).toMatch(/^((1[0-2]|[1-9])(:[0-5]\d)?(am|pm)|midday|midnight)$/);
        expect(cy.friendlyClock(at)).toMatch(/^((1[0-2]|[1-9])(:[0-5]\d)?(yb|yh)|canol dydd|hanner nos)$/);
        expect(en.friendlyClock(at).endsWith('pm')).toBe(h >= 12 && !(h === 12 && min === 0));
      }),
    );
  });
});
