// Exchanging a token for a device session. A one-time link binds to the first
// device that redeems it, atomically in the store; that device coming back
// goes straight to where it was; any other device is never admitted by the
// link and never displaces the first: it waits, flagged, for the clinician.
import { AppError } from '../../core/errors.ts';
import { randomId, type DeviceId, type ParticipantId, type SessionId } from '../../core/ids.ts';
import type { AppointmentService } from '../appointments.ts';
import type { EventRecorder } from '../events.ts';
import type { Appointment, Link, Participant, Session } from '../model.ts';
import type { Stores } from '../stores.ts';
import type { TokenService } from './tokens.ts';

export interface DeviceContext {
  /** From the device cookie, when this browser has been here before. */
  deviceId?: DeviceId | undefined;
  /** A short description for the clinician ("Chrome on Android"). */
  device: string;
  /** The client's IP address, for the audit trail. */
  address?: string | undefined;
}

export interface GuestSession {
  session: Extract<Session, { kind: 'guest' }>;
  ttlSeconds: number;
  participant: Participant;
  appointment: Appointment;
  link: Link;
  resumed: boolean;
}

export interface ClinicianSession {
  session: Extract<Session, { kind: 'clinician' }>;
  ttlSeconds: number;
}

export class SessionService {
  readonly #stores: Stores;
  readonly #tokens: TokenService;
  readonly #appointments: AppointmentService;
  readonly #events: EventRecorder;
  readonly #sessionTtlSeconds: number;
  readonly #now: () => Date;

  constructor(deps: {
    stores: Stores;
    tokens: TokenService;
    appointments: AppointmentService;
    events: EventRecorder;
    sessionTtlHours: number;
    now: () => Date;
  }) {
    this.#stores = deps.stores;
    this.#tokens = deps.tokens;
    this.#appointments = deps.appointments;
    this.#events = deps.events;
    this.#sessionTtlSeconds = deps.sessionTtlHours * 3600;
    this.#now = deps.now;
  }

