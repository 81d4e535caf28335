// The guest's waiting room: nobody sees or hears them; the clinician's notes
// are shown, with their own camera preview and a way to leave.
import type { ConsultationView } from '../../../../server/wire/participants.ts';
import type { Thread } from '../../model/thread.ts';
import type { DeviceControls } from '../device-controls.ts';
import { button, h, setStatus, showView } from '../dom.ts';
import { when } from '../messages.ts';
import { previewFigure } from '../page.ts';
import { waitingNotes } from '../waiting-notes.ts';
import { reusedText } from './consent.ts';

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

/** Shows the waiting room; returns how to stop following the notes. */
export function showWaitingRoom(view: ConsultationView, o: WaitingRoomOptions): (() => void) | null {
  const notes = o.thread ? waitingNotes(o.thread, view.clinicianName) : null;
  const main = o.sentBack
    ? 'You are back in the waiting room. Your clinician will let you in again when they are ready.'
    : 'Your clinician will let you in. Please keep this page open.';
  const { figure } = previewFigure(o.controls, 'Your camera. Only you can see this.');
  const settings = h('details', { class: 'settings' }, h('summary', {}, 'Camera and microphone settings'), o.controls.element);
  showView(
    'waiting',
    h('h1', {}, o.sentBack ? 'You are back in the waiting room' : 'You are in the waiting room'),
    h('p', { class: 'waiting' }, main),
    ...(o.reused ? [h('p', { class: 'flag' }, reusedText())] : []),
    h('p', {}, `Your appointment is with ${view.clinicianName} at ${when(view.startsAt)}. While you wait, nobody can see or hear you.`),
    ...(notes ? [notes.element] : []),
    h('div', { class: 'check' }, figure, settings),
    button('Leave the waiting room', () => o.leave(), 'secondary'),
  );
  setStatus(o.reused ? `${main} ${reusedText()}` : main, 'info', false);
  return notes?.detach ?? null;
}
