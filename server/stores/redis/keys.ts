// Every key the Redis stores use, under one prefix. Ids are base64url (clinic
// ids are slugs), so a ':' after the kind can never be confused with part of
// an id. User ids come from the identity provider and may hold anything, so
// they only ever end a key name.
import type { ApiKeyId, AppointmentId, ClinicId, DeviceId, FileId, LinkId, ParticipantId, SessionId } from '../../core/ids.ts';

export interface Keys {
  appointment(id: AppointmentId): string;
  /** Sorted set: appointment ids scored by startsAt (epoch ms). */
  clinicianAppointments(clinicianId: string): string;
  /** Prefix of clinicianAppointments (the move script builds the old clinician's key from it). */
  clinicianAppointmentsPrefix: string;
  /** Sorted set: a clinic's appointment ids scored by startsAt (epoch ms). */
  clinicAppointments(id: ClinicId): string;
  /** Prefix of clinicAppointments (for the move script). */
  clinicAppointmentsPrefix: string;
  link(id: LinkId): string;
  /** Hash: each device's participant on the link (field: device id), and `holder`, the first device. */
  linkClaims(id: LinkId): string;
  /** Sorted set: link ids scored by an insertion counter. */
  appointmentLinks(id: AppointmentId): string;
  participant(id: ParticipantId): string;
  /** Sorted set: participant ids scored by an insertion counter. */
  appointmentParticipants(id: AppointmentId): string;
  session(id: SessionId): string;
  /** The SHA-256 (base64url) of an issued device's secret. */
  device(id: DeviceId): string;
  /** Prefix of userSessions; userSessions(userId) = userSessionsPrefix + userId (the delete script builds it). */
  userSessionsPrefix: string;
  /** Sorted set: a staff member's session ids scored by createdAt (epoch ms); lives as long as their longest session. */
  userSessions(userId: string): string;
  /** A used single-use token (a console ticket's jti), keyed by its SHA-256 (hex). */
  usedToken(tokenHash: string): string;
  /** A sign-in in progress (JSON), keyed by the SHA-256 (hex) of its id (the id itself is never a key name). */
  login(idHash: string): string;
  /** A clinic (JSON). No TTL. */
  clinic(id: ClinicId): string;
  /** Set of every clinic id. No TTL. */
  clinics: string;
  /** Hash: a clinic's members (field: user id, value: ClinicMember JSON). No TTL. */
  clinicMembers(id: ClinicId): string;
  /** Set of the clinic ids a user is a member of (kept in step with clinicMembers). No TTL. */
  userClinics(userId: string): string;
  /** A staff member as last signed in (StaffRecord JSON). No TTL. */
  staff(userId: string): string;
  /** A clinician's running-late notice (RunningLateRecord JSON), kept a few hours. */
  runningLate(clinicianId: string): string;
  /** An API key's record (JSON). No TTL. */
  apiKey(id: ApiKeyId): string;
  /** Sorted set: every API key id scored by createdAt (epoch ms). No TTL. */
  apiKeys: string;
  /** Stream of a trust's audit records, entry id `<seq>-0`. Trust ids hold no ':'. */
  auditLog(trustId: string): string;
  /** Hash { seq, hash } of the last record in auditLog. */
  auditHead(trustId: string): string;
  /** Stream of one appointment's audit records (copies, same entry ids). */
  auditAppointment(trustId: string, id: AppointmentId): string;
  /** List of an appointment's thread items (JSON). */
  thread(id: AppointmentId): string;
  /** Prefix of file records; fileRecord(id) = fileRecordPrefix + id. */
  fileRecordPrefix: string;
  fileRecord(id: FileId): string;
  /** Sorted set: file ids scored by an insertion counter. */
  appointmentFiles(id: AppointmentId): string;
  /** The appointment's file key (base64). */
  fileKey(id: AppointmentId): string;
  /** A fetch grant, keyed by the SHA-256 of its token (the token itself is never a key name). */
  fileGrant(tokenHash: string): string;
  /** Integer: the bytes of files stored for the appointment (its quota). */
  fileBytes(id: AppointmentId): string;
  /** Set of `<way>:<file id>:<participant id>`: who has seen which file, and how. */
  fileSightings(id: AppointmentId): string;
  /** Sorted set: `<kind>:<appointment id>` scored by when that content must be deleted (epoch ms). */
  contentPurges: string;
  /** Integer: events counted under a RateStore key in its current window (expires with the window). */
  rate(key: string): string;
}

export function keysFor(prefix: string): Keys {
  return {
    appointment: (id) => `${prefix}appointment:${id}`,
    clinicianAppointments: (clinicianId) => `${prefix}clinician-appointments:${clinicianId}`,
    clinicianAppointmentsPrefix: `${prefix}clinician-appointments:`,
    clinicAppointments: (id) => `${prefix}clinic-appointments:${id}`,
    clinicAppointmentsPrefix: `${prefix}clinic-appointments:`,
    link: (id) => `${prefix}link:${id}`,
    linkClaims: (id) => `${prefix}link-claims:${id}`,
    appointmentLinks: (id) => `${prefix}appointment-links:${id}`,
    participant: (id) => `${prefix}participant:${id}`,
    appointmentParticipants: (id) => `${prefix}appointment-participants:${id}`,
    session: (id) => `${prefix}session:${id}`,
    device: (id) => `${prefix}device:${id}`,
    userSessionsPrefix: `${prefix}user-sessions:`,
    userSessions: (userId) => `${prefix}user-sessions:${userId}`,
    usedToken: (tokenHash) => `${prefix}used-token:${tokenHash}`,
    login: (idHash) => `${prefix}login:${idHash}`,
    clinic: (id) => `${prefix}clinic:${id}`,
    clinics: `${prefix}clinics`,
    clinicMembers: (id) => `${prefix}clinic-members:${id}`,
    userClinics: (userId) => `${prefix}user-clinics:${userId}`,
    staff: (userId) => `${prefix}staff:${userId}`,
    runningLate: (clinicianId) => `${prefix}running-late:${clinicianId}`,
    apiKey: (id) => `${prefix}api-key:${id}`,
    apiKeys: `${prefix}api-keys`,
    auditLog: (trustId) => `${prefix}audit:${trustId}:log`,
    auditHead: (trustId) => `${prefix}audit:${trustId}:head`,
    auditAppointment: (trustId, id) => `${prefix}audit:${trustId}:appointment:${id}`,
    thread: (id) => `${prefix}thread:${id}`,
    fileRecordPrefix: `${prefix}file:`,
    fileRecord: (id) => `${prefix}file:${id}`,
    appointmentFiles: (id) => `${prefix}appointment-files:${id}`,
    fileKey: (id) => `${prefix}file-key:${id}`,
    fileGrant: (tokenHash) => `${prefix}file-grant:${tokenHash}`,
    fileBytes: (id) => `${prefix}file-bytes:${id}`,
    fileSightings: (id) => `${prefix}file-sightings:${id}`,
    contentPurges: `${prefix}content-purges`,
    rate: (key) => `${prefix}rate:${key}`,
  };
}
