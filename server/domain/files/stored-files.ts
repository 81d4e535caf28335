// A shared file at rest: sealed with the consultation's key, bound to its
// appointment and id, and checked against its hash when read back. Shared by
// the upload, fetch and record paths so each reads and refuses the same way.
import { createHash } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { FileId } from '../../core/ids.ts';
import type { FileRecord, Participant } from '../model.ts';
import type { Stores } from '../stores.ts';
import type { ThreadService } from '../thread.ts';
import type { BlobStore } from './blob-store.ts';
import { open, seal } from './sealed.ts';

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const aad = (f: Pick<FileRecord, 'appointmentId' | 'id'>) => `${f.appointmentId}/${f.id}`;
/** Every refusal to hand a file over looks the same (no oracle). */
export const gone = () => new AppError('NOT_FOUND', 'That file is not available (it may have expired or been deleted).');

export class StoredFiles {
  readonly #stores: Stores;
  readonly #thread: ThreadService;
  readonly #blobs: BlobStore;

  constructor(deps: { stores: Stores; thread: ThreadService; blobs: BlobStore }) {
    this.#stores = deps.stores;
    this.#thread = deps.thread;
    this.#blobs = deps.blobs;
  }

  /** Seals the bytes with the consultation's key and writes them. */
  async put(file: FileRecord, key: Buffer, bytes: Buffer): Promise<void> {
    await this.#blobs.put(file.appointmentId, file.id, seal(key, bytes, aad(file)));
  }

  async delete(file: FileRecord): Promise<void> {
    await this.#blobs.delete(file.appointmentId, file.id);
  }

  /** The file, when it belongs to the viewer's consultation and its thread item is one they may see. */
  async visible(viewer: Participant, fileId: FileId): Promise<FileRecord> {
    const file = await this.#stores.thread.getFile(fileId);
    if (!file || file.appointmentId !== viewer.appointmentId) throw gone();
    await this.#thread.itemForFile(viewer, fileId);
    return file;
  }

  /** The file's bytes, opened and checked against the hash taken at upload. */
  async read(file: FileRecord): Promise<Buffer> {
    const key = await this.#stores.thread.getKey(file.appointmentId);
    const sealed = key && (await this.#blobs.get(file.appointmentId, file.id));
    if (!key || !sealed) throw gone();
    const bytes = open(key, sealed, aad(file));
    if (sha256(bytes) !== file.sha256) throw gone();
    return bytes;
  }
}
