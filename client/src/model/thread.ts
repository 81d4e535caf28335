// The consultation's thread (chat, photo requests, shared files) over the
// consultation's own socket: thread:list whenever the socket connects and
// whenever this person's state changes (a waiting person sees only what is
// addressed to them; once admitted, everything), read page by page from the
// latest back (the server answers at most THREAD_PAGE_MAX items at a time),
// thread:item for each new entry. Uploads and file bytes go over HTTP
// (net/files.ts); byte URLs are short-lived, asked for again once expired.
import type { ClientMessage, ClientMessageName, ClientReplies } from '../../../server/wire/socket.ts';
import type { SharingLimits, ThreadItemView } from '../../../server/wire/thread.ts';
import type { Consultation } from './consultation.ts';
import { getFile, uploadFile } from '../net/files.ts';
import { ClientError } from '../net/rpc.ts';

/** What the thread needs of the consultation: its socket's events, its RPC and who this person is. */
export type ThreadConnection = Pick<Consultation, 'socket' | 'rpc' | 'view'>;

export type ThreadListener = (change: { item: ThreadItemView; live: boolean } | { reset: true }) => void;

/** Pages of the thread read back at most (older entries are not shown). */
const MAX_PAGES = 20;

/** Until the server's own limits arrive (they are the ones enforced). */
const DEFAULT_LIMITS: SharingLimits = {
  maxTextLength: 4000,
  maxFileBytes: 20 * 1024 * 1024,
  accept: ['image/jpeg', 'image/png', 'image/heic', 'image/heif', 'application/pdf'],
  recordSystem: false,
};

export class Thread {
  limits: SharingLimits = DEFAULT_LIMITS;
  readonly #c: ThreadConnection;
  readonly #items = new Map<string, ThreadItemView>();
  readonly #listeners = new Set<ThreadListener>();
  readonly #urls = new Map<string, { url: string; expires: number }>();
  readonly #blobs = new Map<string, Promise<Blob>>();
  readonly #objectUrls = new Map<string, Promise<string>>();
  readonly #viewed = new Set<string>();
  #lastState = '';
  #listing = 0;

