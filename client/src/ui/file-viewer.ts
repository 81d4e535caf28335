// The file viewer dialog: a shared photo at full resolution with zoom and pan,
// what was removed from it before anyone saw it, and its SHA-256 fingerprint
// (checked against the bytes this page received). The clinician can save it
// to the record (the file and a metadata sidecar, downloaded) and, where the
// trust has set it up, send it to the record system; others can download it.
import type { ThreadItemView } from '../../../server/wire/thread.ts';
import { modal, type Modal } from './dialog.ts';
import { button, h, say } from './dom.ts';
import { downloadBlob, downloadUrl } from './download.ts';
import { clockTime, fileSize, sharingProblem, shortHash } from './messages.ts';
import { ClientError } from '../net/rpc.ts';
import type { Thread } from '../model/thread.ts';
import { ZoomPan } from './zoom-pan.ts';

const KIND_TEXT: Record<string, string> = { jpeg: 'JPEG photo', png: 'PNG image', heif: 'HEIC photo', pdf: 'PDF document' };

export function describeFile(f: NonNullable<ThreadItemView['file']>): string {
  const dims = f.width && f.height ? `, ${f.width} × ${f.height} pixels` : '';
  return `${KIND_TEXT[f.kind] ?? f.mime}${dims}, ${fileSize(f.size)}`;
}

// The server names what it stripped technically ("EXIF (APP1)"); say what that means.
const PLAIN: [RegExp, string][] = [
  [/^EXIF/i, 'location and camera details (EXIF)'],
  [/XMP/i, 'editing details (XMP)'],
  [/IPTC/i, 'captions and copyright (IPTC)'],
  [/comment|text/i, 'text notes'],
  [/timestamp/i, 'timestamp'],
  [/MPF|thumbnail/i, 'extra preview images'],
  [/trailer/i, 'hidden data after the image'],
];

export function removedText(f: NonNullable<ThreadItemView['file']>): string {
  if (!f.removed.length) return 'Nothing needed removing before sharing.';
  const plain = new Set(f.removed.map((r) => PLAIN.find(([re]) => re.test(r))?.[1] ?? `other hidden data (${r})`));
  const list = [...plain].join('; ');
  return `${list[0]!.toUpperCase()}${list.slice(1)} removed before sharing.`;
}

export const isImage = (f: NonNullable<ThreadItemView['file']>): boolean => f.kind !== 'pdf';

