// Free text from people (names, chat, file names) is shown to other people.
// One rule for all of it: characters that are invisible or that change how
// the surrounding text is laid out or read are removed, so what the receiver
// sees is what was typed, in one Unicode form.
//
// Removed: C0 and C1 controls and DEL (tab and line breaks become a space, or
// a newline in multi-line text; runs of spaces in one-line text become one),
// line and paragraph separators, bidi controls,
// zero-width and other invisible format characters, tag characters, and lone
// surrogates. Then NFC, and leading/trailing whitespace trimmed.

export interface CleanTextOptions {
  /** Keep line breaks (as \n, at most one blank line in a row); otherwise they become spaces. */
  multiline?: boolean;
  /** Cut to this many code points (never inside a surrogate pair). */
  maxLength?: number;
}

/** Line breaks of every kind: CRLF, CR, LF, VT, FF, NEL, LS, PS. */
// eslint-disable-next-line no-control-regex -- these control characters are line breaks
const LINE_BREAK = /\r\n|[\n\r\u000B\u000C\u0085\u2028\u2029]/g;
/**
 * Everything else that is dropped: controls (tab aside, replaced below),
 * soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width
 * space/joiners and LRM/RLM, bidi embeddings and isolates, word joiner and
 * invisible operators, deprecated format characters, BOM, interlinear
 * annotations, tag characters, lone surrogates.
 */
const DROPPED =
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB\u{E0000}-\u{E007F}]|\p{Cs}/gu;

export function cleanText(raw: string, opts: CleanTextOptions = {}): string {
  const lineBreak = opts.multiline ? '\n' : ' ';
  let s = raw.replace(LINE_BREAK, lineBreak).replace(/\t/g, ' ').replace(DROPPED, '');
  // After removal, so that removed characters cannot hide a sequence from composition.
  s = s.normalize('NFC');
  // A removed line break or tab must not leave a gap that looks like two words' worth.
  s = opts.multiline ? s.replace(/[ ]+\n/g, '\n').replace(/\n{3,}/g, '\n\n') : s.replace(/ {2,}/g, ' ');
  s = s.trim();
  if (opts.maxLength !== undefined && s.length > opts.maxLength) {
    s = Array.from(s).slice(0, opts.maxLength).join('').normalize('NFC').trim();
  }
  return s;
}
