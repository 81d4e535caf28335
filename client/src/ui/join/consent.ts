// The guest's first screen: the appointment to check (who with, when, which
// clinic), a camera and microphone preview, the clinic's privacy notice, and
// the consent box that enables "Join the waiting room".
import type { SessionInfo } from '../../../../server/wire/session.ts';
import type { LocalDevices } from '../../model/local-devices.ts';
import type { DeviceControls } from '../device-controls.ts';
import { button, h, setStatus, showView } from '../dom.ts';
import { appointmentWith, asRole, WRONG_DETAILS } from '../messages.ts';
import { previewFigure } from '../page.ts';
import { privacyNotice, telLink } from './clinic-details.ts';

export type Guest = Extract<SessionInfo, { kind: 'guest' }>;

export function reusedText(): string {
  return 'This link was already used on another device; the clinician will decide whether to let you in.';
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

export function showConsent(s: Guest, host: ConsentHost): void {
  const { controls, local } = host;
  // The patient's name is not sent until the clinician lets this device in (a
  // forwarded link must not reveal it): the clinician and the time are what the
  // patient checks, and the role says in what capacity a guest joins.
  const about = appointmentWith(s.clinicianName, s.clinic?.name, s.startsAt);
  const as = s.role === 'patient' ? '' : ` You are invited as ${asRole(s.role)}.`;
  const { figure } = previewFigure(controls, 'Your camera. Only you can see this until the clinician lets you in.');
  const notice = privacyNotice(s.clinic);
  const check = h('input', { type: 'checkbox', id: 'consent' });
  const join = h('button', { type: 'button', id: 'join', 'aria-describedby': 'join-hint' }, 'Join the waiting room');
  join.disabled = true;
  const hint = h('p', { id: 'join-hint', class: 'hint' }, 'Tick the box above to continue.');
  check.addEventListener('change', () => {
    join.disabled = !check.checked;
    hint.textContent = check.checked
      ? 'The clinician will let you in when they are ready. Nobody can see or hear you in the waiting room.'
      : 'Tick the box above to continue.';
  });
  const retry = button('Try the camera and microphone again', () => {
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
    setStatus('Connecting you to the waiting room…');
    host.join();
  });
  showView(
    'consent',
    h('h1', {}, 'Your video appointment'),
    h('p', { class: 'lead' }, about + as),
    h('p', {}, `It is booked for ${s.durationMinutes} minutes. ${WRONG_DETAILS}`, ...(s.clinic?.phone ? [' on ', telLink(s.clinic.phone)] : []), '.'),
    ...(s.linkReused ? [h('p', { class: 'flag' }, reusedText())] : []),
    h('h2', {}, 'Check your camera and microphone'),
    h('div', { class: 'check' }, figure, controls.element),
    retry,
    h('h2', {}, 'Join'),
    ...(notice ? [notice] : []),
    h('div', { class: 'consent' }, check, h('label', { for: 'consent' }, s.role === 'patient' ? 'I am the person this appointment is for (or joining for them), and I agree to a video consultation' : 'I was invited to this appointment, and I agree to a video consultation')),
    join,
    hint,
  );
  setStatus(about, 'info', false);
  void host.openLocal().then(() => afterOpen());
}