async function sha256Hex(blob: Blob): Promise<string | null> {
  if (!crypto.subtle) return null;
  const d = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export class FileViewer {
  readonly #thread: Thread;
  readonly #clinician: boolean;
  readonly #m: Modal;
  readonly #meta = h('p', { class: 'meta' });
  readonly #img = h('img', { alt: '' });
  readonly #viewport = h('div', { class: 'viewport', tabindex: '0', role: 'region', 'aria-describedby': 'viewer-hint' }, this.#img);
  readonly #zoomLevel = h('output', { class: 'zoom-level' });
  readonly #zoomBar: HTMLElement;
  readonly #hint = h('p', { id: 'viewer-hint', class: 'hint' }, 'Drag, scroll or use the arrow keys to move around; the mouse wheel, + and − zoom.');
  readonly #noPreview = h('p', { class: 'note' });
  readonly #removed = h('p', { class: 'removed' });
  readonly #hashShort = h('span', { class: 'sha256-short' });
  readonly #hashFull = h('code', { class: 'sha256' });
  readonly #hashCheck = h('p', { class: 'hash-check' });
  readonly #result = h('p', { class: 'result', role: 'status' });
  readonly #save: HTMLButtonElement;
  readonly #deliver: HTMLButtonElement;
  readonly #download: HTMLButtonElement;
  readonly #zoom: ZoomPan;
  #item: ThreadItemView | null = null;
  #gen = 0;

  constructor(thread: Thread, clinician: boolean) {
    this.#thread = thread;
    this.#clinician = clinician;
    this.#m = modal('viewer', () => {
      this.#gen++;
      this.#item = null;
      this.#img.removeAttribute('src');
    });
    this.#zoom = new ZoomPan(this.#viewport, this.#img, (t) => (this.#zoomLevel.textContent = t));
    this.#zoomBar = h(
      'div',
      { class: 'zoom', role: 'group', 'aria-label': 'Zoom' },
      button('Zoom in', () => this.#zoom.zoomBy(1.25), 'secondary'),
      button('Zoom out', () => this.#zoom.zoomBy(1 / 1.25), 'secondary'),
      button('Fit', () => this.#zoom.fit(), 'secondary'),
      this.#zoomLevel,
    );
    this.#save = button('Save to record', () => void this.#saveToRecord());
    this.#deliver = button('Send to record system', () => void this.#sendToRecordSystem(), 'secondary');
    this.#download = button('Download', () => void this.#downloadFile());
    this.#img.addEventListener('load', () => {
      if (this.#item) this.#thread.viewed(this.#item);
    });
    this.#img.addEventListener('error', () => {
      if (!this.#img.getAttribute('src')) return;
      this.#showPreview(false, 'This browser cannot show this photo. Save it to open it in another program.');
    });
    this.#m.el.append(
      this.#meta,
      this.#zoomBar,
      this.#viewport,
      this.#hint,
      this.#noPreview,
      this.#removed,
      h('details', { class: 'hash' }, h('summary', {}, 'SHA-256 fingerprint: ', this.#hashShort), this.#hashFull, this.#hashCheck),
      h('div', { class: 'actions' }, ...(clinician ? [this.#save, this.#deliver] : [this.#download]), button('Close', () => this.close(), 'secondary')),
      this.#result,
    );
  }

  get isOpen(): boolean {
    return this.#m.isOpen;
  }

  open(item: ThreadItemView, fallback?: () => HTMLElement | null): void {
    const f = item.file;
    if (!f) return;
    const gen = ++this.#gen;
    this.#item = item;
    this.#m.title.textContent = f.name;
    this.#meta.textContent = `From ${item.from.id === this.#thread.selfId ? 'you' : item.from.name} at ${clockTime(item.at)}. ${describeFile(f)}.`;
    this.#removed.textContent = removedText(f);
    this.#hashShort.textContent = shortHash(f.sha256);
    this.#hashShort.title = f.sha256;
    this.#hashFull.textContent = f.sha256;
    this.#hashCheck.textContent = '';
    this.#result.textContent = '';
    this.#result.removeAttribute('data-tone');
    this.#deliver.hidden = !this.#thread.limits.recordSystem;
    this.#download.textContent = `Download ${f.name}`;
    this.#viewport.setAttribute('aria-label', `${KIND_TEXT[f.kind] ?? 'File'} ${f.name}`);
    this.#img.alt = `${KIND_TEXT[f.kind] ?? 'Photo'} ${f.name} from ${item.from.name}`;
    this.#showPreview(isImage(f), isImage(f) ? '' : 'PDF documents open in your own PDF reader.');
    this.#m.open(isImage(f) ? null : this.#clinician ? this.#save : this.#download, fallback);
    void this.#load(item, gen);
  }

  close(): void {
    this.#m.close();
  }

  dispose(): void {
    this.#m.remove();
    this.#zoom.disconnect();
  }

  #showPreview(image: boolean, note: string): void {
    this.#zoomBar.hidden = !image;
    this.#viewport.hidden = !image;
    this.#hint.hidden = !image;
    this.#noPreview.hidden = !note;
    this.#noPreview.textContent = note;
  }

  async #load(item: ThreadItemView, gen: number): Promise<void> {
    const f = item.file!;
    try {
      const blob = await this.#thread.blob(f.id);
      if (gen !== this.#gen) return;
      if (isImage(f)) this.#img.src = await this.#thread.objectUrl(f.id);
      const hex = await sha256Hex(blob);
      if (gen !== this.#gen || hex === null) return;
      const ok = hex === f.sha256;
      this.#hashCheck.textContent = ok
        ? 'Checked: the copy on this screen matches this fingerprint.'
        : 'Warning: the copy on this screen does not match this fingerprint. Do not rely on it.';
      this.#hashCheck.classList.toggle('flag', !ok);
    } catch (e) {
      if (gen === this.#gen) this.#say(`We could not load this file. ${this.#problem(e)}`, 'error');
    }
  }

  async #saveToRecord(): Promise<void> {
    const f = this.#item?.file;
    if (!f) return;
    this.#save.disabled = true;
    this.#say('Saving…');
    try {
      const { sidecar } = await this.#thread.save(f.id);
      downloadUrl(await this.#thread.fileUrl(f.id, true), f.name);
      downloadBlob(new Blob([JSON.stringify(sidecar, null, 2)], { type: 'application/json' }), `${f.name}.json`);
      this.#say(`Saved to your downloads: ${f.name} and its record details, ${f.name}.json.`, 'ok');
    } catch (e) {
      this.#say(`We could not save this file. ${this.#problem(e)}`, 'error');
    } finally {
      this.#save.disabled = false;
    }
  }

  async #sendToRecordSystem(): Promise<void> {
    const f = this.#item?.file;
    if (!f) return;
    this.#deliver.disabled = true;
    this.#say('Sending to the record system…');
    try {
      const { deliveredAt } = await this.#thread.deliver(f.id);
      this.#say(`Sent to the record system at ${clockTime(deliveredAt)}.`, 'ok');
    } catch (e) {
      this.#say(`We could not send this file to the record system. ${this.#problem(e)}`, 'error');
    } finally {
      this.#deliver.disabled = false;
    }
  }

  async #downloadFile(): Promise<void> {
    const item = this.#item;
    if (!item?.file) return;
    try {
      downloadUrl(await this.#thread.fileUrl(item.file.id, true), item.file.name);
      this.#thread.viewed(item);
      this.#say(`${item.file.name} is in your downloads.`, 'ok');
    } catch (e) {
      this.#say(`We could not download this file. ${this.#problem(e)}`, 'error');
    }
  }

  #problem(e: unknown): string {
    return e instanceof ClientError ? sharingProblem(e.code, e.message) : 'Please try again.';
  }

  #say(text: string, tone?: 'ok' | 'error'): void {
    say(this.#result, text, tone);
  }
}
