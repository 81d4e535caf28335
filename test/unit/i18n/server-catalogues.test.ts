// The server's catalogues (server/i18n/{en-GB,cy}.json: SMS and email texts,
// the appointment time, the signed-out page) are complete in every language:
// the same keys as English, every plural form the language has, the same
// {{placeholders}}, nothing left in English, and Welsh text messages inside
// the GSM alphabet (one Welsh letter outside it, â or ŵ, makes the whole SMS
// Unicode: a third as many characters per fragment).
import { describe, expect, it } from 'vitest';
import { SERVER_CATALOGUES } from '../../../server/i18n/server-text.ts';
import { LANGUAGES, type Language } from '../../../server/wire/language.ts';

const PLURAL = /_(zero|one|two|few|many|other)$/;

/** "a.b.c" -> text, for every string in a catalogue. */
function leaves(obj: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string') out.set(`${prefix}${k}`, v);
    else if (v && typeof v === 'object') for (const [kk, vv] of leaves(v as object, `${prefix}${k}.`)) out.set(kk, vv);
    else throw new Error(`${prefix}${k} is neither text nor a group`);
  }
  return out;
}

/** Keys without their plural suffix, each with the plural forms present (none for a plain key). */
function byBase(keys: Iterable<string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const key of keys) {
    const m = PLURAL.exec(key);
    const base = m ? key.slice(0, m.index) : key;
    const forms = out.get(base) ?? new Set<string>();
    if (m) forms.add(m[1]!);
    out.set(base, forms);
  }
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]).sort();

const GSM_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€';
const outsideGsm = (text: string) => [...text].filter((c) => !GSM_BASIC.includes(c) && !GSM_EXTENDED.includes(c));

const english = leaves(SERVER_CATALOGUES['en-GB']);
const englishBases = byBase(english.keys());

describe('server catalogues', () => {
  it('English has keys, and plain text in each', () => {
    expect(english.size).toBeGreaterThan(10);
    for (const [key, text] of english) expect(text.trim(), key).not.toBe('');
  });

  it.each(LANGUAGES.filter((l) => l !== 'en-GB'))('%s has every English key, every plural form, the same placeholders, nothing left in English', (language: Language) => {
    const theirs = leaves(SERVER_CATALOGUES[language]);
    const bases = byBase(theirs.keys());
    expect([...bases.keys()].sort()).toEqual([...englishBases.keys()].sort());
    const categories = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
    for (const [base, forms] of englishBases) {
      if (forms.size === 0) {
        expect(bases.get(base)!.size, `${base} is plural in ${language} only`).toBe(0);
        const en = english.get(base)!;
        const text = theirs.get(base)!;
        expect(text.trim(), base).not.toBe('');
        expect(placeholders(text), base).toEqual(placeholders(en));
        expect(text, `${base} is still English`).not.toBe(en);
        continue;
      }
      expect([...bases.get(base)!].sort(), `${base}: the plural forms of ${language}`).toEqual([...categories].sort());
      const enPlaceholders = placeholders(english.get(`${base}_other`)!);
      for (const form of categories) expect(placeholders(theirs.get(`${base}_${form}`)!).filter((p) => p !== 'count'), `${base}_${form}`).toEqual(enPlaceholders.filter((p) => p !== 'count'));
    }
  });

  it('English plural keys have English plural forms (one, other)', () => {
    const categories = new Intl.PluralRules('en-GB').resolvedOptions().pluralCategories;
    for (const [base, forms] of englishBases) if (forms.size > 0) expect([...forms].sort(), base).toEqual([...categories].sort());
  });

  it('every text message and time word is in the GSM alphabet, in every language', () => {
    for (const language of LANGUAGES) {
      const all = leaves(SERVER_CATALOGUES[language]);
      for (const [key, text] of all) {
        if (!/^(sms|clock|when)\./.test(key)) continue;
        expect(outsideGsm(text), `${language} ${key}`).toEqual([]);
      }
    }
  });
});
