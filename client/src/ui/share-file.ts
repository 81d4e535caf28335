// The clinician's "Share a file" button: an image or a PDF (an exercise sheet,
// a leaflet) for everyone in the call, sent as soon as it is chosen.
import { button, h, setStatus } from './dom.ts';
import { fileSize, sharingProblem } from './messages.ts';
import { t } from '../i18n/i18n.ts';
import { ClientError } from '../net/rpc.ts';
import type { Thread } from '../model/thread.ts';

export function shareFileButton(thread: Thread): HTMLElement {
  const input = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/heic,image/heif,application/pdf', hidden: '', tabindex: '-1' });
  const share = button(t('shared:share.button'), () => input.click(), 'secondary');
  share.setAttribute('aria-describedby', 'share-hint');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    input.value = '';
    if (file) void send(file);
  });
  async function send(file: File): Promise<void> {
    const max = thread.limits.maxFileBytes;
    if (file.size > max) {
      setStatus(t('shared:share.tooBig', { name: file.name, size: fileSize(file.size), max: fileSize(max) }), 'error');
      return;
    }
    share.disabled = true;
    setStatus(t('shared:share.sharing', { name: file.name }));
    try {
      await thread.upload(file, file.name);
      setStatus(t('shared:share.shared', { name: file.name }), 'ok');
    } catch (e) {
      setStatus(t('shared:share.notShared', { name: file.name, reason: e instanceof ClientError ? sharingProblem(e.code, e.message) : t('shared:tryAgain') }), 'error');
    } finally {
      share.disabled = false;
      share.focus();
    }
  }
  return h('span', { class: 'share' }, share, input, h('span', { id: 'share-hint', class: 'sr-only' }, t('shared:share.hint')));
}
