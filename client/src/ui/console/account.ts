// Views about the staff account itself, rather than appointments: no session
// (sign in again; signing in at the provider did not stick), a patient's
// session on the console, an account without the clinician role (what it can
// do instead; no day list), signing out here, and a session that ended under
// the page ("You were signed out").
import type { SessionInfo } from '../../../../server/wire/session.ts';
import { button, h, PART, sentence, setStatus, showView } from '../dom.ts';
import { ROLE_ABILITY, signedOutText } from '../messages.ts';
import { t } from '../../i18n/i18n.ts';

type StaffInfo = Extract<SessionInfo, { kind: 'clinician' }>;

/** The clinician role, trust-wide or in any clinic: what the console's day list and consultations need. */
export const isClinician = (info: StaffInfo): boolean => (info.roles ?? []).includes('clinician') || (info.clinics ?? []).some((c) => c.roles.includes('clinician'));

/** Roles that look after a clinic's waiting area (message anyone waiting, re-assign, running late). */
const COORDINATING = new Set<string>(['clinic-coordinator', 'clinic-admin']);

/** Whether this account looks after `clinicId`'s waiting area (a trust admin: every clinic's). */
export const coordinates = (info: StaffInfo, clinicId: string | undefined): boolean =>
  (info.roles ?? []).includes('trust-admin') || (clinicId !== undefined && (info.clinics ?? []).some((c) => c.clinicId === clinicId && c.roles.some((r) => COORDINATING.has(r))));

/** Whether this account looks after any clinic's waiting area (its console shows the clinic, always). */
export const coordinatesAny = (info: StaffInfo): boolean =>
  (info.roles ?? []).includes('trust-admin') || (info.clinics ?? []).some((c) => c.roles.some((r) => COORDINATING.has(r)));

/** No session, and no way to sign in from here: the console link from the clinical system does it. */
export function showSignInAgain(): void {
  showView('error', h('h1', {}, t('console:signIn.againHeading')), h('p', {}, t('console:signIn.againText')));
  setStatus(t('console:signIn.notSignedIn'), 'error', false);
}

/** Back from the identity provider and still no session (cookies blocked?): ask, never go round again by itself. */
export function showSignInStuck(signIn: () => void): void {
  showView(
    'sign-in',
    h('h1', {}, t('console:signIn.heading')),
    h('p', {}, t('console:signIn.cookiesText')),
    h('p', {}, button(t('console:signIn.button'), () => signIn())),
  );
  setStatus(t('console:signIn.notSignedIn'), 'error', false);
}

/** A patient's or guest's session opened the console: to their own page. */
export function showPatientSession(): void {
  showView(
    'error',
    h('h1', {}, t('console:account.patientHeading')),
    h('p', {}, ...sentence(t('console:account.patientText', { link: PART('link') }), { link: h('a', { href: '/join' }, t('console:account.patientLink')) })),
  );
  setStatus(t('console:account.patientStatus'), 'error', false);
}

/** Signed out with this page's own Sign out (when the server could not say where to go next). */
export function showSignedOutHere(): void {
  showView('ended', h('h1', {}, t('console:account.signedOutHeading')), h('p', {}, t('console:account.signedOutText')));
  setStatus(t('console:account.signedOutStatus'), 'info', false);
}

/** Signed in, but not as a clinician: say what the account can do, and offer sign-out. */
export function showNotClinician(info: StaffInfo, signOut: () => void): void {
  const lines = [
    ...(info.roles ?? []).map((r) => ROLE_ABILITY[r]),
    ...(info.clinics ?? []).flatMap((c) => c.roles.map((r) => (ROLE_ABILITY[r] ? t('console:account.abilityInClinic', { ability: ROLE_ABILITY[r], clinic: c.clinicId }) : undefined))),
  ].filter((l): l is string => Boolean(l));
  showView(
    'not-clinician',
    h('h1', {}, t('console:account.notClinicianHeading')),
    h('p', {}, info.name ? t('console:account.notClinicianNamed', { name: info.name }) : t('console:account.notClinician')),
    ...(lines.length > 0 ? [h('p', {}, t('console:account.canDo')), h('ul', {}, ...lines.map((l) => h('li', {}, l)))] : []),
    h('p', {}, t('console:account.askForRole')),
    h('p', {}, button(t('console:account.signOut'), () => signOut(), 'secondary')),
  );
  setStatus(t('console:account.notClinicianStatus'), 'info', false);
}

/** The session ended under the page (signed out elsewhere, idle, revoked). */
export function showSignedOut(via: 'oidc' | 'ticket', idleMinutes: number | null, signIn: () => void): void {
  showView(
    'signed-out',
    h('h1', {}, t('console:account.endedHeading')),
    h('p', {}, signedOutText(via, idleMinutes)),
    ...(via === 'oidc' ? [h('p', {}, button(t('console:signIn.button'), () => signIn()))] : []),
  );
  setStatus(t('console:account.endedStatus'), 'info', false);
}
