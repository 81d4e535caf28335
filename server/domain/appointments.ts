// Appointments and their one-time links: what a booking system (or trust IT)
// asks for over the REST API: create, invite, revoke, re-issue, cancel,
// reschedule, list. Pure logic over the store interfaces. A link's window
// (when it opens and closes) is the stored appointment's, read at redemption,
// so a rescheduled appointment can keep its links; the token's exp is only an
// outer bound (end + grace + retention, as when it was issued). An
// appointment has a language (the one asked for, else its clinic's, else
// en-GB), kept for its life: its links open the pages in it (joinUrl).
import { AppError } from '../core/errors.ts';
import { randomId, type AppointmentId, type ClinicId, type LinkId } from '../core/ids.ts';
import { cleanText } from '../core/text.ts';
import { DEFAULT_LANGUAGE, LANGUAGE_PARAM, type Language } from '../wire/language.ts';
import type { TokenService } from './access/tokens.ts';
import { decodeCursor, encodeCursor, isAfter, positionOf } from './appointment-cursor.ts';
import { isClosed, requireOpen } from './appointment-state.ts';
import type { DomainBus, EventRecorder } from './events.ts';
import type { Actor, Appointment, GuestRole, Link, Participant } from './model.ts';
import { isWaiting } from './participants.ts';
import type { Stores } from './stores.ts';

export interface AppointmentPolicy {
  publicUrl: string;
  joinEarlyMinutes: number;
  /** Links stay usable this long after the scheduled end (overruns happen). */
  graceMinutes: number;
  retentionHours: number;
  clinicianTokenTtlMinutes: number;
}

export interface NewAppointment {
  clinician: { id: string; name: string };
  patient: { name: string };
  startsAt: string;
  durationMinutes: number;
  /** The clinic it belongs to (one that exists); none: a trust-wide appointment. */
  clinicId?: string | undefined;
  /** Its language; absent: the clinic's setting, else en-GB. */
  language?: Language | undefined;
}

export interface CreatedAppointment {
  appointment: Appointment;
  clinicianUrl: string;
  patientUrl: string;
  patientLinkId: LinkId;
  patientLink: Link;
}

export interface AppointmentDetail {
  appointment: Appointment;
  links: (Link & { bound: boolean })[];
  participants: Participant[];
}

/** A link in place of another (re-issue): the new link, its URL, and the id of the one it replaced. */
export interface ReissuedLink {
  link: Link;
  url: string;
  replaced: LinkId;
}

export interface RescheduleRequest {
  startsAt: string;
  /** Unchanged when absent. */
  durationMinutes?: number | undefined;
  /** keep: the same links work at the new time; reissue: every live link replaced (the old refused). */
  links: 'keep' | 'reissue';
}

export interface ListRequest {
  /** At least one of clinicId and clinicianId. */
  clinicId?: ClinicId | undefined;
  clinicianId?: string | undefined;
  /** Appointments starting in [from, to). */
  from: Date;
  to: Date;
  limit: number;
  /** From the previous page's `next`. */
  cursor?: string | undefined;
}

export interface AppointmentListPage {
  appointments: Appointment[];
  /** The cursor of the next page; absent on the last. */
  next?: string;
}

/** When a link of an appointment works (epoch milliseconds): from opensAtMs to closesAtMs, inclusive. */
export interface LinkWindow {
  opensAtMs: number;
  closesAtMs: number;
}

/**
 * THE join link of a token, for every link made (created, invited,
 * re-issued, sent again): "/join#t=..." in English, "/join?lang=cy#t=..."
 * otherwise, so the page opens in the appointment's language. The token
 * rides in the fragment: browsers never send it to any server, log or Referer.
 */
export function joinUrl(publicUrl: string, token: string, language: Language = DEFAULT_LANGUAGE): string {
  const query = language === DEFAULT_LANGUAGE ? '' : `?${LANGUAGE_PARAM}=${encodeURIComponent(language)}`;
  return `${publicUrl}/join${query}#t=${token}`;
}

