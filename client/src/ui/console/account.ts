// Views about the staff account itself, rather than appointments: an account
// without the clinician role (what it can do instead; no day list), and a
// session that ended under the page ("You were signed out").
import type { SessionInfo } from '../../../../server/wire/session.ts';
import { button, h, setStatus, showView } from '../dom.ts';
import { ROLE_ABILITY, signedOutText } from '../messages.ts';

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

/** Signed in, but not as a clinician: say what the account can do, and offer sign-out. */
export function showNotClinician(info: StaffInfo, signOut: () => void): void {
  const lines = [
    ...(info.roles ?? []).map((r) => ROLE_ABILITY[r]),
    ...(info.clinics ?? []).flatMap((c) => c.roles.map((r) => (ROLE_ABILITY[r] ? `${ROLE_ABILITY[r]} (clinic ${c.clinicId})` : undefined))),
  ].filter((l): l is string => Boolean(l));
  showView(
    'not-clinician',
    h('h1', {}, 'This console is for clinicians'),
    h('p', {}, `You are signed in${info.name ? ` as ${info.name}` : ''}, but your account does not have the clinician role, so there are no appointments to show here.`),
    ...(lines.length > 0 ? [h('p', {}, 'With this account you can:'), h('ul', {}, ...lines.map((l) => h('li', {}, l)))] : []),
    h('p', {}, 'If you need to see patients by video, ask your administrator for the clinician role.'),
    h('p', {}, button('Sign out', () => signOut(), 'secondary')),
  );
  setStatus('Your account does not have the clinician role.', 'info', false);
}

/** The session ended under the page (signed out elsewhere, idle, revoked). */
export function showSignedOut(via: 'oidc' | 'ticket', idleMinutes: number | null, signIn: () => void): void {
  showView(
    'signed-out',
    h('h1', {}, 'You were signed out'),
    h('p', {}, signedOutText(via, idleMinutes)),
    ...(via === 'oidc' ? [h('p', {}, button('Sign in', () => signIn()))] : []),
  );
  setStatus('You were signed out.', 'info', false);
}
