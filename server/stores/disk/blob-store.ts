// Sealed files on local disk: <dir>/<appointment id>/<file id>.sealed, the
// directories 0700 and the files 0600. A blob is written to a temporary name
// and renamed, so a reader never sees half a file. Ids are checked against
// the id pattern before they become path parts: no traversal.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isId, type AppointmentId, type FileId } from '../../core/ids.ts';
import type { BlobStore } from '../../domain/files/blob-store.ts';

function part(id: string): string {
  if (!isId(id)) throw new RangeError('not an id');
  return id;
}

export function createDiskBlobStore(dir: string): BlobStore {
  const root = path.resolve(dir);
  const appointmentDir = (a: AppointmentId) => path.join(root, part(a));
  const blobPath = (a: AppointmentId, f: FileId) => path.join(appointmentDir(a), `${part(f)}.sealed`);
  const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

  return {
    async put(a, f, sealed) {
      await mkdir(appointmentDir(a), { recursive: true, mode: 0o700 });
      const tmp = `${blobPath(a, f)}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, sealed, { mode: 0o600, flag: 'wx' });
      await rename(tmp, blobPath(a, f));
    },
    async get(a, f) {
      try {
        return await readFile(blobPath(a, f));
      } catch (e) {
        if (missing(e)) return null;
        throw e;
      }
    },
    async delete(a, f) {
      await rm(blobPath(a, f), { force: true });
    },
    async deleteAppointment(a) {
      await rm(appointmentDir(a), { recursive: true, force: true });
    },
    async appointments() {
      try {
        const entries = await readdir(root, { withFileTypes: true });
        return entries.filter((e) => e.isDirectory() && isId(e.name)).map((e) => e.name as AppointmentId);
      } catch (e) {
        if (missing(e)) return [];
        throw e;
      }
    },
  };
}
