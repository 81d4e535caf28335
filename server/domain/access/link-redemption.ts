// Exchanging a one-time link's token for a guest's device session. A link
// binds to the first device that redeems it, atomically in the store; that
// device coming back goes straight to where it was; any other device is never
// admitted by the link and never displaces the first: it waits, flagged, for
// the clinician. Devices are the server's own (DeviceRegistry): a device
// cookie the client made up is a new device. Once the clinician denies or
// removes someone who came through a link, the link takes no new device
// (LINK_CLOSED). When a link works is the stored appointment's window (it
// moves with a reschedule), not the token's: the token's exp is only an outer
// bound.
import { AppError } from '../../core/errors.ts';
import { randomId, type DeviceId, type ParticipantId, type SessionId } from '../../core/ids.ts';
import { makeActor } from '../actors.ts';
import { closedError } from '../appointment-state.ts';
import type { AppointmentService } from '../appointments.ts';
import type { EventRecorder } from '../events.ts';
import type { Appointment, Link, Participant, Session } from '../model.ts';
import type { Stores } from '../stores.ts';
import type { DeviceCredential, DeviceRegistry } from './devices.ts';
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

/** Records a refused token (token.rejected, the reason code) and throws the refusal. */
export async function refuseToken(events: EventRecorder, e: AppError, ctx: DeviceContext, appointmentId: Appointment['id'] | null, subject?: string): Promise<never> {
  const actor = makeActor('anonymous', 'unknown', ctx.address);
  await events.record('token.rejected', appointmentId, actor, { outcome: 'refused', reason: e.code, ...(subject ? { subject } : {}) });
  throw e;
}

const DONE: Promise<unknown> = Promise.resolve();

export class LinkRedemption {
  readonly #stores: Stores;
  readonly #tokens: TokenService;
  readonly #appointments: AppointmentService;
  readonly #events: EventRecorder;
  readonly #devices: DeviceRegistry;
  readonly #sessionTtlSeconds: number;
  readonly #now: () => Date;

  constructor(deps: {
    stores: Stores;
    tokens: TokenService;
    appointments: AppointmentService;
    events: EventRecorder;
    devices: DeviceRegistry;
    /** A guest's session lasts at most this long. */
    sessionTtlSeconds: number;
    now: () => Date;
  }) {
    this.#stores = deps.stores;
    this.#tokens = deps.tokens;
    this.#appointments = deps.appointments;
    this.#events = deps.events;
    this.#devices = deps.devices;
    this.#sessionTtlSeconds = deps.sessionTtlSeconds;
    this.#now = deps.now;
  }

