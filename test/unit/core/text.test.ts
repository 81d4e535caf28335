// The one rule for free text people send each other (names, chat, file names).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanText } from '../../../server/core/text.ts';

/** Every character class the rule removes, as code points. */
const BANNED: [string, (cp: number) => boolean][] = [
  ['C0 control', (cp) => cp < 0x20 && cp !== 0x0a],
  ['DEL and C1 control', (cp) => cp >= 0x7f && cp <= 0x9f],
  ['line/paragraph separator', (cp) => cp === 0x2028 || cp === 0x2029],
  ['bidi control', (cp) => cp === 0x200e || cp === 0x200f || cp === 0x061c || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)],
  ['zero-width', (cp) => (cp >= 0x200b && cp <= 0x200d) || cp === 0xfeff || cp === 0x2060],
  ['tag character', (cp) => cp >= 0xe0000 && cp <= 0xe007f],
  ['lone surrogate', (cp) => cp >= 0xd800 && cp <= 0xdfff],
];
const banned = (s: string, multiline: boolean): string[] => {
  const found: string[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    for (const [name, is] of BANNED) if (is(cp)) found.push(`${name} U+${cp.toString(16)}`);
    if (!multiline && cp === 0x0a) found.push('newline in single-line text');
  }
  return found;
};

const hostileChars = fc.constantFrom(
  ...[0x00, 0x07, 0x09, 0x0a, 0x0b, 0x0d, 0x1b, 0x7f, 0x85, 0x9b, 0xad, 0x061c, 0x200b, 0x200d, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202e, 0x2066, 0x2069, 0x2060, 0xfeff, 0xe0001, 0xe0041, 0xe007f].map((cp) =>
    String.fromCodePoint(cp),
  ),
  '\ud800',
  '\udfff',
  '\r\n',
  'e\u0301',
  'A\u030a',
  '\u1100\u1161',
  '\u2126',
  ' ',
  '.',
);
/** Ordinary text with hostile characters sprinkled through it. */
const hostile = fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 }), hostileChars), { maxLength: 40 }).map((a) => a.join(''));

describe('cleanText', () => {
  it('removes controls, separators, bidi, zero-width and tag characters and keeps what was typed', () => {
    expect(cleanText('\u202EJane\u200B Doe\u0085\u2028\u{E0041}\u0007')).toBe('Jane Doe');
    expect(cleanText('  Dr\tAsha\u00A0Patel \u2066x\u2069 ')).toBe('Dr Asha\u00A0Patel x');
    expect(cleanText('Zoë Ørsted-Nakamura 山田 محمد')).toBe('Zoë Ørsted-Nakamura 山田 محمد');
    expect(cleanText('\u202E\u200B\u2066')).toBe('');
  });

  it('single-line text: every line break becomes a space; multi-line text keeps newlines, one blank line at most', () => {
    expect(cleanText('a\r\nb\rc\nd\u2028e\u2029f\u0085g')).toBe('a b c d e f g');
    expect(cleanText('Hello\r\n\r\n\r\n\r\nthere\u2028now', { multiline: true })).toBe('Hello\n\nthere\nnow');
    expect(cleanText('\n\n  hi  \n\n', { multiline: true })).toBe('hi');
  });

  it('normalises to NFC (after removal, so a removed character cannot keep a pair apart)', () => {
    expect(cleanText('Zoe\u0308')).toBe('Zo\u00EB');
    expect(cleanText('e\u200D\u0301')).toBe('\u00E9');
    expect(cleanText('\u2126')).toBe('\u03A9');
  });

  it('cuts to maxLength code points, never inside a surrogate pair', () => {
    expect(cleanText('😀😀😀', { maxLength: 2 })).toBe('😀😀');
    expect(cleanText('abc  def', { maxLength: 4 })).toBe('abc');
  });

  it('property: the output holds none of the removed classes, is NFC, trimmed and idempotent', () => {
    fc.assert(
      fc.property(hostile, fc.boolean(), fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }), (raw, multiline, maxLength) => {
        const opts = { multiline, ...(maxLength !== undefined ? { maxLength } : {}) };
        const out = cleanText(raw, opts);
        expect(banned(out, multiline)).toEqual([]);
        expect(out.normalize('NFC')).toBe(out);
        expect(out.trim()).toBe(out);
        expect(cleanText(out, opts)).toBe(out);
        if (maxLength !== undefined) expect([...out].length).toBeLessThanOrEqual(maxLength);
        if (multiline) expect(out).not.toMatch(/\n\n\n/);
      }),
      { numRuns: 3000 },
    );
  });

  it('property: text with nothing to remove comes back as it was (NFC, trimmed; one space between words on one line)', () => {
    const plain = fc.string({ unit: fc.constantFrom(...'abcXYZ 09-_.,éØ山ح😀'.split(/(?:)/u)), maxLength: 40 });
    fc.assert(
      fc.property(plain, (s) => {
        expect(cleanText(s)).toBe(s.normalize('NFC').trim().replace(/ {2,}/g, ' '));
        expect(cleanText(s, { multiline: true })).toBe(s.normalize('NFC').trim());
      }),
    );
  });
});
