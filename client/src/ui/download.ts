// Saving files to this computer: a same-origin URL or bytes made in the page,
// through a temporary <a download> (the browser's own download, no pop-up).
import { h } from './dom.ts';

export function downloadUrl(url: string, name: string): void {
  const a = h('a', { href: url, download: name, hidden: '' });
  document.body.append(a);
  a.click();
  a.remove();
}

export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  downloadUrl(url, name);
  // The download has started by then; the URL only holds memory.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
