// The domain's records. Plain data: stores persist them as JSON, services
// change them, transports show them. Times are ISO 8601 strings (UTC).
import type { ApiKeyId, AppointmentId, ClinicId, DeviceId, FileId, ItemId, LinkId, ParticipantId, SessionId } from '../core/ids.ts';
import type { ApiScope, StaffRole } from '../wire/auth.ts';
import type { ClinicSettings } from '../wire/clinic-info.ts';
import type { Language } from '../wire/language.ts';
import type { PrecallCheckView } from '../wire/precall.ts';
import type { AlertSettings } from '../wire/staff-socket.ts';
import type { AppointmentStatus, GuestRole, ParticipantState, Role } from '../wire/participants.ts';

// The roles, states and statuses are wire values, declared once in wire/participants.ts.
export { INVITE_ROLES } from '../wire/participants.ts';
export type { AppointmentStatus, GuestRole, ParticipantState, Role };
export type { ApiScope, StaffRole };

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
  /** The clinic it belongs to, if any (a clinic-bound API key or coordinator sees only its own). */
  clinicId?: ClinicId;
  cancelledAt?: string;
  /** Links sent through the notification provider: its ids and last known status (never the number or address). */
  deliveries?: DeliveryRecord[];
  /** Its links' and messages' language (cy: Welsh links, bilingual messages); absent (made before languages): en-GB. */
  language?: Language;
}

export interface DeliveryRecord {
  id: string;
  linkId: LinkId;
  channel: 'sms' | 'email';
  status: 'sending' | 'delivered' | 'failed' | 'unknown';
  at: string;
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
  /** Their pre-call check: camera and microphone as their page reported them, the network measured with the server's own verdict. */
  check?: PrecallCheckView;
  updatedAt: string;
}

/** A staff member's roles in one clinic. */
export interface ClinicRoles {
  clinicId: ClinicId;
  roles: StaffRole[];
}

/**
 * Who a signed-in staff member is and what they may do: trust-wide roles and
 * roles per clinic, from the identity provider's claims (mapped by config) and
 * the clinic memberships recorded here.
 */
export interface StaffPrincipal {
  /** Their stable id at the identity provider (or the booking system's, for a console link). */
  userId: string;
  name: string;
  roles: StaffRole[];
  clinics: ClinicRoles[];
}

export type Session =
  | {
      id: SessionId;
      /** A staff session (the name is historical: every staff member, clinician or not). */
      kind: 'clinician';
      /** StaffPrincipal.userId. */
      clinicianId: string;
      clinicianName: string;
      deviceId: DeviceId;
      /** The absolute end: however busy, the session ends here. */
      expiresAt: string;
      /** Trust-wide roles, as at sign-in. */
      roles: StaffRole[];
      clinics: ClinicRoles[];
      /** oidc: signed in at the identity provider; ticket: a console link without OpenID Connect. */
      via: 'oidc' | 'ticket';
      createdAt: string;
      /** Last use (touched at most every 30 s); the session ends idleSeconds after it. */
      lastSeenAt: string;
      idleSeconds: number;
      /** "Chrome on Windows", for the session list. */
      device: string;
      address?: string;
      /** For RP-initiated sign-out: the ID token (a hint the provider needs) and its session id. Never sent to a browser. */
      idp?: { idToken: string; sid?: string };
    }
  | {
      id: SessionId;
      kind: 'guest';
      participantId: ParticipantId;
      appointmentId: AppointmentId;
      /** The link it was redeemed through (its revocation is checked with the participant, in one read); absent on older sessions. */
      linkId?: LinkId;
      deviceId: DeviceId;
      expiresAt: string;
    };

export type StaffSession = Extract<Session, { kind: 'clinician' }>;

/** A sign-in in progress (between /auth/login and /auth/callback), single use, kept minutes. */
export interface LoginTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Where to go after: a path on this server ("/console?appointment=..."), checked when it is stored. */
  returnTo: string;
  createdAt: string;
}

/** A clinic (a service or team that runs appointments, e.g. "Dermatology, North site"). */
export interface Clinic {
  id: ClinicId;
  name: string;
  /** What patients are shown (phone, privacy notice, waiting-area message). */
  settings: ClinicSettings;
  createdAt: string;
  updatedAt: string;
}

/** "Running late, about N minutes", set for a clinician by the clinic; kept a few hours. */
export interface RunningLateRecord {
  clinicianId: string;
  minutes: number;
  since: string;
  setBy: string;
}

/** A staff member as last seen signing in: their trust-wide roles, so a change is noticed (and audited as role.changed). */
export interface StaffRecord {
  userId: string;
  name: string;
  roles: StaffRole[];
  /** Their arrival-alert settings (sound on or off). */
  alerts?: AlertSettings;
  updatedAt: string;
}

export interface ClinicMember {
  clinicId: ClinicId;
  userId: string;
  roles: StaffRole[];
  /** admin: set through the API or CLI (kept across sign-ins); idp: from the identity provider's groups at the last sign-in (config oidc.clinicMap). */
  source: 'admin' | 'idp';
  updatedAt: string;
}

/**
 * A REST API key. The secret is shown once, at creation; only its SHA-256
 * is kept. A key bound to a clinic acts only on that clinic's records.
 */
export interface ApiKeyRecord {
  id: ApiKeyId;
  name: string;
  /** SHA-256 (base64url) of the secret part of the key. */
  hash: string;
  scopes: ApiScope[];
  clinicId?: ClinicId;
  createdAt: string;
  /** The actor id that created it ("staff:<userId>", "api:<keyId>"). */
  createdBy: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

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
  'auth.signed_in',
  'auth.signed_out',
  'auth.refused',
  'session.revoked',
  'session.expired',
  'ticket.redeemed',
  'role.changed',
  'clinic.created',
  'clinic.updated',
  'clinic.member_set',
  'clinic.member_removed',
  'api_key.created',
  'api_key.revoked',
  'api_key.used',
  'access.refused',
  'appointment.viewed',
  'appointment.cancelled',
  'appointment.rescheduled',
  'appointment.reassigned',
  'link.reissued',
  'link.sent',
  'clinician.running_late',
  'waiting.messaged',
  'alerts.changed',
  'node.drain_requested',
] as const;
export type DomainEventType = (typeof EVENT_TYPES)[number];

export interface Actor {
  /** staff: a signed-in staff member acting outside a consultation (id = their user id); api: an API key (id = its key id). */
  role: Role | 'staff' | 'api' | 'system' | 'anonymous';
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
