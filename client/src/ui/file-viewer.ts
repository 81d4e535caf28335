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
import { t } from '../i18n/i18n.ts';

type FileKind = 'jpeg' | 'png' | 'heif' | 'pdf';
const KINDS = new Set<string>(['jpeg', 'png', 'heif', 'pdf']);

/** "JPEG photo", or `fallback` for a kind without words of its own. */
function kindText(kind: string, fallback: string): string {
  return KINDS.has(kind) ? t(`shared:file.kind.${kind as FileKind}`) : fallback;
}

export function describeFile(f: NonNullable<ThreadItemView['file']>): string {
  const kind = kindText(f.kind, f.mime);
  const size = fileSize(f.size);
  return f.width && f.height ? t('shared:file.describeSized', { kind, width: f.width, height: f.height, size }) : t('shared:file.describe', { kind, size });
}

// The server names what it stripped technically ("EXIF (APP1)"); say what that means.
const PLAIN: [RegExp, 'exif' | 'xmp' | 'iptc' | 'text' | 'timestamp' | 'previews' | 'trailer'][] = [
  [/^EXIF/i, 'exif'],
  [/XMP/i, 'xmp'],
  [/IPTC/i, 'iptc'],
  [/comment|text/i, 'text'],
  [/timestamp/i, 'timestamp'],
  [/MPF|thumbnail/i, 'previews'],
  [/trailer/i, 'trailer'],
];

export function removedText(f: NonNullable<ThreadItemView['file']>): string {
  if (!f.removed.length) return t('shared:file.removedNothing');
  const plain = new Set(
    f.removed.map((r) => {
      const known = PLAIN.find(([re]) => re.test(r))?.[1];
      return known ? t(`shared:file.removed.${known}`) : t('shared:file.removed.other', { name: r });
    }),
  );
  const sentence = t('shared:file.removedList', { list: [...plain].join('; ') });
  return `${sentence[0]!.toUpperCase()}${sentence.slice(1)}`;
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
  readonly #hint = h('p', { id: 'viewer-hint', class: 'hint' }, t('shared:viewer.hint'));
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
    this.#zoom = new ZoomPan(this.#viewport, this.#img, (text) => (this.#zoomLevel.textContent = text));
    this.#zoomBar = h(
      'div',
      { class: 'zoom', role: 'group', 'aria-label': t('shared:viewer.zoomGroup') },
      button(t('shared:viewer.zoomIn'), () => this.#zoom.zoomBy(1.25), 'secondary'),
      button(t('shared:viewer.zoomOut'), () => this.#zoom.zoomBy(1 / 1.25), 'secondary'),
      button(t('shared:viewer.fit'), () => this.#zoom.fit(), 'secondary'),
      this.#zoomLevel,
    );
    this.#save = button(t('shared:viewer.save'), () => void this.#saveToRecord());
    this.#deliver = button(t('shared:viewer.deliver'), () => void this.#sendToRecordSystem(), 'secondary');
    this.#download = button(t('shared:viewer.download'), () => void this.#downloadFile());
    this.#img.addEventListener('load', () => {
      if (this.#item) this.#thread.viewed(this.#item);
    });
    this.#img.addEventListener('error', () => {
      if (!this.#img.getAttribute('src')) return;
      this.#showPreview(false, t('shared:viewer.cannotShow'));
    });
    this.#m.el.append(
      this.#meta,
      this.#zoomBar,
      this.#viewport,
      this.#hint,
      this.#noPreview,
      this.#removed,
      h('details', { class: 'hash' }, h('summary', {}, t('shared:viewer.fingerprint'), this.#hashShort), this.#hashFull, this.#hashCheck),
      h('div', { class: 'actions' }, ...(clinician ? [this.#save, this.#deliver] : [this.#download]), button(t('shared:viewer.close'), () => this.close(), 'secondary')),
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
    const at = { time: clockTime(item.at), description: describeFile(f) };
    this.#meta.textContent = item.from.id === this.#thread.selfId ? t('shared:viewer.fromYou', at) : t('shared:viewer.from', { ...at, name: item.from.name });
    this.#removed.textContent = removedText(f);
    this.#hashShort.textContent = shortHash(f.sha256);
    this.#hashShort.title = f.sha256;
    this.#hashFull.textContent = f.sha256;
    this.#hashCheck.textContent = '';
    this.#result.textContent = '';
    this.#result.removeAttribute('data-tone');
    this.#deliver.hidden = !this.#thread.limits.recordSystem;
    this.#download.textContent = t('shared:viewer.downloadNamed', { name: f.name });
    this.#viewport.setAttribute('aria-label', t('shared:viewer.viewportLabel', { kind: kindText(f.kind, t('shared:file.kind.file')), name: f.name }));
    this.#img.alt = t('shared:viewer.alt', { kind: kindText(f.kind, t('shared:file.kind.photo')), name: f.name, from: item.from.name });
    this.#showPreview(isImage(f), isImage(f) ? '' : t('shared:viewer.pdfNote'));
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
        ? t('shared:viewer.hashMatch')
        : t('shared:viewer.hashMismatch');
      this.#hashCheck.classList.toggle('flag', !ok);
    } catch (e) {
      if (gen === this.#gen) this.#say(t('shared:viewer.loadFailed', { reason: this.#problem(e) }), 'error');
    }
  }

  async #saveToRecord(): Promise<void> {
    const f = this.#item?.file;
    if (!f) return;
    this.#save.disabled = true;
    this.#say(t('shared:viewer.saving'));
    try {
      const { sidecar } = await this.#thread.save(f.id);
      downloadUrl(await this.#thread.fileUrl(f.id, true), f.name);
      downloadBlob(new Blob([JSON.stringify(sidecar, null, 2)], { type: 'application/json' }), `${f.name}.json`);
      this.#say(t('shared:viewer.saved', { name: f.name }), 'ok');
    } catch (e) {
      this.#say(t('shared:viewer.saveFailed', { reason: this.#problem(e) }), 'error');
    } finally {
      this.#save.disabled = false;
    }
  }

  async #sendToRecordSystem(): Promise<void> {
    const f = this.#item?.file;
    if (!f) return;
    this.#deliver.disabled = true;
    this.#say(t('shared:viewer.sending'));
    try {
      const { deliveredAt } = await this.#thread.deliver(f.id);
      this.#say(t('shared:viewer.sent', { time: clockTime(deliveredAt) }), 'ok');
    } catch (e) {
      this.#say(t('shared:viewer.sendFailed', { reason: this.#problem(e) }), 'error');
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
      this.#say(t('shared:viewer.downloaded', { name: item.file.name }), 'ok');
    } catch (e) {
      this.#say(t('shared:viewer.downloadFailed', { reason: this.#problem(e) }), 'error');
    }
  }

  #problem(e: unknown): string {
    return e instanceof ClientError ? sharingProblem(e.code, e.message) : t('shared:tryAgain');
  }

  #say(text: string, tone?: 'ok' | 'error'): void {
    say(this.#result, text, tone);
  }
}
