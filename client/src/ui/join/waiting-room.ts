// The guest's waiting room: nobody sees or hears them; honest status (does
// the clinician know they are here, are they running late), the clinic's
// message and phone number, the clinician's notes, their own camera preview,
// an offer to be notified when let in, and a way to leave.
import type { ConsultationView } from '../../../../server/wire/participants.ts';
import type { Thread } from '../../model/thread.ts';
import type { DeviceControls } from '../device-controls.ts';
import { t } from '../../i18n/i18n.ts';
import { button, h, setStatus, showView } from '../dom.ts';
import { friendlyTime } from '../messages.ts';
import { previewFigure, withoutTitle } from '../page.ts';
import { waitingNotes } from '../waiting-notes.ts';
import { reusedText } from './consent.ts';
import { notifyOffer } from './let-in-alert.ts';
import { WaitingStatus } from './waiting-status.ts';

export interface WaitingRoomOptions {
  controls: DeviceControls;
  /** The consultation's thread, for the clinician's notes; null when there is none. */
  thread: Thread | null;
  /** Back from the call (sent back), rather than arriving. */
  sentBack: boolean;
  /** The link was used on another device first. */
  reused: boolean;
  leave(): void;
}

export interface WaitingRoom {
  /** A newer view while still waiting: the status lines follow it. */
  update(view: ConsultationView): void;
  /** Stops following the notes. */
  detach(): void;
  /** Says (once, on screen and to screen readers) that the connection check found a slow or limited link. */
  slowConnection(): void;
}

/** Shows the waiting room. */
export function showWaitingRoom(view: ConsultationView, o: WaitingRoomOptions): WaitingRoom {
  const notes = o.thread ? waitingNotes(o.thread, view.clinicianName) : null;
  const status = new WaitingStatus();
  status.update(view);
  const offer = notifyOffer();
  const main = o.sentBack ? t('join:waiting.mainBack') : t('join:waiting.main');
  const { figure } = previewFigure(o.controls, t('join:waiting.previewCaption'));
  const settings = h('details', { class: 'settings' }, h('summary', {}, t('join:waiting.settings')), o.controls.element);
  const slow = h('p', { class: 'slow-connection', hidden: '' });
  const heading = o.sentBack ? t('join:waiting.headingBack') : t('join:waiting.heading');
  showView(
    'waiting',
    h('h1', {}, heading),
    h('p', { class: 'waiting' }, main),
    status.element,
    slow,
    ...(o.reused ? [h('p', { class: 'flag' }, reusedText())] : []),
    h('p', {}, t('join:waiting.appointment', { name: view.clinicianName, time: friendlyTime(view.startsAt) }), ' ', t('join:waiting.unseen')),
    ...(offer ? [offer] : []),
    status.clinicElement,
    ...(notes ? [notes.element] : []),
    h('div', { class: 'check' }, figure, settings),
    button(t('join:waiting.leave'), () => o.leave(), 'secondary'),
  );
  // The focused heading is read first: the announcement adds what it does not say.
  setStatus([withoutTitle(main, heading), status.summary, o.reused ? reusedText() : ''].filter(Boolean).join(' '), 'info', false);
  return {
    update: (v) => status.update(v),
    detach: () => notes?.detach(),
    slowConnection: () => {
      if (!slow.hidden) return;
      slow.textContent = t('join:waiting.slowConnection');
      slow.hidden = false;
      setStatus(slow.textContent, 'info', false);
    },
  };
}
