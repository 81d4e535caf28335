// The message catalogues are complete in every language: every namespace file
// has the same keys in en-GB and cy (plural forms aside), every plural form
// each language's grammar needs (Intl.PluralRules), the same {{placeholders}},
// no empty text, and no Welsh text that is a copy of the English unless
// client/src/i18n/same-in-both.json says it is meant to be. The files are read
// from the directories, so a new namespace is checked without touching this test.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NAMESPACES } from '../../client/src/i18n/catalogues.ts';
import { LANGUAGES } from '../../server/wire/language.ts';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'client', 'src', 'i18n');
const REFERENCE = 'en-GB';
const OTHER = LANGUAGES.filter((l) => l !== REFERENCE);
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

const namespaceFiles = (lang: string) =>
  readdirSync(path.join(dir, lang))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();

/** "a.b_one" -> text, for every leaf; anything that is not a string is reported. */
function flatten(value: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

function load(lang: string, ns: string): Map<string, unknown> {
  return flatten(JSON.parse(readFileSync(path.join(dir, lang, `${ns}.json`), 'utf8')), '', new Map());
}

interface Entry {
  /** plural category -> text; a key without plural forms has the single category ''. */
  forms: Map<string, string>;
}

/** Groups "x_one", "x_other" under "x". */
function entries(flat: Map<string, unknown>): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const [key, text] of flat) {
    const m = PLURAL_SUFFIX.exec(key);
    const base = m ? key.slice(0, m.index) : key;
    const e = out.get(base) ?? { forms: new Map() };
    e.forms.set(m ? m[1]! : '', typeof text === 'string' ? text : (JSON.stringify(text) ?? 'undefined'));
    out.set(base, e);
  }
  return out;
}

const placeholders = (texts: Iterable<string>) =>
  [...new Set([...texts].flatMap((s) => [...s.matchAll(/\{\{\s*([^}\s,]+)[^}]*\}\}/g)].map((m) => m[1]!)))].sort();

/** Text with no words of its own ("{{name}}, {{size}}."): the same in every language by nature. */
const wordless = (text: string) => !/\p{L}/u.test(text.replace(/\{\{[^}]*\}\}/g, ''));

const named = (names: string[]) => (names.length ? names.map((n) => `{{${n}}}`).join(', ') : 'no placeholders');

const sameInBoth = JSON.parse(readFileSync(path.join(dir, 'same-in-both.json'), 'utf8')) as Record<string, string[] | string>;

describe('the catalogue files', () => {
  it('say which Welsh texts are rightly the same as the English in a list that only names namespaces', () => {
    for (const [ns, keys] of Object.entries(sameInBoth)) {
      if (ns === '$comment') continue;
      expect(NAMESPACES, `same-in-both.json names ${ns}, which is not a namespace`).toContain(ns);
      expect(Array.isArray(keys), `same-in-both.json: ${ns} is a list of keys`).toBe(true);
    }
  });

  it('exist for every language, and every namespace file is loaded by catalogues.ts', () => {
    expect(readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()).toEqual([...LANGUAGES].sort());
    for (const lang of LANGUAGES) expect(namespaceFiles(lang), `namespace files in ${lang}/`).toEqual([...NAMESPACES].sort());
  });
});

describe.each(namespaceFiles(REFERENCE))('namespace %s', (ns) => {
  const en = load(REFERENCE, ns);
  const enEntries = entries(en);

  it('has text for every key in English, and every plural form English needs', () => {
    const needed = new Intl.PluralRules(REFERENCE).resolvedOptions().pluralCategories;
    const problems: string[] = [];
    for (const [key, text] of en) if (typeof text !== 'string' || !text.trim()) problems.push(`${ns}:${key} in ${REFERENCE} is empty or not text`);
    for (const [base, e] of enEntries) {
      if (e.forms.has('') || needed.every((c) => e.forms.has(c))) continue;
      problems.push(`${ns}:${base} in ${REFERENCE} lacks plural form(s) ${needed.filter((c) => !e.forms.has(c)).join(', ')}`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });

  describe.each(OTHER)('in %s', (lang) => {
    const other = load(lang, ns);
    const otherEntries = entries(other);

    it('has the same keys as English', () => {
      const missing = [...enEntries.keys()].filter((k) => !otherEntries.has(k)).map((k) => `${ns}:${k} is missing in ${lang}`);
      const extra = [...otherEntries.keys()].filter((k) => !enEntries.has(k)).map((k) => `${ns}:${k} is in ${lang} but not in ${REFERENCE}`);
      const problems = [...missing, ...extra];
      expect(problems, problems.join('\n')).toEqual([]);
    });

    it(`has text for every key and every plural form ${lang} needs wherever English has plural forms`, () => {
      const needed = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
      const problems: string[] = [];
      for (const [key, text] of other) if (typeof text !== 'string' || !text.trim()) problems.push(`${ns}:${key} in ${lang} is empty or not text`);
      for (const [base, e] of otherEntries) {
        const enPlural = enEntries.get(base) && !enEntries.get(base)!.forms.has('');
        const plural = !e.forms.has('');
        if (enPlural && !plural) problems.push(`${ns}:${base} has plural forms in ${REFERENCE} but not in ${lang}`);
        if (!enPlural && plural && enEntries.has(base)) problems.push(`${ns}:${base} has plural forms in ${lang} but not in ${REFERENCE}`);
        if (enPlural && plural) {
          const lacking = needed.filter((c) => !e.forms.has(c));
          if (lacking.length) problems.push(`${ns}:${base} in ${lang} lacks plural form(s) ${lacking.join(', ')}`);
        }
      }
      expect(problems, problems.join('\n')).toEqual([]);
    });

    it('uses the same {{placeholders}} as English', () => {
      const problems: string[] = [];
      for (const [base, e] of otherEntries) {
        const enE = enEntries.get(base);
        if (!enE) continue;
        const want = placeholders(enE.forms.values());
        const got = placeholders(e.forms.values());
        if (want.join() !== got.join()) problems.push(`${ns}:${base}: ${REFERENCE} has ${named(want)}, ${lang} has ${named(got)}`);
      }
      expect(problems, problems.join('\n')).toEqual([]);
    });

    it('is translated: no text identical to the English unless listed in same-in-both.json', () => {
      const allowed = new Set(Array.isArray(sameInBoth[ns]) ? sameInBoth[ns] : []);
      const problems: string[] = [];
      for (const [base, e] of otherEntries) {
        const enE = enEntries.get(base);
        if (!enE) continue;
        const same = [...e.forms].some(([form, text]) => enE.forms.get(form) === text && !wordless(text));
        if (same && !allowed.has(base)) problems.push(`${ns}:${base} in ${lang} is the same as in ${REFERENCE}: "${[...e.forms.values()][0]}" (translate it, or list it in same-in-both.json)`);
        if (!same && allowed.has(base)) problems.push(`${ns}:${base} is listed in same-in-both.json but is translated: remove it from the list`);
      }
      for (const key of allowed) if (!enEntries.has(key)) problems.push(`same-in-both.json lists ${ns}:${key}, which ${REFERENCE} does not have`);
      expect(problems, problems.join('\n')).toEqual([]);
    });
  });
});
