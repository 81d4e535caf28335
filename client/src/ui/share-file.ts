// The clinician's "Share a file" button: an image or a PDF (an exercise sheet,
// a leaflet) for everyone in the call, sent as soon as it is chosen.
import { button, h, setStatus } from './dom.ts';
import { fileSize, sharingProblem } from './messages.ts';
import { ClientError } from '../net/rpc.ts';
import type { Thread } from '../model/thread.ts';

export function shareFileButton(thread: Thread): HTMLElement {
  const input = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/heic,image/heif,application/pdf', hidden: '', tabindex: '-1' });
  const share = button('Share a file', () => input.click(), 'secondary');
  share.setAttribute('aria-describedby', 'share-hint');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    input.value = '';
    if (file) void send(file);
  });
  async function send(file: File): Promise<void> {
    const max = thread.limits.maxFileBytes;
    if (file.size > max) {
      setStatus(`${file.name} is too big to share (${fileSize(file.size)}; the most is ${fileSize(max)}).`, 'error');
      return;
    }
    share.disabled = true;
    setStatus(`Sharing ${file.name}…`);
    try {
      await thread.upload(file, file.name);
      setStatus(`${file.name} has been shared with everyone in the call.`, 'ok');
    } catch (e) {
      setStatus(`${file.name} was not shared. ${e instanceof ClientError ? sharingProblem(e.code, e.message) : 'Please try again.'}`, 'error');
    } finally {
      share.disabled = false;
      share.focus();
    }
  }
  return h('span', { class: 'share' }, share, input, h('span', { id: 'share-hint', class: 'sr-only' }, 'An image or PDF, for everyone in the call'));
}
