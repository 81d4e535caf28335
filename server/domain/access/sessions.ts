// Exchanging a token for a device session. A one-time link binds to the first
// device that redeems it, atomically in the store; that device coming back
// goes straight to where it was; any other device is never admitted by the
// link and never displaces the first: it waits, flagged, for the clinician.
// Devices are the server's own (DeviceRegistry): a device cookie the client
// made up is a new device. Once the clinician denies or removes someone who
// came through a link, the link takes no new device (LINK_CLOSED).
import { AppError } from '../../core/errors.ts';
import { isId, randomId, type DeviceId, type ParticipantId, type SessionId } from '../../core/ids.ts';
import { makeActor } from '../actors.ts';
import type { AppointmentService } from '../appointments.ts';
import type { DomainBus, EventRecorder } from '../events.ts';
import type { Appointment, Link, Participant, Session } from '../model.ts';
import type { Stores } from '../stores.ts';
import { DeviceRegistry, type DeviceCredential } from './devices.ts';
import type { TokenService } from './tokens.ts';

export interface DeviceContext {
  /** The device cookie this browser presented, as it came: verified here, never trusted as given. */
  credential?: string | undefined;
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
  /** The device, as the server issued it: its credential goes back in the device cookie. */
  device: DeviceCredential;
}

export interface ClinicianSession {
  session: Extract<Session, { kind: 'clinician' }>;
  ttlSeconds: number;
  device: DeviceCredential;
}

export class SessionService {
  readonly #stores: Stores;
  readonly #tokens: TokenService;
  readonly #appointments: AppointmentService;
  readonly #events: EventRecorder;
  readonly #bus: DomainBus;
  readonly #devices: DeviceRegistry;
  readonly #sessionTtlSeconds: number;
  readonly #now: () => Date;

  constructor(deps: {
    stores: Stores;
    tokens: TokenService;
    appointments: AppointmentService;
    events: EventRecorder;
    bus: DomainBus;
    sessionTtlHours: number;
    now: () => Date;
  }) {
    this.#stores = deps.stores;
    this.#tokens = deps.tokens;
    this.#appointments = deps.appointments;
    this.#events = deps.events;
    this.#bus = deps.bus;
    this.#devices = new DeviceRegistry(deps.stores.sessions);
    this.#sessionTtlSeconds = deps.sessionTtlHours * 3600;
    this.#now = deps.now;
  }

  async #refuse(e: AppError, ctx: DeviceContext, appointmentId: Appointment['id'] | null, subject?: string): Promise<never> {
    const actor = makeActor('anonymous', 'unknown', ctx.address);
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
    if (!link || link.appointmentId !== grant.appointmentId) return this.#refuse(new AppError('TOKEN_INVALID'), ctx, null);
    if (link.revoked) return this.#refuse(new AppError('LINK_REVOKED'), ctx, link.appointmentId, link.id);
    const appointment = await this.#stores.appointments.get(link.appointmentId);
    if (!appointment) return this.#refuse(new AppError('TOKEN_INVALID'), ctx, null);
    if (appointment.status === 'ended') return this.#refuse(new AppError('CONSULTATION_ENDED'), ctx, appointment.id, link.id);

    const ttl = Math.min(this.#sessionTtlSeconds, this.#appointments.ttlFor(appointment));
    const device = await this.#devices.identify(ctx.credential);
    const participant = await this.#participantFor(link, appointment, device.deviceId, ctx);
    if (participant.p.state === 'denied' || participant.p.state === 'removed') {
      return this.#refuse(new AppError('FORBIDDEN', 'The clinician has not let this device into the consultation.'), ctx, appointment.id, link.id);
    }
    await this.#devices.remember(device);
    const session: GuestSession['session'] = {
      id: randomId<SessionId>(),
      kind: 'guest',
      participantId: participant.p.id,
      appointmentId: appointment.id,
      deviceId: device.deviceId,
      expiresAt: new Date(this.#now().getTime() + ttl * 1000).toISOString(),
    };
    await this.#stores.sessions.create(session, ttl);
    return { session, ttlSeconds: ttl, participant: participant.p, appointment, link, resumed: participant.resumed, device };
  }

  /**
   * This device's participant on the link. The store claims (link, device)
   * atomically and the record is created under the claimed id only if absent,
   * so any number of concurrent redemptions from one device make one
   * participant. A device new to the link always starts waiting; a locked
   * consultation or a closed link takes no new device.
   */
  async #participantFor(link: Link, appointment: Appointment, deviceId: DeviceId, ctx: DeviceContext): Promise<{ p: Participant; resumed: boolean }> {
    const keep = this.#appointments.ttlFor(appointment);
    const claim = await this.#stores.links.claim(link.id, deviceId, randomId<ParticipantId>(), keep, { acceptNew: !appointment.locked });
    if (claim.outcome === 'refused') {
      const e =
        claim.reason === 'closed'
          ? new AppError('LINK_CLOSED')
          : claim.reason === 'not-accepting'
            ? new AppError('CONSULTATION_LOCKED')
            : new AppError('TOKEN_INVALID');
      return this.#refuse(e, ctx, appointment.id, link.id);
    }
    if (!claim.created) {
      const existing = await this.#stores.participants.get(claim.participantId);
      if (existing) return { p: existing, resumed: true };
    }
    // Created by this claim, or claimed by a concurrent redemption (or one
    // that failed) that has not stored its record: whichever put lands first holds.
    const reused = !claim.holder;
    const { participant: p, created } = await this.#stores.participants.putIfAbsent(
      {
        id: claim.participantId,
        appointmentId: appointment.id,
        role: link.role,
        name: link.name,
        linkId: link.id,
        deviceId,
        device: ctx.device,
        state: 'waiting',
        linkReused: reused,
        updatedAt: this.#now().toISOString(),
      },
      keep,
    );
    if (!created) return { p, resumed: true };
    const actor = makeActor(link.role, p.id, ctx.address);
    await this.#events.record(reused ? 'link.reused' : 'link.redeemed', appointment.id, actor, { subject: link.id });
    return { p, resumed: false };
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
    const device = await this.#devices.identify(ctx.credential);
    await this.#devices.remember(device);
    const session: ClinicianSession['session'] = {
      id: randomId<SessionId>(),
      kind: 'clinician',
      clinicianId: grant.clinicianId,
      clinicianName: grant.name,
      deviceId: device.deviceId,
      expiresAt: new Date(this.#now().getTime() + ttl * 1000).toISOString(),
    };
    await this.#stores.sessions.create(session, ttl);
    return { session, ttlSeconds: ttl, device };
  }

  /**
   * The live session for a cookie value, or null (unknown, expired or
   * malformed). A guest session whose link was withdrawn is refused with
   * LINK_REVOKED, so revoking shuts out the device that already redeemed it.
   */
  async get(id: string | undefined): Promise<Session | null> {
    if (!isId<SessionId>(id)) return null;
    const s = await this.#stores.sessions.get(id);
    if (!s || Date.parse(s.expiresAt) <= this.#now().getTime()) return null;
    if (s.kind === 'guest') {
      const p = await this.#stores.participants.get(s.participantId);
      const link = p?.linkId ? await this.#stores.links.get(p.linkId) : null;
      if (link?.revoked) throw new AppError('LINK_REVOKED');
    }
    return s;
  }

  /** Ends a session (logout); `sessionEnded` tells the transports to drop its sockets at once. */
  async end(id: string | undefined): Promise<void> {
    if (!isId<SessionId>(id)) return;
    await this.#stores.sessions.delete(id);
    this.#bus.safeEmit('sessionEnded', id);
  }
}
