// The guest's waiting room: nobody sees or hears them; honest status (does
// the clinician know they are here, are they running late), the clinic's
// message and phone number, the clinician's notes, their own camera preview,
// an offer to be notified when let in, and a way to leave.
import type { ConsultationView } from '../../../../server/wire/participants.ts';
import type { Thread } from '../../model/thread.ts';
import type { DeviceControls } from '../device-controls.ts';
import { button, h, setStatus, showView } from '../dom.ts';
import { when } from '../messages.ts';
import { previewFigure } from '../page.ts';
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
}

/** Shows the waiting room. */
export function showWaitingRoom(view: ConsultationView, o: WaitingRoomOptions): WaitingRoom {
  const notes = o.thread ? waitingNotes(o.thread, view.clinicianName) : null;
  const status = new WaitingStatus();
  status.update(view);
  const offer = notifyOffer();
  const main = o.sentBack
    ? 'You are back in the waiting room. Your clinician will let you in again when they are ready.'
    : 'Your clinician will let you in. Please keep this page open.';
  const { figure } = previewFigure(o.controls, 'Your camera. Only you can see this.');
  const settings = h('details', { class: 'settings' }, h('summary', {}, 'Camera and microphone settings'), o.controls.element);
  showView(
    'waiting',
    h('h1', {}, o.sentBack ? 'You are back in the waiting room' : 'You are in the waiting room'),
    h('p', { class: 'waiting' }, main),
    status.element,
    ...(o.reused ? [h('p', { class: 'flag' }, reusedText())] : []),
    h('p', {}, `Your appointment is with ${view.clinicianName} at ${when(view.startsAt)}. While you wait, nobody can see or hear you.`),
    ...(offer ? [offer] : []),
    status.clinicElement,
    ...(notes ? [notes.element] : []),
    h('div', { class: 'check' }, figure, settings),
    button('Leave the waiting room', () => o.leave(), 'secondary'),
  );
  setStatus([main, status.summary, o.reused ? reusedText() : ''].filter(Boolean).join(' '), 'info', false);
  return {
    update: (v) => status.update(v),
    detach: () => notes?.detach(),
  };
}