/** An appointment's language: made before appointments had one, en-GB. */
export const languageOf = (a: Pick<Appointment, 'language'>): Language => a.language ?? DEFAULT_LANGUAGE;

const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** A name as people will see it (see core/text.ts); one with nothing visible left is refused. */
function displayName(raw: string, key: string): string {
  const name = cleanText(raw, { maxLength: 100 });
  if (name.length === 0) throw new AppError('BAD_REQUEST', 'A name must have visible characters.', { details: [{ key, problem: 'empty' }] });
  return name;
}

export class AppointmentService {
  readonly #stores: Stores;
  readonly #tokens: TokenService;
  readonly #events: EventRecorder;
  readonly #policy: AppointmentPolicy;
  readonly #now: () => Date;
  readonly #bus: DomainBus;

  constructor(deps: { stores: Stores; tokens: TokenService; events: EventRecorder; bus: DomainBus; policy: AppointmentPolicy; now: () => Date }) {
    this.#bus = deps.bus;
    this.#stores = deps.stores;
    this.#tokens = deps.tokens;
    this.#events = deps.events;
    this.#policy = deps.policy;
    this.#now = deps.now;
  }

  endOf(a: Pick<Appointment, 'startsAt' | 'durationMinutes'>): number {
    return epoch(a.startsAt) + a.durationMinutes * 60;
  }

