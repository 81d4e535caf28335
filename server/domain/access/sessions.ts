// Sessions: a guest's device session (redeemed from a one-time link, in
// link-redemption.ts) and a staff member's.
//
// Staff sessions live in the store and end on revocation, on sign-out, after
// auth.sessionIdleMinutes unused, or auth.sessionAbsoluteHours after sign-in,
// whichever comes first (staff-sessions.ts). A console link carries a ticket:
// minutes long and single use; with OpenID Connect on, it only opens the
// console of the clinician already signed in as its subject.
import { AppError } from '../../core/errors.ts';
import { isId, type AppointmentId, type SessionId } from '../../core/ids.ts';
import { makeActor } from '../actors.ts';
import type { AppointmentService } from '../appointments.ts';
import type { ClinicService } from '../clinics.ts';
import type { DomainBus, EventRecorder } from '../events.ts';
import type { Actor, Appointment, Participant, Session, StaffPrincipal, StaffSession } from '../model.ts';
import type { Stores } from '../stores.ts';
import { DeviceRegistry, type DeviceCredential } from './devices.ts';
import { LinkRedemption, refuseToken, type DeviceContext, type GuestSession } from './link-redemption.ts';
import { newStaffCookie, staffExpiry, staffSessionIdOf, storeTtlSeconds, TOUCH_EVERY_MS, type StaffExpiry } from './staff-sessions.ts';
import { CLOCK_TOLERANCE_SECONDS, type TokenService } from './tokens.ts';

export type { DeviceContext, GuestSession } from './link-redemption.ts';

/** A staff session as started (or, for a ticket redeemed while signed in, the one already held). */
export interface ClinicianSession {
  session: StaffSession;
  /** The cookie's Max-Age: until the session's absolute end (the server ends it sooner when idle). */
  ttlSeconds: number;
  device: DeviceCredential;
  /**
   * The value for the browser's session cookie. Not the session's id: the
   * store keys the session by a hash of it (staff-sessions.ts). Absent when
   * the browser keeps the cookie it already has.
   */
  cookie?: string;
}

/** A live guest session with its participant and appointment as read to check it (null when gone). */
export interface GuestRecords {
  session: Extract<Session, { kind: 'guest' }>;
  participant: Participant | null;
  appointment: Appointment | null;
}

/** Staff session timing and how console tickets are taken. */
export interface StaffSessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
  /** How long a console ticket lives (auth.ticketTtlMinutes): a ticket claiming to live longer is refused. */
  ticketTtlMinutes: number;
  /** OpenID Connect is configured: a ticket opens only the console of the staff member signed in as its subject. */
  requireSignIn: boolean;
}

const SYSTEM: Actor = { role: 'system', id: 'sessions' };

export class SessionService {
  readonly #stores: Stores;
  readonly #tokens: TokenService;
  readonly #clinics: ClinicService;
  readonly #events: EventRecorder;
  readonly #bus: DomainBus;
  readonly #devices: DeviceRegistry;
  readonly #links: LinkRedemption;
  readonly #staff: StaffSessionPolicy;
  readonly #now: () => Date;

