// The consultation's thread as a participant sees it: messages, photo
// requests and files; what may be shared; the sidecar saved beside a file in
// the clinical record; and the HTTP upload and fetch of a file's bytes.
import { Type, type Static } from 'typebox';
import { Id, Time } from './ids.ts';
import { Role } from './participants.ts';

/** The most thread items one thread:list answer carries (and the default page). */
export const THREAD_PAGE_MAX = 50;

/** A file as its recipients see it; the bytes are fetched through a short-lived URL (files:url). */
export const FileView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  mime: Type.String(),
  kind: Type.Enum(['jpeg', 'png', 'heif', 'pdf']),
  size: Type.Integer(),
  sha256: Type.String({ description: 'SHA-256 (hex) of the bytes as stored and served' }),
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  /** What was stripped before anyone saw it, e.g. "EXIF (location, device)". */
  removed: Type.Array(Type.String(), { description: 'what was stripped before anyone saw it' }),
});
export type FileView = Static<typeof FileView>;

/** One entry of the consultation's thread, as shown to one participant. */
export const ThreadItemView = Type.Object({
  id: Type.String(),
  at: Time(),
  kind: Type.Enum(['text', 'photo-request', 'file']),
  from: Type.Object({ id: Type.String(), role: Role, name: Type.String() }),
  /** Set when only the sender, this participant and the clinician see it. */
  to: Type.Optional(Type.String({ description: 'set when only the sender, this participant and the clinician see it' })),
  text: Type.Optional(Type.String()),
  file: Type.Optional(FileView),
  /** The photo request a file answers. */
  requestId: Type.Optional(Type.String({ description: 'the photo request a file answers' })),
});
export type ThreadItemView = Static<typeof ThreadItemView>;

/** What may be shared in this consultation (limits for the page to check before sending). */
export const SharingLimits = Type.Object({
  maxTextLength: Type.Integer(),
  maxFileBytes: Type.Integer(),
  /** Types accepted, by content: JPEG, PNG, HEIC/HEIF and PDF. */
  accept: Type.Array(Type.String()),
  /** The trust has configured delivery to its record system. */
  recordSystem: Type.Boolean(),
});
export type SharingLimits = Static<typeof SharingLimits>;

/** The metadata sidecar saved beside a file in the clinical record (and sent with it to the record system). */
export const RecordSidecar = Type.Object({
  appointmentId: Type.String(),
  fileId: Type.String(),
  name: Type.String(),
  mime: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  /** When it was sent, and by whom (role and participant id: no names). */
  sentAt: Time(),
  sentBy: Type.Object({ role: Role, participantId: Type.String() }),
  requestId: Type.Optional(Type.String()),
  savedAt: Time(),
  savedBy: Type.Object({ clinicianId: Type.String() }),
  metadataRemoved: Type.Array(Type.String()),
});
export type RecordSidecar = Static<typeof RecordSidecar>;

// ---- HTTP: POST /api/v1/consultations/:appointmentId/files, GET /api/v1/files/:token ----

export const UploadParams = Type.Object({ appointmentId: Id() }, { additionalProperties: false });
export const UploadQuery = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 255, description: "the file's name on the sender's device (shown, never trusted)" })),
    requestId: Type.Optional(Id('the photo request this answers')),
  },
  { additionalProperties: false },
);
export const FetchParams = Type.Object({ token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'from files:url' }) }, { additionalProperties: false });
/** An upload's answer: the new thread entry. */
export const ItemReply = Type.Object({ item: ThreadItemView });
export type ItemReply = Static<typeof ItemReply>;
