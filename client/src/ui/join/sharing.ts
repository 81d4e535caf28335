// The guest's chat, photo dialog and file viewer for one consultation
// connection: built when the page connects, disposed when it closes.
import type { Consultation } from '../../model/consultation.ts';
import type { LocalDevices } from '../../model/local-devices.ts';
import { Thread } from '../../model/thread.ts';
import { t } from '../../i18n/i18n.ts';
import { button } from '../dom.ts';
import { FileViewer } from '../file-viewer.ts';
import { PhotoDialog } from '../photo-dialog.ts';
import { ThreadView } from '../thread-view.ts';

export interface Sharing {
  thread: Thread;
  chat: ThreadView;
  photo: PhotoDialog;
  viewer: FileViewer;
}

export interface SharingHost {
  local: LocalDevices;
  clinicianName(): string;
  /** Whether the page shows the call now (a photo request opens its dialog only then). */
  inCall(): boolean;
}

export function startSharing(c: Consultation, host: SharingHost): Sharing {
  const thread = new Thread(c);
  const viewer = new FileViewer(thread, false);
  const photo = new PhotoDialog(thread, () => host.clinicianName(), host.local);
  const back = () => chat.messageBox;
  const chat: ThreadView = new ThreadView({
    thread,
    nameOf: (id) => c.view?.participants.find((p) => p.id === id)?.name ?? t('join:people.anotherPerson'),
    openFile: (item) => viewer.open(item, back),
    answerRequest: (item) => photo.open(item, back),
    actions: [button(t('join:sharing.sendPhotoOrFile'), () => photo.open(null, back), 'secondary')],
    collapsible: true,
  });
  // A photo request opens the dialog at once (on the page it is addressed to).
  thread.subscribe((change) => {
    if (!('item' in change) || !change.live || !host.inCall()) return;
    const item = change.item;
    if (item.kind === 'photo-request' && item.to === thread.selfId) {
      viewer.close();
      photo.open(item, back);
    }
  });
  return { thread, chat, photo, viewer };
}

export function stopSharing(s: Sharing): void {
  s.chat.detach();
  s.photo.dispose();
  s.viewer.dispose();
  s.thread.dispose();
}