  constructor(deps: {
    stores: Stores;
    tokens: TokenService;
    appointments: AppointmentService;
    clinics: ClinicService;
    events: EventRecorder;
    bus: DomainBus;
    /** A guest's session lasts at most this long. */
    sessionTtlHours: number;
    staff: StaffSessionPolicy;
    now: () => Date;
  }) {
    this.#stores = deps.stores;
    this.#tokens = deps.tokens;
    this.#clinics = deps.clinics;
    this.#events = deps.events;
    this.#bus = deps.bus;
    this.#devices = new DeviceRegistry(deps.stores.sessions);
    this.#links = new LinkRedemption({
      stores: deps.stores,
      tokens: deps.tokens,
      appointments: deps.appointments,
      events: deps.events,
      devices: this.#devices,
      sessionTtlSeconds: deps.sessionTtlHours * 3600,
      now: deps.now,
    });
    this.#staff = deps.staff;
    this.#now = deps.now;
  }

  /** Minutes a staff session may go unused (shown to the console). */
  get idleMinutes(): number {
    return this.#staff.idleMinutes;
  }

  #refuse(e: AppError, ctx: DeviceContext, appointmentId: Appointment['id'] | null, subject?: string): Promise<never> {
    return refuseToken(this.#events, e, ctx, appointmentId, subject);
  }

  /** A guest's one-time link -> a device session (link-redemption.ts). */
  redeemLink(token: string, ctx: DeviceContext): Promise<GuestSession> {
    return this.#links.redeem(token, ctx);
  }

  /** Which kind of token this claims to be (unverified: only to pick the verifier). */
  audienceOf(token: string): 'clinician' | 'link' {
    return this.#tokens.audienceOf(token);
  }

  /**
   * Starts a staff session for someone whose identity was verified (signed in
   * at the identity provider, or a console ticket without one).
   */
  async startStaff(p: StaffPrincipal, ctx: DeviceContext, via: 'oidc' | 'ticket', idp?: { idToken: string; sid?: string }): Promise<ClinicianSession> {
    const now = this.#now();
    const absoluteSeconds = this.#staff.absoluteHours * 3600;
    const device = await this.#devices.identify(ctx.credential);
    await this.#devices.remember(device);
    const { cookie, id } = newStaffCookie();
    const session: StaffSession = {
      id,
      kind: 'clinician',
      clinicianId: p.userId,
      clinicianName: p.name,
      deviceId: device.deviceId,
      expiresAt: new Date(now.getTime() + absoluteSeconds * 1000).toISOString(),
      roles: [...p.roles],
      clinics: p.clinics.map((c) => ({ clinicId: c.clinicId, roles: [...c.roles] })),
      via,
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      idleSeconds: this.#staff.idleMinutes * 60,
      device: ctx.device,
      ...(ctx.address ? { address: ctx.address } : {}),
      ...(idp ? { idp } : {}),
    };
    await this.#stores.sessions.create(session, storeTtlSeconds(session, now.getTime()));
    await this.#events.record('auth.signed_in', null, makeActor('staff', p.userId, ctx.address), { subject: id });
    return { session, ttlSeconds: absoluteSeconds, device, cookie };
  }

  /**
   * A console link's ticket (the clinician JWT, minutes long) -> a staff
   * session, once. With sign-in required, the ticket only confirms the
   * session already held by its subject (no session: SIGN_IN_REQUIRED, and
   * the ticket stays unused for the page to post again after signing in);
   * without, it starts a ticket session with the clinician role.
   */
  async redeemTicket(token: string, ctx: DeviceContext, current: StaffSession | null): Promise<ClinicianSession & { appointmentId?: AppointmentId }> {
    let grant;
    try {
      grant = this.#tokens.verifyClinician(token);
    } catch (e) {
      const err = e instanceof AppError && e.code === 'TOKEN_EXPIRED' ? new AppError('TICKET_EXPIRED') : (e as AppError);
      return this.#refuse(err, ctx, null);
    }
    const nowS = Math.floor(this.#now().getTime() / 1000);
    // A console link minted before tickets became short (hours long) is not a ticket.
    if (grant.expiresAt - nowS > this.#staff.ticketTtlMinutes * 60 + CLOCK_TOLERANCE_SECONDS) return this.#refuse(new AppError('TICKET_EXPIRED'), ctx, null, grant.tokenId);
    if (this.#staff.requireSignIn) {
      if (!current) throw new AppError('SIGN_IN_REQUIRED');
      if (current.clinicianId !== grant.clinicianId) {
        await this.#events.record('access.refused', null, makeActor('staff', current.clinicianId, ctx.address), { outcome: 'refused', reason: 'TICKET_OTHER_USER', subject: grant.tokenId });
        throw new AppError('TICKET_OTHER_USER');
      }
    }
    // Kept while the ticket could still verify, so a second use is always TICKET_USED.
    const claimed = await this.#stores.sessions.claimOnce(grant.tokenId, Math.max(0, grant.expiresAt - nowS) + CLOCK_TOLERANCE_SECONDS + 1);
    if (!claimed) return this.#refuse(new AppError('TICKET_USED'), ctx, null, grant.tokenId);
    // The same person already signed in on this browser keeps their session (and its open consoles).
    if (current && current.clinicianId === grant.clinicianId) {
      const device = await this.#devices.identify(ctx.credential);
      await this.#devices.remember(device);
      await this.#events.record('ticket.redeemed', null, makeActor('staff', current.clinicianId, ctx.address), { subject: current.id });
      return { session: current, ttlSeconds: Math.max(1, Math.floor((Date.parse(current.expiresAt) - this.#now().getTime()) / 1000)), device };
    }
    const principal = await this.#clinics.principalFor(grant.clinicianId, grant.name, ['clinician']);
    const started = await this.startStaff(principal, ctx, 'ticket');
    await this.#events.record('ticket.redeemed', null, makeActor('staff', principal.userId, ctx.address), { subject: started.session.id });
    return started;
  }

  /** Notes a staff session's use: it ends idleSeconds after the last one. At most once per 30 s per session. */
  async touch(s: StaffSession): Promise<void> {
    const nowMs = this.#now().getTime();
    if (nowMs - Date.parse(s.lastSeenAt) < TOUCH_EVERY_MS) return;
    const lastSeenAt = new Date(nowMs).toISOString();
    await this.#stores.sessions.touch(s.id, lastSeenAt, storeTtlSeconds({ ...s, lastSeenAt }, nowMs));
  }

  /** A staff member's live sessions (ended ones are ended on the record as they are found). */
  async listForUser(userId: string): Promise<StaffSession[]> {
    const live: StaffSession[] = [];
    for (const s of await this.#stores.sessions.listForUser(userId)) {
      const why = staffExpiry(s, this.#now().getTime());
      if (why) await this.#expire(s, why);
      else live.push(s);
    }
    return live;
  }

  /**
   * Signs out the staff session of this browser: pass the cookie value as the
   * browser presented it, or the session get() returned for it. Never a
   * stored id: those are shown to auditors and admins.
   */
  async signOut(presented: string | StaffSession | undefined, actor?: Actor): Promise<StaffSession | null> {
    const id = typeof presented === 'object' ? presented.id : staffSessionIdOf(presented);
    const s = id ? await this.#stores.sessions.get(id) : null;
    if (!s || s.kind !== 'clinician' || !(await this.#stores.sessions.delete(s.id))) return null;
    await this.#events.record('auth.signed_out', null, actor ?? makeActor('staff', s.clinicianId), { subject: s.id });
    this.#bus.safeEmit('sessionEnded', s.id);
    return s;
  }

  /** Revokes a staff session by its stored id (the admin API, the CLI); its sockets are cut at once. */
  async revoke(id: string, actor: Actor): Promise<boolean> {
    if (!isId<SessionId>(id)) return false;
    const s = await this.#stores.sessions.get(id);
    if (!s || s.kind !== 'clinician' || !(await this.#stores.sessions.delete(id))) return false;
    await this.#events.record('session.revoked', null, actor, { subject: id });
    this.#bus.safeEmit('sessionEnded', id);
    return true;
  }

  /** Revokes every session of one staff member; how many there were. */
  async revokeUser(userId: string, actor: Actor): Promise<number> {
    let n = 0;
    for (const s of await this.#stores.sessions.listForUser(userId)) if (await this.revoke(s.id, actor)) n++;
    return n;
  }

  async #expire(s: StaffSession, why: StaffExpiry): Promise<void> {
    // Whichever node deletes it records it, once.
    if (!(await this.#stores.sessions.delete(s.id))) return;
    await this.#events.record('session.expired', null, typeof s.clinicianId === 'string' ? makeActor('staff', s.clinicianId) : SYSTEM, { subject: s.id, reason: why });
    this.#bus.safeEmit('sessionEnded', s.id);
  }

  /**
   * The live session for a cookie value, or null (unknown, ended, or not a
   * cookie of that kind). A guest session whose link was withdrawn is refused
   * with LINK_REVOKED, so revoking shuts out the device that already
   * redeemed it. A staff session past its idle or absolute end is ended here
   * (session.expired, its sockets cut).
   */
  async get(cookie: string | undefined): Promise<Session | null> {
    if (isId<SessionId>(cookie)) return (await this.guest(cookie))?.session ?? null;
    const id = staffSessionIdOf(cookie);
    return id ? this.liveStaff(id) : null;
  }

  /**
   * The live guest session for a cookie value with the records read to check
   * it (its participant and appointment, null when gone), for the caller to
   * use rather than read again; null when there is none. LINK_REVOKED as get().
   */
  async guest(cookie: string | undefined): Promise<GuestRecords | null> {
    if (!isId<SessionId>(cookie)) return null;
    const s = await this.#stores.sessions.get(cookie);
    // A staff session's stored id is never its cookie.
    if (!s || s.kind !== 'guest' || Date.parse(s.expiresAt) <= this.#now().getTime()) return null;
    const read = await this.#stores.joins.guestRecords(s.participantId, s.appointmentId, s.linkId ?? null);
    const { participant, appointment } = read;
    // A session from before sessions named their link: the participant names it.
    const linkId = participant?.linkId ?? null;
    const link = s.linkId !== undefined && s.linkId === linkId ? read.link : linkId ? await this.#stores.links.get(linkId) : null;
    if (link?.revoked) throw new AppError('LINK_REVOKED');
    return { session: s, participant, appointment };
  }

  /** The live staff session under its stored id: for the server's own re-checks (an open socket), never for what a client presents. */
  async liveStaff(id: SessionId): Promise<StaffSession | null> {
    const s = await this.#stores.sessions.get(id);
    if (!s || s.kind !== 'clinician') return null;
    const why = staffExpiry(s, this.#now().getTime());
    if (!why) return s;
    await this.#expire(s, why);
    return null;
  }

  /** Ends this browser's session, guest or staff (logout); `sessionEnded` tells the transports to drop its sockets at once. */
  async end(cookie: string | undefined): Promise<void> {
    let id: SessionId | null = staffSessionIdOf(cookie);
    // A bare id ends only a guest session: a staff session's stored id is never its cookie.
    if (isId<SessionId>(cookie) && (await this.#stores.sessions.get(cookie))?.kind === 'guest') id = cookie;
    if (!id || !(await this.#stores.sessions.delete(id))) return;
    this.#bus.safeEmit('sessionEnded', id);
  }
}
