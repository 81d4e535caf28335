// Where the sealed (encrypted) bytes of shared files live. The domain only
// ever hands it ciphertext; the key is elsewhere (ThreadStore), so a copy of
// this storage alone reveals nothing. The default is a directory on local
// disk (server/stores/disk/), which trust IT points at their own volume.
import type { AppointmentId, FileId } from '../../core/ids.ts';

export interface BlobStore {
  put(appointmentId: AppointmentId, fileId: FileId, sealed: Buffer): Promise<void>;
  /** null when there is no such blob. */
  get(appointmentId: AppointmentId, fileId: FileId): Promise<Buffer | null>;
  /** Removes one blob (an upload that could not be recorded); no error when absent. */
  delete(appointmentId: AppointmentId, fileId: FileId): Promise<void>;
  /** Removes every blob of the appointment; no error when there are none. */
  deleteAppointment(appointmentId: AppointmentId): Promise<void>;
  /** The appointments that have blobs here (for sweeping leftovers after a crash). */
  appointments(): Promise<AppointmentId[]>;
}
