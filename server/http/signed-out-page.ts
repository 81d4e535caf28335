// GET /signed-out: where sign-out, the provider's sign-out and a refused
// sign-in land. Rendered here with no script: a fixed sentence per error code
// (?error= picks one; its value is never written into the page, only a code
// we know), and a link to sign in again. In the language of ?lang=, else the
// browser's (Accept-Language), else English, with a link to the other language.
import type { ErrorCode } from '../core/errors.ts';
import { serverText, type ServerKey } from '../i18n/server-text.ts';
import { LANGUAGE_PARAM, LANGUAGES, type Language } from '../wire/language.ts';

type Said = 'signedOut' | 'signInFailed' | 'noRole' | 'notConfigured' | 'failed';

const SENTENCES: Partial<Record<ErrorCode, Said>> = {
  SIGN_IN_FAILED: 'signInFailed',
  NO_ROLE: 'noRole',
  NOT_CONFIGURED: 'notConfigured',
};
/** The code an unknown ?error= is carried on as (by the language link): it says the same. */
const UNKNOWN_ERROR = 'ERROR';

/** Text for an HTML element or a double-quoted attribute. */
function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function signedOutPage(error: unknown, signInAvailable: boolean, language: Language = 'en-GB'): string {
  const asked = typeof error === 'string' && error !== '' ? error : null;
  const known = asked !== null && Object.hasOwn(SENTENCES, asked) ? (asked as ErrorCode) : null;
  const code = asked === null ? null : (known ?? UNKNOWN_ERROR);
  const said: Said = asked === null ? 'signedOut' : known ? SENTENCES[known]! : 'failed';
  const text = (key: ServerKey) => escapeHtml(serverText(language, key));
  const title = text(`signedOut.${said}.title`);
  const next = signInAvailable ? `<p><a href="/auth/login">${text('signedOut.signInAgain')}</a></p>` : `<p>${text('signedOut.useConsoleLink')}</p>`;
  // The same page in the other language: written in that language, for those who read it.
  const other = LANGUAGES.find((l) => l !== language)!;
  const query = new URLSearchParams({ [LANGUAGE_PARAM]: other, ...(code ? { error: code } : {}) });
  return `<!doctype html>
<html lang="${language}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>${title}</title>
  <link rel="stylesheet" href="/assets/styles.css">
</head>
<body>
  <nav id="language-switch" aria-label="Language / Iaith">
    <a lang="${other}" hreflang="${other}" href="/signed-out?${escapeHtml(query.toString())}">${escapeHtml(serverText(other, 'languageSwitch.name'))}</a>
  </nav>
  <main>
    <section class="view">
      <h1>${title}</h1>
      <p>${text(`signedOut.${said}.text`)}</p>
      ${next}
    </section>
  </main>
</body>
</html>
`;
}