  async #refuse(e: AppError, ctx: DeviceContext, appointmentId: Appointment['id'] | null, subject?: string): Promise<never> {
    const actor = { role: 'anonymous' as const, id: 'unknown', ...(ctx.address ? { address: ctx.address } : {}) };
    await this.#events.record('token.rejected', appointmentId, actor, { outcome: 'refused', reason: e.code, ...(subject ? { subject } : {}) });
    throw e;
  }

  async redeemLink(token: string, ctx: DeviceContext): Promise<GuestSession> {
    let grant;
    try {
      grant = this.#tokens.verifyLink(token);
    } catch (e) {
      return this.#refuse(e as AppError, ctx, null);
    }
    const link = await this.#stores.links.get(grant.linkId);
    if (!link || link.appointmentId !== grant.appointmentId) return this.#refuse(new AppError('TOKEN_INVALID', 'This link is not valid.'), ctx, null);
    if (link.revoked) return this.#refuse(new AppError('LINK_REVOKED', 'This link has been withdrawn. Ask the clinic for a new one.'), ctx, link.appointmentId, link.id);
    const appointment = await this.#stores.appointments.get(link.appointmentId);
    if (!appointment) return this.#refuse(new AppError('TOKEN_INVALID', 'This link is not valid.'), ctx, null);
    if (appointment.status === 'ended') return this.#refuse(new AppError('CONSULTATION_ENDED', 'This consultation has ended.'), ctx, appointment.id, link.id);

    const ttl = Math.min(this.#sessionTtlSeconds, this.#appointments.ttlFor(appointment));
    const deviceId = ctx.deviceId ?? randomId<DeviceId>();
    const participant = await this.#participantFor(link, appointment, deviceId, ctx);
    if (participant.state === 'denied' || participant.state === 'removed') {
      return this.#refuse(new AppError('FORBIDDEN', 'The clinician has not let this device into the consultation.'), ctx, appointment.id, link.id);
    }
    const session: GuestSession['session'] = {
      id: randomId<SessionId>(),
      kind: 'guest',
      participantId: participant.p.id,
      appointmentId: appointment.id,
      deviceId,
      expiresAt: new Date(this.#now().getTime() + ttl * 1000).toISOString(),
    };
    await this.#stores.sessions.create(session, ttl);
    return { session, ttlSeconds: ttl, participant: participant.p, appointment, link, resumed: participant.resumed };
  }

  async #participantFor(
    link: Link,
    appointment: Appointment,
    deviceId: DeviceId,
    ctx: DeviceContext,
  ): Promise<{ p: Participant; resumed: boolean; state: Participant['state'] }> {
    // Locked: only devices already known on this link may come back, and the
    // link is not bound to a device that is turned away.
    if (appointment.locked) {
      const known = (await this.#stores.participants.listForAppointment(appointment.id)).find((p) => p.linkId === link.id && p.deviceId === deviceId);
      if (known) return { p: known, resumed: true, state: known.state };
      return this.#refuse(new AppError('CONSULTATION_LOCKED', 'The clinician has locked this consultation. Contact the clinic.'), ctx, appointment.id, link.id);
    }
    const candidate = randomId<ParticipantId>();
    const bind = await this.#stores.links.bind(link.id, deviceId, candidate, this.#appointments.ttlFor(appointment));
    let existing: Participant | null = null;
    if (bind.outcome === 'same-device') existing = await this.#stores.participants.get(bind.participantId);
    if (bind.outcome === 'other-device') {
      const all = await this.#stores.participants.listForAppointment(appointment.id);
      existing = all.find((p) => p.linkId === link.id && p.deviceId === deviceId) ?? null;
    }
    if (existing) return { p: existing, resumed: true, state: existing.state };
    const reused = bind.outcome === 'other-device';
    const p: Participant = {
      id: bind.outcome === 'bound' ? candidate : randomId<ParticipantId>(),
      appointmentId: appointment.id,
      role: link.role,
      name: link.name,
      linkId: link.id,
      deviceId,
      device: ctx.device,
      state: 'waiting',
      linkReused: reused,
      updatedAt: this.#now().toISOString(),
    };
    await this.#stores.participants.put(p, this.#appointments.ttlFor(appointment));
    const actor = { role: link.role, id: p.id, ...(ctx.address ? { address: ctx.address } : {}) };
    await this.#events.record(reused ? 'link.reused' : 'link.redeemed', appointment.id, actor, { subject: link.id });
    return { p, resumed: false, state: p.state };
  }

  /** Which kind of token this claims to be (unverified: only to pick the verifier). */
  audienceOf(token: string): 'clinician' | 'link' {
    return this.#tokens.audienceOf(token);
  }

  async startClinician(token: string, ctx: DeviceContext): Promise<ClinicianSession> {
    let grant;
    try {
      grant = this.#tokens.verifyClinician(token);
    } catch (e) {
      return this.#refuse(e as AppError, ctx, null);
    }
    const ttl = Math.max(60, Math.min(this.#sessionTtlSeconds, grant.expiresAt - Math.floor(this.#now().getTime() / 1000)));
    const session: ClinicianSession['session'] = {
      id: randomId<SessionId>(),
      kind: 'clinician',
      clinicianId: grant.clinicianId,
      clinicianName: grant.name,
      deviceId: ctx.deviceId ?? randomId<DeviceId>(),
      expiresAt: new Date(this.#now().getTime() + ttl * 1000).toISOString(),
    };
    await this.#stores.sessions.create(session, ttl);
    return { session, ttlSeconds: ttl };
  }

  /**
   * The live session for a cookie value, or null (unknown, expired or
   * malformed). A guest session whose link was withdrawn is refused with
   * LINK_REVOKED, so revoking shuts out the device that already redeemed it.
   */
  async get(id: string | undefined): Promise<Session | null> {
    if (!id || !/^[A-Za-z0-9_-]{22}$/.test(id)) return null;
    const s = await this.#stores.sessions.get(id as SessionId);
    if (!s || Date.parse(s.expiresAt) <= this.#now().getTime()) return null;
    if (s.kind === 'guest') {
      const p = await this.#stores.participants.get(s.participantId);
      const link = p?.linkId ? await this.#stores.links.get(p.linkId) : null;
      if (link?.revoked) throw new AppError('LINK_REVOKED', 'This link has been withdrawn. Ask the clinic for a new one.');
    }
    return s;
  }

  async end(id: string | undefined): Promise<void> {
    if (id && /^[A-Za-z0-9_-]{22}$/.test(id)) await this.#stores.sessions.delete(id as SessionId);
  }
}
