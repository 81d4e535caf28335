// The domain's records. Plain data: stores persist them as JSON, services
// change them, transports show them. Times are ISO 8601 strings (UTC).
import type { AppointmentId, DeviceId, FileId, ItemId, LinkId, ParticipantId, SessionId } from '../core/ids.ts';
import type { AppointmentStatus, GuestRole, ParticipantState, Role } from '../wire/participants.ts';

// The roles, states and statuses are wire values, declared once in wire/participants.ts.
export { INVITE_ROLES } from '../wire/participants.ts';
export type { AppointmentStatus, GuestRole, ParticipantState, Role };

export interface Appointment {
  id: AppointmentId;
  clinician: { id: string; name: string };
  patientName: string;
  startsAt: string;
  durationMinutes: number;
  createdAt: string;
  status: AppointmentStatus;
  locked: boolean;
  endedAt?: string;
}

/** A one-time link. Its id is the jti of the token the URL carries. */
export interface Link {
  id: LinkId;
  appointmentId: AppointmentId;
  role: GuestRole;
  name: string;
  createdAt: string;
  expiresAt: string;
  revoked: boolean;
  /**
   * Set when the clinician denied or removed someone who came in through this
   * link: no new device may redeem it after that (devices already on it still
   * resume their own participant). Recorded in the same atomic step as the decision.
   */
  closedBy?: LinkDecision;
  closedAt?: string;
}

/** The clinician's decisions that close a link to new devices. */
export type LinkDecision = 'denied' | 'removed';

export interface Participant {
  id: ParticipantId;
  appointmentId: AppointmentId;
  role: Role;
  name: string;
  /** The link this participant came in through; null for the clinician. */
  linkId: LinkId | null;
  /** For the clinician's own participant record. */
  clinicianId?: string;
  deviceId: DeviceId;
  /** A short description of the device ("Mobile Safari on iOS"), for the clinician. */
  device: string;
  state: ParticipantState;
  /** True when this device arrived on a link already bound to another device. */
  linkReused: boolean;
  waitingSince?: string;
  updatedAt: string;
}

export type Session =
  | {
      id: SessionId;
      kind: 'clinician';
      clinicianId: string;
      clinicianName: string;
      deviceId: DeviceId;
      expiresAt: string;
    }
  | {
      id: SessionId;
      kind: 'guest';
      participantId: ParticipantId;
      appointmentId: AppointmentId;
      deviceId: DeviceId;
      expiresAt: string;
    };

export const EVENT_TYPES = [
  'appointment.created',
  'link.issued',
  'link.redeemed',
  'link.reused',
  'link.revoked',
  'participant.waiting',
  'participant.admitted',
  'participant.denied',
  'participant.sent_back',
  'participant.removed',
  'participant.joined',
  'participant.left',
  'consultation.locked',
  'consultation.unlocked',
  'consultation.ended',
  'token.rejected',
  'access.rate_limited',
  'chat.sent',
  'chat.deleted',
  'file.requested',
  'file.sent',
  'file.received',
  'file.viewed',
  'file.saved',
  'file.delivered',
  'file.deleted',
] as const;
export type DomainEventType = (typeof EVENT_TYPES)[number];

export interface Actor {
  role: Role | 'api' | 'system' | 'anonymous';
  id: string;
  /** The client's IP address, when the step came over the network (the audit record's source). */
  address?: string;
}

/** One step on the audit trail. Never carries names or tokens: ids only. */
export interface DomainEvent {
  type: DomainEventType;
  at: string;
  appointmentId: AppointmentId | null;
  actor: Actor;
  /** The participant or link the action was about. */
  subject?: string;
  outcome: 'ok' | 'refused';
  /** A reason code for refusals (an ErrorCode), never free text from users. */
  reason?: string;
  /** For file steps: the SHA-256 (hex) of the content as stored and served. */
  sha256?: string;
}

// ---- the consultation's thread: chat, photo requests, shared files ----------

export type ThreadItemKind = 'text' | 'photo-request' | 'file';

/**
 * One entry of a consultation's thread. Kept only while the consultation's
 * content is (chat.retentionSeconds after the end; nothing by default).
 */
export interface ThreadItem {
  id: ItemId;
  appointmentId: AppointmentId;
  at: string;
  kind: ThreadItemKind;
  from: ParticipantId;
  fromRole: Role;
  fromName: string;
  /** Only this participant (and the clinician) sees it: a note to someone still waiting, or a photo request. */
  to?: ParticipantId;
  /** kind 'text': the message. */
  text?: string;
  /** kind 'file': the file shared. */
  fileId?: FileId;
  /** kind 'file': the photo request it answers, if any. */
  requestId?: ItemId;
}

export type FileKind = 'jpeg' | 'png' | 'heif' | 'pdf';

/** A file shared in a consultation. Its bytes are in the BlobStore, encrypted with the consultation's key. */
export interface FileRecord {
  id: FileId;
  appointmentId: AppointmentId;
  at: string;
  from: ParticipantId;
  fromRole: Role;
  kind: FileKind;
  mime: string;
  /** Bytes as stored (after stripping metadata). */
  size: number;
  /** SHA-256 (hex) of the bytes as stored and served. */
  sha256: string;
  /** A display name, already made safe (no path, no control characters). */
  name: string;
  width?: number;
  height?: number;
  requestId?: ItemId;
  /** What was stripped before anyone saw it (for the sidecar and the clinician). */
  removed: string[];
}