  constructor(c: ThreadConnection) {
    this.#c = c;
    const s = c.socket;
    s.on('connect', () => {
      this.#lastState = '';
      void this.refresh();
    });
    s.on('thread:item', (item) => this.#add(item, true));
    // Admitted (or sent back): what this person may see has changed.
    s.on('consultation:state', (view) => {
      const was = this.#lastState;
      this.#lastState = view.self.state;
      if (was && was !== view.self.state) void this.refresh();
    });
    if (s.connected) void this.refresh();
  }

  /** Oldest first. */
  get items(): ThreadItemView[] {
    return [...this.#items.values()].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
  }

  get selfId(): string {
    return this.#c.view?.self.id ?? '';
  }

  subscribe(fn: ThreadListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  async refresh(): Promise<void> {
    const n = ++this.#listing;
    const arrivedBefore = new Set(this.#items.keys());
    try {
      let r = await this.#c.rpc.request('thread:list', {});
      const listed = [...r.items];
      for (let page = 1; r.more && r.items.length > 0 && page < MAX_PAGES; page++) {
        if (n !== this.#listing) return;
        r = await this.#c.rpc.request('thread:list', { before: r.items[0]!.id });
        listed.push(...r.items);
      }
      if (n !== this.#listing) return;
      this.limits = r.limits;
      // Keep what arrived live while the list was on its way; drop what is no longer shown.
      for (const id of arrivedBefore) this.#items.delete(id);
      for (const item of listed) this.#items.set(item.id, item);
      this.#emit({ reset: true });
    } catch (e) {
      if (!(e instanceof ClientError && e.code === 'NOT_ADMITTED')) console.warn('could not load the thread', e);
    }
  }

  async send(text: string, to?: string): Promise<ThreadItemView> {
    const { item } = await this.#request('thread:send', to ? { text, to } : { text });
    this.#add(item, false);
    return item;
  }

  async requestPhoto(participantId: string): Promise<ThreadItemView> {
    const { item } = await this.#request('thread:requestPhoto', { participantId });
    this.#add(item, false);
    return item;
  }

  /** Sends a file: to the clinician from a guest, to everyone admitted from the clinician. */
  async upload(body: Blob, name: string, requestId?: string): Promise<ThreadItemView> {
    if (body.size > this.limits.maxFileBytes) throw new ClientError('FILE_TOO_LARGE', '');
    const appointmentId = this.#c.view?.appointmentId;
    if (!appointmentId) throw new ClientError('NETWORK', '');
    const item = await uploadFile(appointmentId, body, name, requestId);
    this.#add(item, false);
    return item;
  }

  /** A URL for the file's bytes (fresh enough to use now). */
  async fileUrl(fileId: string, download = false): Promise<string> {
    if (download) return (await this.#request('files:url', { fileId, download: true })).url;
    const cached = this.#urls.get(fileId);
    if (cached && cached.expires > Date.now() + 5000) return cached.url;
    const r = await this.#request('files:url', { fileId });
    const expires = Date.parse(r.expiresAt);
    this.#urls.set(fileId, { url: r.url, expires: Number.isNaN(expires) ? Date.now() + 60_000 : expires });
    return r.url;
  }

  /** The file's bytes, fetched once per page; an expired URL is asked for again. */
  blob(fileId: string): Promise<Blob> {
    let p = this.#blobs.get(fileId);
    if (!p) {
      p = this.#fetchBlob(fileId);
      p.catch(() => this.#blobs.delete(fileId));
      this.#blobs.set(fileId, p);
    }
    return p;
  }

  /** A blob: URL for showing the file in the page (kept for the page's life, like the bytes). */
  objectUrl(fileId: string): Promise<string> {
    let p = this.#objectUrls.get(fileId);
    if (!p) {
      p = this.blob(fileId).then((b) => URL.createObjectURL(b));
      p.catch(() => this.#objectUrls.delete(fileId));
      this.#objectUrls.set(fileId, p);
    }
    return p;
  }

  async #fetchBlob(fileId: string): Promise<Blob> {
    for (let attempt = 0; ; attempt++) {
      const url = await this.fileUrl(fileId);
      const res = await getFile(url);
      if (res.ok) return res.blob();
      this.#urls.delete(fileId);
      if (attempt > 0 || ![403, 404, 410].includes(res.status)) throw new ClientError('FILE_GONE', '');
    }
  }

  /**
   * The consultation is over for this page: nothing of it stays on the device
   * beyond this point (bytes dropped, blob: URLs revoked, the thread cleared).
   */
  dispose(): void {
    for (const p of this.#objectUrls.values()) void p.then((u) => URL.revokeObjectURL(u), () => undefined);
    this.#objectUrls.clear();
    this.#blobs.clear();
    this.#urls.clear();
    this.#items.clear();
    this.#listeners.clear();
  }

  /** For the audit trail: once per file, only for files someone else sent. */
  viewed(item: ThreadItemView): void {
    const id = item.file?.id;
    if (!id || item.from.id === this.selfId || this.#viewed.has(id)) return;
    this.#viewed.add(id);
    this.#request('files:viewed', { fileId: id }).catch(() => this.#viewed.delete(id));
  }

  save(fileId: string): Promise<ClientReplies['files:save']> {
    return this.#request('files:save', { fileId });
  }

  deliver(fileId: string): Promise<ClientReplies['files:deliver']> {
    return this.#request('files:deliver', { fileId });
  }

  #request<K extends ClientMessageName>(name: K, payload: ClientMessage<K>): Promise<ClientReplies[K]> {
    if (!this.#c.socket.connected) return Promise.reject(new ClientError('NETWORK', ''));
    return this.#c.rpc.request(name, payload);
  }

  #add(item: ThreadItemView, live: boolean): void {
    if (this.#items.has(item.id)) return;
    this.#items.set(item.id, item);
    this.#emit({ item, live });
  }

  #emit(change: Parameters<ThreadListener>[0]): void {
    for (const fn of this.#listeners) fn(change);
  }
}