  /** When its links work: joinEarlyMinutes before the start until graceMinutes after the end. */
  window(a: Pick<Appointment, 'startsAt' | 'durationMinutes'>): LinkWindow {
    const start = Date.parse(a.startsAt);
    return { opensAtMs: start - this.#policy.joinEarlyMinutes * 60_000, closesAtMs: start + (a.durationMinutes + this.#policy.graceMinutes) * 60_000 };
  }

  /** The outer bound of its links (seconds since epoch): the end, grace and retention; a link token's exp. */
  outerBound(a: Pick<Appointment, 'startsAt' | 'durationMinutes'>): number {
    return this.endOf(a) + this.#policy.graceMinutes * 60 + this.#policy.retentionHours * 3600;
  }

  /** Seconds a record about this appointment is kept: until its links expire, plus retention. */
  ttlFor(a: Pick<Appointment, 'startsAt' | 'durationMinutes'>): number {
    return Math.max(60, this.outerBound(a) - Math.floor(this.#now().getTime() / 1000));
  }

  /** A start time that parses and an appointment that is not over already (BAD_REQUEST on body.startsAt otherwise). */
  #startOf(startsAt: string, durationMinutes: number): number {
    const start = Date.parse(startsAt);
    if (!Number.isFinite(start)) throw new AppError('BAD_REQUEST', 'startsAt must be a date and time.', { details: [{ key: 'body.startsAt', problem: 'not a date-time' }] });
    if (start + durationMinutes * 60_000 < this.#now().getTime()) {
      throw new AppError('BAD_REQUEST', 'The appointment would already be over.', { details: [{ key: 'body.startsAt', problem: 'in the past' }] });
    }
    return start;
  }

  /** The language a new appointment gets: the one asked for, else its clinic's setting, else en-GB. */
  async languageFor(asked: Language | undefined, clinicId: string | undefined): Promise<Language> {
    if (asked !== undefined) return asked;
    const clinic = clinicId === undefined ? null : await this.#stores.clinics.get(clinicId as ClinicId);
    return clinic?.settings.language ?? DEFAULT_LANGUAGE;
  }

  async create(input: NewAppointment, actor: Actor): Promise<CreatedAppointment> {
    const start = this.#startOf(input.startsAt, input.durationMinutes);
    const clinician = { id: input.clinician.id, name: displayName(input.clinician.name, 'body.clinician.name') };
    const patientName = displayName(input.patient.name, 'body.patient.name');
    const clinicId = input.clinicId as ClinicId | undefined;
    if (clinicId !== undefined && !(await this.#stores.clinics.get(clinicId))) {
      throw new AppError('NOT_FOUND', 'No such clinic.', { details: [{ key: 'body.clinicId', problem: 'no such clinic' }] });
    }
    const language = await this.languageFor(input.language, clinicId);
    const appointment: Appointment = {
      id: randomId<AppointmentId>(),
      clinician,
      patientName,
      startsAt: new Date(start).toISOString(),
      durationMinutes: input.durationMinutes,
      createdAt: this.#now().toISOString(),
      status: 'scheduled',
      locked: false,
      ...(clinicId ? { clinicId } : {}),
      language,
    };
    await this.#stores.appointments.create(appointment, this.ttlFor(appointment));
    await this.#events.record('appointment.created', appointment.id, actor);
    const { link, url } = await this.#issueLink(appointment, 'patient', patientName, actor);
    return { appointment, clinicianUrl: this.clinicianUrl(clinician, appointment.id), patientUrl: url, patientLinkId: link.id, patientLink: link };
  }

  /** A console link for the clinician, opening this appointment. */
  clinicianUrl(clinician: { id: string; name: string }, appointmentId?: AppointmentId): string {
    const token = this.#tokens.signClinician({
      clinicianId: clinician.id,
      name: displayName(clinician.name, 'body.clinician.name'),
      tokenId: randomId(),
      expiresAt: Math.floor(this.#now().getTime() / 1000) + this.#policy.clinicianTokenTtlMinutes * 60,
    });
    return `${this.#policy.publicUrl}/console#t=${token}${appointmentId ? `&a=${appointmentId}` : ''}`;
  }

  async invite(appointmentId: AppointmentId, input: { name: string; role: GuestRole }, actor: Actor): Promise<{ link: Link; url: string }> {
    const name = displayName(input.name, 'body.name');
    const a = await this.#open(appointmentId);
    return this.#issueLink(a, input.role, name, actor);
  }

  /**
   * A new link. Link.expiresAt and the token's exp are the outer bound (the
   * record lives as long); when it works is the appointment's window.
   */
  async #issueLink(a: Appointment, role: GuestRole, name: string, actor: Actor): Promise<{ link: Link; url: string }> {
    const link: Link = {
      id: randomId<LinkId>(),
      appointmentId: a.id,
      role,
      name,
      createdAt: this.#now().toISOString(),
      expiresAt: iso(this.outerBound(a)),
      revoked: false,
    };
    await this.#stores.links.create(link, this.ttlFor(a));
    await this.#events.record('link.issued', a.id, actor, { subject: link.id });
    return { link, url: this.linkUrl(link, a) };
  }

  /**
   * The join URL of a stored link of appointment `a`, in its language. Every
   * token minted for a link names the link record, so a fresh one works
   * exactly as the first (and is revoked with it): how a kept link is sent
   * again after a reschedule.
   */
  linkUrl(link: Link, a: Pick<Appointment, 'language'>): string {
    const token = this.#tokens.signLink({ linkId: link.id, appointmentId: link.appointmentId, role: link.role, expiresAt: epoch(link.expiresAt) });
    return joinUrl(this.#policy.publicUrl, token, languageOf(a));
  }

  async #linkOf(appointmentId: AppointmentId, linkId: LinkId): Promise<Link> {
    const link = await this.#stores.links.get(linkId);
    if (!link || link.appointmentId !== appointmentId) throw new AppError('NOT_FOUND', 'No such link for this appointment.');
    return link;
  }

  /**
   * Withdraws a link: it can no longer be redeemed, the sessions made from it
   * stop working, and anyone who came in through it is removed at once.
   */
  async revokeLink(appointmentId: AppointmentId, linkId: LinkId, actor: Actor): Promise<void> {
    await this.#revoke(await this.#linkOf(appointmentId, linkId), actor, 'removed');
  }

  /** Revokes the link and removes whoever came in through it; their pages are told `why`. */
  async #revoke(link: Link, actor: Actor, why: 'removed' | 'link-reissued'): Promise<void> {
    const appointmentId = link.appointmentId;
    await this.#stores.links.revoke(link.id);
    await this.#events.record('link.revoked', appointmentId, actor, { subject: link.id });
    const holders = (await this.#stores.participants.listForAppointment(appointmentId)).filter((p) => p.linkId === link.id);
    for (const p of holders) {
      const moved = await this.#stores.participants.transition(p.id, ['waiting', 'admitted'], 'removed', this.#now().toISOString());
      if (!moved) continue;
      await this.#events.record('participant.removed', appointmentId, actor, { subject: p.id, reason: 'LINK_REVOKED' });
      this.#bus.safeEmit('participantExpelled', appointmentId, p.id, why);
    }
    if (holders.length > 0) this.#bus.safeEmit('changed', appointmentId);
  }

  /**
   * A new link for the same person and role (a patient's too), in place of
   * this one: the new one is made first, then the old revoked (whoever came
   * in through it is removed, their page told 'link-reissued'). A revoked
   * link can be re-issued: it is how a patient whose link was withdrawn gets
   * one again.
   */
  async reissueLink(appointmentId: AppointmentId, linkId: LinkId, actor: Actor): Promise<ReissuedLink> {
    const a = await this.#open(appointmentId);
    return this.#replace(a, await this.#linkOf(appointmentId, linkId), actor);
  }

  async #replace(a: Appointment, old: Link, actor: Actor): Promise<ReissuedLink> {
    const { link, url } = await this.#issueLink(a, old.role, old.name, actor);
    await this.#revoke(old, actor, 'link-reissued');
    await this.#events.record('link.reissued', a.id, actor, { subject: link.id });
    return { link, url, replaced: old.id };
  }