  async redeem(token: string, ctx: DeviceContext): Promise<GuestSession> {
    let grant;
    try {
      grant = this.#tokens.verifyLink(token);
    } catch (e) {
      return refuseToken(this.#events, e as AppError, ctx, null);
    }
    // One read for both: the appointment is the one the token names, which its link must belong to.
    const { link, appointment } = await this.#stores.joins.linkAndAppointment(grant.linkId, grant.appointmentId);
    if (!link || link.appointmentId !== grant.appointmentId) return refuseToken(this.#events, new AppError('TOKEN_INVALID'), ctx, null);
    if (link.revoked) return refuseToken(this.#events, new AppError('LINK_REVOKED'), ctx, link.appointmentId, link.id);
    if (!appointment) return refuseToken(this.#events, new AppError('TOKEN_INVALID'), ctx, null);
    const closed = closedError(appointment);
    if (closed) return refuseToken(this.#events, closed, ctx, appointment.id, link.id);
    const shut = this.#outsideWindow(appointment);
    if (shut) return refuseToken(this.#events, shut, ctx, appointment.id, link.id);

    const ttl = Math.min(this.#sessionTtlSeconds, this.#appointments.ttlFor(appointment));
    const device = await this.#devices.identify(ctx.credential);
    const participant = await this.#participantFor(link, appointment, device.deviceId, ctx);
    if (participant.p.state === 'denied' || participant.p.state === 'removed') {
      await participant.recorded;
      return refuseToken(this.#events, new AppError('FORBIDDEN', 'The clinician has not let this device into the consultation.'), ctx, appointment.id, link.id);
    }
    const session: GuestSession['session'] = {
      id: randomId<SessionId>(),
      kind: 'guest',
      participantId: participant.p.id,
      appointmentId: appointment.id,
      linkId: link.id,
      deviceId: device.deviceId,
      expiresAt: new Date(this.#now().getTime() + ttl * 1000).toISOString(),
    };
    // The audit record and both writes at once (one round trip): none needs the
    // others, and any failing fails the redeem (a session nobody holds a cookie for expires).
    await Promise.all([participant.recorded, this.#devices.remember(device), this.#stores.sessions.create(session, ttl)]);
    return { session, ttlSeconds: ttl, participant: participant.p, appointment, link, resumed: participant.resumed, device };
  }

  /** APPOINTMENT_NOT_OPEN (with when it opens) before the window, TOKEN_EXPIRED after it; null inside. */
  #outsideWindow(a: Appointment): AppError | null {
    const { opensAtMs, closesAtMs } = this.#appointments.window(a);
    const now = this.#now().getTime();
    if (now < opensAtMs) return new AppError('APPOINTMENT_NOT_OPEN', { details: [{ key: 'opensAt', problem: new Date(opensAtMs).toISOString() }] });
    if (now > closesAtMs) return new AppError('TOKEN_EXPIRED');
    return null;
  }

  /**
   * This device's participant on the link. The store claims (link, device)
   * atomically and the record is created under the claimed id only if absent,
   * so any number of concurrent redemptions from one device make one
   * participant. A device new to the link always starts waiting; a locked
   * consultation or a closed link takes no new device. `recorded` is the
   * audit record of a new participant, left for the caller to await with its
   * own writes (no handler awaits between here and there).
   */
  async #participantFor(link: Link, appointment: Appointment, deviceId: DeviceId, ctx: DeviceContext): Promise<{ p: Participant; resumed: boolean; recorded: Promise<unknown> }> {
    const keep = this.#appointments.ttlFor(appointment);
    const candidate: Participant = {
      id: randomId<ParticipantId>(),
      appointmentId: appointment.id,
      role: link.role,
      name: link.name,
      linkId: link.id,
      deviceId,
      device: ctx.device,
      state: 'waiting',
      linkReused: false,
      updatedAt: this.#now().toISOString(),
    };
    // The claim and the participant record in one step (the store sets linkReused for a device that is not the link's holder).
    const claim = await this.#stores.joins.claimParticipant(link.id, deviceId, candidate, keep, { acceptNew: !appointment.locked });
    if (claim.outcome === 'refused') {
      const e =
        claim.reason === 'closed'
          ? new AppError('LINK_CLOSED')
          : claim.reason === 'not-accepting'
            ? new AppError('CONSULTATION_LOCKED')
            : new AppError('TOKEN_INVALID');
      return refuseToken(this.#events, e, ctx, appointment.id, link.id);
    }
    if (!claim.created && claim.participant) return { p: claim.participant, resumed: true, recorded: DONE };
    // Created by this claim, or claimed by a concurrent redemption (or one
    // that failed) that has not stored its record: whichever put lands first holds.
    const reused = !claim.holder;
    const { participant: p, created } = claim.created && claim.participant
      ? { participant: claim.participant, created: true }
      : await this.#stores.participants.putIfAbsent({ ...candidate, id: claim.participantId, linkReused: reused }, keep);
    if (!created) return { p, resumed: true, recorded: DONE };
    const actor = makeActor(link.role, p.id, ctx.address);
    return { p, resumed: false, recorded: this.#events.record(reused ? 'link.reused' : 'link.redeemed', appointment.id, actor, { subject: link.id }) };
  }
}
