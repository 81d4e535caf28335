// What a consultation may share and how much: the limits FileService is
// configured with, the types each role may send, and the refusals they give.
import { AppError } from '../../core/errors.ts';
import type { Participant } from '../model.ts';

export interface FilePolicy {
  maxBytes: number;
  /** Total bytes stored for one consultation. */
  maxBytesPerConsultation: number;
  /** Whether guests (anyone but the clinician) may share PDFs. */
  guestPdf: boolean;
  retentionSeconds: number;
  urlTtlSeconds: number;
}

/** What may be shared, by content (the page's file picker offers these). */
export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/heic', 'image/heif', 'application/pdf'] as const;
export type AcceptedType = (typeof ACCEPTED_TYPES)[number];

/**
 * What this role may share, by type. A guest's PDF is refused unless the
 * trust allows it: a PDF can carry scripts, launch actions and attachments
 * that no stripping here removes.
 */
export function acceptedFor(policy: FilePolicy, role: Participant['role']): AcceptedType[] {
  return ACCEPTED_TYPES.filter((t) => t !== 'application/pdf' || role === 'clinician' || policy.guestPdf);
}

/** The refusal of a file over maxBytes. */
export function tooLarge(policy: FilePolicy): AppError {
  return new AppError('FILE_TOO_LARGE', `Files can be at most ${Math.floor(policy.maxBytes / (1024 * 1024)) || 1} MB.`);
}

/** The refusal of a file that would take the consultation past its storage quota. */
export function quotaExceeded(): AppError {
  return new AppError('QUOTA_EXCEEDED');
}