  /**
   * Cancels it: every link is refused from now on (APPOINTMENT_CANCELLED, as
   * is every session made from one), everyone connected is told 'cancelled'
   * and disconnected, and its media room closes. An ended or cancelled
   * appointment cannot be cancelled (INVALID_TRANSITION).
   */
  async cancel(appointmentId: AppointmentId, actor: Actor): Promise<Appointment> {
    const a = await this.get(appointmentId);
    if (isClosed(a)) throw new AppError('INVALID_TRANSITION', `This appointment is ${a.status} already.`);
    const cancelled = await this.#stores.appointments.update(a.id, { status: 'cancelled', cancelledAt: this.#now().toISOString() });
    if (!cancelled) throw new AppError('NOT_FOUND', 'No such appointment.');
    await this.#events.record('appointment.cancelled', a.id, actor);
    this.#bus.safeEmit('consultationEnded', a.id, 'cancelled');
    this.#bus.safeEmit('changed', a.id);
    return cancelled;
  }

  /**
   * Moves it. links 'keep': the same links work in the new window (refused
   * BAD_REQUEST when the new window reaches past a link's outer bound: that
   * move needs 'reissue'); 'reissue': every link not revoked is replaced.
   * Its records are kept for the new time's retention. An ended or cancelled
   * appointment cannot be moved (INVALID_TRANSITION).
   */
  async reschedule(appointmentId: AppointmentId, req: RescheduleRequest, actor: Actor): Promise<{ appointment: Appointment; links: ReissuedLink[] }> {
    const a = await this.get(appointmentId);
    if (isClosed(a)) throw new AppError('INVALID_TRANSITION', `This appointment is ${a.status}; it cannot be moved.`);
    const durationMinutes = req.durationMinutes ?? a.durationMinutes;
    const start = this.#startOf(req.startsAt, durationMinutes);
    const next = { startsAt: new Date(start).toISOString(), durationMinutes };
    const live = (await this.#stores.links.listForAppointment(a.id)).filter((l) => !l.revoked);
    if (req.links === 'keep') {
      const closes = this.window(next).closesAtMs;
      const short = live.find((l) => Date.parse(l.expiresAt) < closes);
      if (short) {
        throw new AppError('BAD_REQUEST', 'The links cannot be kept for a time that far away; reschedule with links "reissue".', {
          details: [{ key: 'body.links', problem: `keep: a link ends at ${short.expiresAt}` }],
        });
      }
    }
    const moved = await this.#stores.appointments.move(a.id, next, this.ttlFor(next));
    if (!moved) throw new AppError('NOT_FOUND', 'No such appointment.');
    await this.#events.record('appointment.rescheduled', a.id, actor, { reason: req.links });
    const links: ReissuedLink[] = [];
    if (req.links === 'reissue') for (const old of live) links.push(await this.#replace(moved, old, actor));
    this.#bus.safeEmit('changed', a.id);
    return { appointment: moved, links };
  }

  /**
   * A clinic's or a clinician's appointments starting in [from, to), by start
   * time then id, a page at a time; `visible` drops those the caller may not
   * see (another clinic's). The cursor is where the previous page stopped.
   */
  async list(req: ListRequest, visible: (a: Appointment) => boolean = () => true): Promise<AppointmentListPage> {
    if (req.clinicId === undefined && req.clinicianId === undefined) {
      throw new AppError('BAD_REQUEST', 'Name a clinic (clinicId) or a clinician (clinicianId).', { details: [{ key: 'query.clinicId', problem: 'clinicId or clinicianId required' }] });
    }
    const after = req.cursor === undefined ? undefined : decodeCursor(req.cursor);
    // The cursor narrows the read: nothing before it can be on this page.
    const from = new Date(Math.max(req.from.getTime(), after?.startsAtMs ?? Number.NEGATIVE_INFINITY)).toISOString();
    const to = req.to.toISOString();
    const all =
      req.clinicId !== undefined
        ? await this.#stores.appointments.listForClinic(req.clinicId, from, to)
        : await this.#stores.appointments.listForClinician(req.clinicianId!, from, to);
    const rest = all.filter((a) => (req.clinicianId === undefined || a.clinician.id === req.clinicianId) && (!after || isAfter(a, after)) && visible(a));
    const page = rest.slice(0, req.limit);
    return rest.length > page.length ? { appointments: page, next: encodeCursor(positionOf(page.at(-1)!)) } : { appointments: page };
  }

  /** The patient's newest link (only one not revoked, with `live`); null when there is none. */
  async patientLink(appointmentId: AppointmentId, opts: { live: boolean }): Promise<Link | null> {
    const links = await this.#stores.links.listForAppointment(appointmentId);
    return links.filter((l) => l.role === 'patient' && (!opts.live || !l.revoked)).at(-1) ?? null;
  }

  /** How many are waiting for this appointment now (as the clinician's lobby counts them). */
  async waitingCount(appointmentId: AppointmentId, isConnected: (participantId: string) => boolean): Promise<number> {
    return (await this.#stores.participants.listForAppointment(appointmentId)).filter((p) => isWaiting(p, isConnected)).length;
  }

  async get(appointmentId: AppointmentId): Promise<Appointment> {
    const a = await this.#stores.appointments.get(appointmentId);
    if (!a) throw new AppError('NOT_FOUND', 'No such appointment.');
    return a;
  }

  async detail(appointmentId: AppointmentId): Promise<AppointmentDetail> {
    const appointment = await this.get(appointmentId);
    const [links, participants] = await Promise.all([
      this.#stores.links.listForAppointment(appointmentId),
      this.#stores.participants.listForAppointment(appointmentId),
    ]);
    const boundLinks = new Set(participants.filter((p) => !p.linkReused && p.linkId).map((p) => p.linkId));
    return { appointment, links: links.map((l) => ({ ...l, bound: boundLinks.has(l.id) })), participants };
  }

  /** Records that someone outside the consultation read this appointment's details (they show the patient's name). */
  async viewed(appointmentId: AppointmentId, actor: Actor): Promise<void> {
    await this.#events.record('appointment.viewed', appointmentId, actor);
  }

  /** The clinician's appointments in the 24 hours from `from` (the start of their day). */
  async listForClinician(clinicianId: string, from: Date): Promise<Appointment[]> {
    const to = new Date(from.getTime() + 86_400_000);
    return this.#stores.appointments.listForClinician(clinicianId, from.toISOString(), to.toISOString());
  }

  /** The appointment, unless it is closed (CONSULTATION_ENDED, APPOINTMENT_CANCELLED). */
  async #open(appointmentId: AppointmentId): Promise<Appointment> {
    const a = await this.get(appointmentId);
    requireOpen(a);
    return a;
  }
}
