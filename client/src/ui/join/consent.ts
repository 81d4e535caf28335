// The guest's first screen: the appointment to check (who with, when, which
// clinic), the clinic's privacy notice, the consent box that enables "Join the
// waiting room", and below them a camera and microphone preview. On a phone
// (360x740) who, the box and Join fit the first screen: the preview is small
// and comes after them (it still helps to check the camera before joining).
import type { SessionInfo } from '../../../../server/wire/session.ts';
import type { LocalDevices } from '../../model/local-devices.ts';
import { t } from '../../i18n/i18n.ts';
import type { DeviceControls } from '../device-controls.ts';
import { button, h, PART, sentence, setStatus, showView } from '../dom.ts';
import { appointmentWith } from '../messages.ts';
import { previewFigure } from '../page.ts';
import { privacyNotice, telLink } from './clinic-details.ts';

export type Guest = Extract<SessionInfo, { kind: 'guest' }>;

export function reusedText(): string {
  return t('join:consent.reused');
}

/** "You are invited as an interpreter." for a guest's role (a patient: nothing). */
function invitedAs(role: string): string {
  switch (role) {
    case 'patient':
      return '';
    case 'interpreter':
      return t('join:consent.invitedAs.interpreter');
    case 'family':
      return t('join:consent.invitedAs.family');
    case 'carer':
      return t('join:consent.invitedAs.carer');
    default:
      return t('join:consent.invitedAs.other');
  }
}

export interface ConsentHost {
  controls: DeviceControls;
  local: LocalDevices;
  /** Opens the camera and microphone (once; again after reopen). */
  openLocal(): Promise<unknown>;
  /** Forgets the last attempt, so openLocal tries again. */
  forgetLocal(): void;
  join(): void;
}

/** "It is booked for 15 minutes. If these details are not right, do not join: contact the clinic on <tel>." */
function bookingLine(s: Guest): HTMLParagraphElement {
  const phone = s.clinic?.phone;
  const wrong = phone ? sentence(t('join:consent.wrongDetailsCall', { phone: PART('phone') }), { phone: telLink(phone) }) : [t('join:consent.wrongDetails')];
  return h('p', { class: 'booking' }, t('join:consent.booked', { count: s.durationMinutes }), ' ', ...wrong);
}

export function showConsent(s: Guest, host: ConsentHost): void {
  const { controls, local } = host;
  // The patient's name is not sent until the clinician lets this device in (a
  // forwarded link must not reveal it): the clinician and the time are what the
  // patient checks, and the role says in what capacity a guest joins.
  const about = appointmentWith(s.clinicianName, s.clinic?.name, s.startsAt);
  const as = invitedAs(s.role);
  const { figure } = previewFigure(controls, t('join:consent.previewCaption'));
  const notice = privacyNotice(s.clinic);
  const check = h('input', { type: 'checkbox', id: 'consent' });
  const join = h('button', { type: 'button', id: 'join', 'aria-describedby': 'join-hint' }, t('join:consent.joinButton'));
  join.disabled = true;
  const hint = h('p', { id: 'join-hint', class: 'hint' }, t('join:consent.hintUnticked'));
  check.addEventListener('change', () => {
    join.disabled = !check.checked;
    hint.textContent = check.checked ? t('join:consent.hintTicked') : t('join:consent.hintUnticked');
  });
  const retry = button(t('join:consent.retryDevices'), () => {
    host.forgetLocal();
    void host.openLocal().then(() => afterOpen());
  }, 'secondary');
  retry.hidden = true;
  const afterOpen = () => {
    retry.hidden = local.hasVideo && local.hasAudio;
  };
  join.addEventListener('click', () => {
    if (!check.checked) return;
    join.disabled = true;
    check.disabled = true;
    setStatus(t('join:consent.connecting'));
    host.join();
  });
  const agree = s.role === 'patient' ? t('join:consent.agreePatient') : t('join:consent.agreeGuest');
  showView(
    'consent',
    h('h1', {}, t('join:consent.heading')),
    h('p', { class: 'lead' }, as ? `${about} ${as}` : about),
    bookingLine(s),
    ...(s.linkReused ? [h('p', { class: 'flag' }, reusedText())] : []),
    ...(notice ? [notice] : []),
    h('div', { class: 'consent' }, check, h('label', { for: 'consent' }, agree)),
    join,
    hint,
    h('h2', {}, t('join:consent.checkHeading')),
    h('div', { class: 'check consent-check' }, figure, controls.element),
    retry,
  );
  setStatus(about, 'info', false);
  void host.openLocal().then(() => afterOpen());
}
