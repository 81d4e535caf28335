// Telling a patient whose page is in the background that they have been let
// in: a short chime (ui/chime.ts, WebAudio, no sound file), the tab's title,
// and a notification where the browser already allows them. Permission is only
// ever asked from the patient's own click ("Tell me when I am let in").
import { button, h } from '../dom.ts';
import type { Chime } from '../chime.ts';
import { LET_IN_BODY, LET_IN_TITLE, NOTIFY_OFF, NOTIFY_OFFER, NOTIFY_ON } from '../messages.ts';

const notificationsSupported = (): boolean => typeof Notification !== 'undefined';

/**
 * Let in while the page is hidden: chime (the page's own, made when the
 * patient first used the page, so the browser lets it sound), title, and a notification if
 * already permitted. The page's own title comes back when it is seen again
 * (unless a new view has set another meanwhile). Nothing when the page is visible.
 */
export function alertLetIn(chime: Chime): void {
  if (!document.hidden) return;
  chime.play();
  const restore = document.title;
  document.title = LET_IN_TITLE;
  let note: Notification | null = null;
  if (notificationsSupported() && Notification.permission === 'granted') {
    try {
      note = new Notification(LET_IN_TITLE, { body: LET_IN_BODY, tag: 'consultroom-let-in' });
      note.onclick = () => {
        window.focus();
        note?.close();
      };
    } catch {
      // Some browsers (Android Chrome) only allow notifications from a service worker: the title and chime remain.
    }
  }
  const seen = () => {
    if (document.hidden) return;
    document.removeEventListener('visibilitychange', seen);
    if (document.title === LET_IN_TITLE) document.title = restore;
    note?.close();
  };
  document.addEventListener('visibilitychange', seen);
}

/**
 * "Tell me when I am let in": offered only while the browser has not been
 * asked; one click asks, then the answer is said in words. Null when there is
 * nothing to offer (no support, or already allowed or refused).
 */
export function notifyOffer(): HTMLElement | null {
  if (!notificationsSupported() || Notification.permission !== 'default') return null;
  const said = h('p', { class: 'hint' });
  const ask = button(
    NOTIFY_OFFER,
    () => {
      ask.disabled = true;
      void Notification.requestPermission()
        .catch((): NotificationPermission => 'denied')
        .then((p) => {
          ask.hidden = true;
          said.textContent = p === 'granted' ? NOTIFY_ON : NOTIFY_OFF;
          said.focus();
        });
    },
    'secondary',
  );
  said.tabIndex = -1;
  return h('div', { class: 'notify' }, ask, said);
}
