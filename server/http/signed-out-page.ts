// GET /signed-out: where sign-out, the provider's sign-out and a refused
// sign-in land. Rendered here with no script: a fixed sentence per error code
// (?error= picks one; its value is never written into the page), and a link
// to sign in again.
import type { ErrorCode } from '../core/errors.ts';

const SENTENCES: Partial<Record<ErrorCode, { title: string; text: string }>> = {
  SIGN_IN_FAILED: {
    title: 'Sign-in did not work',
    text: 'Your sign-in could not be checked, so you are not signed in. Please try again. If it keeps happening, tell your IT service desk.',
  },
  NO_ROLE: {
    title: 'No access to video consultations',
    text: 'You signed in, but your account has no role in this service. Ask your administrator to give you access.',
  },
  NOT_CONFIGURED: {
    title: 'Sign-in is not set up',
    text: 'This server has no sign-in set up. Open your console link from your clinical system instead.',
  },
};
const FALLBACK = { title: 'Sign-in did not work', text: 'Something went wrong while signing you in. Please try again in a minute.' };
const SIGNED_OUT = { title: 'You are signed out', text: 'You have signed out of video consultations. Close this tab, or sign in again.' };

export function signedOutPage(error: unknown, signInAvailable: boolean): string {
  const said = typeof error === 'string' && error !== '' ? (SENTENCES[error as ErrorCode] ?? FALLBACK) : SIGNED_OUT;
  const next = signInAvailable
    ? '<p><a href="/auth/login">Sign in again</a></p>'
    : '<p>To open the console again, use the console link in your clinical system.</p>';
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>${said.title}</title>
  <link rel="stylesheet" href="/assets/styles.css">
</head>
<body>
  <main>
    <section class="view">
      <h1>${said.title}</h1>
      <p>${said.text}</p>
      ${next}
    </section>
  </main>
</body>
</html>
`;
}
