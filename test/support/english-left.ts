// Finds English left on a page that should be Welsh: every static fragment (two
// words or more, between placeholders) of an en-GB catalogue value whose Welsh
// differs, looked for in what a person sees or hears: the visible text, the
// tab's title and the aria-label, title, alt and placeholder attributes.
// Fragments that also occur in some Welsh value (names, codes) are not English.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';

const CATALOGUES = path.join(process.cwd(), 'client', 'src', 'i18n');

export interface EnglishFragment {
  /** "join:consent.joinButton" */
  key: string;
  fragment: string;
}

/** The leaf strings of a catalogue, by dotted key. */
function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (typeof value === 'string') out.set(prefix, value);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
}

function catalogue(lang: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of readdirSync(path.join(CATALOGUES, lang)).filter((f) => f.endsWith('.json'))) {
    const ns = file.replace(/\.json$/, '');
    const leaves = new Map<string, string>();
    flatten(JSON.parse(readFileSync(path.join(CATALOGUES, lang, file), 'utf8')), '', leaves);
    for (const [k, v] of leaves) out.set(`${ns}:${k}`, v);
  }
  return out;
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();
const words = (s: string): number => s.split(' ').filter((w) => /\p{L}/u.test(w)).length;

/** Every English fragment that must not appear on a Welsh page. */
export function englishFragments(): EnglishFragment[] {
  const en = catalogue('en-GB');
  const cy = catalogue('cy');
  const welsh = [...cy.values()].map(squash);
  const out: EnglishFragment[] = [];
  for (const [key, value] of en) {
    if (cy.get(key) === value) continue;
    for (const piece of value.split(/\{\{[^}]*\}\}|\$t\([^)]*\)|\n/)) {
      const fragment = squash(piece);
      if (words(fragment) < 2 || welsh.some((w) => w.includes(fragment))) continue;
      out.push({ key, fragment });
    }
  }
  return out;
}

/** What the page shows or says: visible text, the tab title, and the labels and titles of its elements. */
export async function pageWords(page: Page): Promise<string> {
  const text = await page.evaluate(() => {
    const attrs = ['aria-label', 'title', 'alt', 'placeholder', 'aria-description', 'aria-roledescription'];
    const values: string[] = [document.body.innerText, document.title];
    for (const el of document.querySelectorAll('*')) {
      for (const a of attrs) {
        const v = el.getAttribute(a);
        if (v) values.push(v);
      }
    }
    return values.join('\n');
  });
  return squash(text);
}

/** The English fragments found on the page ("key: fragment"). */
export async function englishLeft(page: Page, fragments: readonly EnglishFragment[] = englishFragments()): Promise<string[]> {
  const seen = await pageWords(page);
  return fragments.filter((f) => seen.includes(f.fragment)).map((f) => `${f.key}: "${f.fragment}"`);
}
