// What one participant is shown of a consultation: plain data, sent as is
// over socket.io (the protocol re-exports these types).

export type ParticipantStateWire = 'waiting' | 'admitted' | 'denied' | 'removed' | 'left';

export interface ParticipantView {
  id: string;
  role: string;
  name: string;
  state: ParticipantStateWire;
  device: string;
  linkReused: boolean;
  waitingSince?: string;
  connected: boolean;
}

/**
 * What a participant is told about themselves. A guest who has not been let in
 * gets no name: a device on a forwarded link carries the patient's name, and
 * the waiting page never shows it (the consent check uses the session answer).
 */
export type SelfView = Omit<ParticipantView, 'name'> & { name?: string };

/**
 * Whether a participant may be told their own name (in their view and their
 * session answer): the clinician, and a guest the clinician has let in. A
 * waiting or flagged device may hold a forwarded link, so it learns only the
 * clinician's name and the appointment's time.
 */
export const mayKnowOwnName = (p: { role: string; state: ParticipantStateWire }): boolean => p.role === 'clinician' || p.state === 'admitted';

/**
 * What one user is shown: the clinician sees everyone; a guest sees only the
 * admitted when admitted. A guest who is waiting sees nobody (no names, no
 * comings and goings), only the clinician's name and the appointment.
 */
export interface ConsultationView {
  appointmentId: string;
  status: 'scheduled' | 'live' | 'ended';
  locked: boolean;
  startsAt: string;
  durationMinutes: number;
  clinicianName: string;
  self: SelfView;
  participants: ParticipantView[];
}


/** One participant as shown to the clinician, the API and the others in the call. */
export function participantView<R extends string>(
  p: { id: string; role: R; name: string; state: ParticipantStateWire; device: string; linkReused: boolean; waitingSince?: string },
  connected: boolean,
): ParticipantView & { role: R } {
  return {
    id: p.id,
    role: p.role,
    name: p.name,
    state: p.state,
    device: p.device,
    linkReused: p.linkReused,
    connected,
    ...(p.waitingSince ? { waitingSince: p.waitingSince } : {}),
  };
}

/** A file as its recipients see it; the bytes are fetched through a short-lived URL (files:url). */
export interface FileView {
  id: string;
  name: string;
  mime: string;
  kind: 'jpeg' | 'png' | 'heif' | 'pdf';
  size: number;
  sha256: string;
  width?: number;
  height?: number;
  /** What was stripped before anyone saw it, e.g. "EXIF (location, device)". */
  removed: string[];
}

/** One entry of the consultation's thread, as shown to one participant. */
export interface ThreadItemView {
  id: string;
  at: string;
  kind: 'text' | 'photo-request' | 'file';
  from: { id: string; role: string; name: string };
  /** Set when only the sender, this participant and the clinician see it. */
  to?: string;
  text?: string;
  file?: FileView;
  /** The photo request a file answers. */
  requestId?: string;
}

/** What may be shared in this consultation (limits for the page to check before sending). */
export interface SharingLimits {
  maxTextLength: number;
  maxFileBytes: number;
  /** Types accepted, by content: JPEG, PNG, HEIC/HEIF and PDF. */
  accept: string[];
  /** The trust has configured delivery to its record system. */
  recordSystem: boolean;
}

/** The metadata sidecar saved beside a file in the clinical record. */
export interface RecordSidecar {
  appointmentId: string;
  fileId: string;
  name: string;
  mime: string;
  size: number;
  sha256: string;
  width?: number;
  height?: number;
  /** When it was sent, and by whom (role and participant id: no names). */
  sentAt: string;
  sentBy: { role: string; participantId: string };
  requestId?: string;
  savedAt: string;
  savedBy: { clinicianId: string };
  metadataRemoved: string[];
}
