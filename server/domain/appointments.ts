// Appointments and their one-time links: what a booking system (or trust IT)
// asks for over the REST API. Pure logic over the store interfaces.
import { AppError } from '../core/errors.ts';
import { randomId, type AppointmentId, type ClinicId, type LinkId } from '../core/ids.ts';
import { cleanText } from '../core/text.ts';
import type { TokenService } from './access/tokens.ts';
import type { DomainBus, EventRecorder } from './events.ts';
import type { Actor, Appointment, GuestRole, Link, Participant } from './model.ts';
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
}

export interface CreatedAppointment {
  appointment: Appointment;
  clinicianUrl: string;
  patientUrl: string;
  patientLinkId: LinkId;
}

export interface AppointmentDetail {
  appointment: Appointment;
  links: (Link & { bound: boolean })[];
  participants: Participant[];
}

const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);

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

  /** Seconds a record about this appointment is kept: until its links expire, plus retention. */
  ttlFor(a: Pick<Appointment, 'startsAt' | 'durationMinutes'>): number {
    const until = this.endOf(a) + this.#policy.graceMinutes * 60 + this.#policy.retentionHours * 3600;
    return Math.max(60, until - Math.floor(this.#now().getTime() / 1000));
  }

  async create(input: NewAppointment, actor: Actor): Promise<CreatedAppointment> {
    const start = Date.parse(input.startsAt);
    if (!Number.isFinite(start)) throw new AppError('BAD_REQUEST', 'startsAt must be a date and time.', { details: [{ key: 'body.startsAt', problem: 'not a date-time' }] });
    if (start + input.durationMinutes * 60_000 < this.#now().getTime()) {
      throw new AppError('BAD_REQUEST', 'The appointment would already be over.', { details: [{ key: 'body.startsAt', problem: 'in the past' }] });
    }
    const clinician = { id: input.clinician.id, name: displayName(input.clinician.name, 'body.clinician.name') };
    const patientName = displayName(input.patient.name, 'body.patient.name');
    const clinicId = input.clinicId as ClinicId | undefined;
    if (clinicId !== undefined && !(await this.#stores.clinics.get(clinicId))) {
      throw new AppError('NOT_FOUND', 'No such clinic.', { details: [{ key: 'body.clinicId', problem: 'no such clinic' }] });
    }
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
    };
    await this.#stores.appointments.create(appointment, this.ttlFor(appointment));
    await this.#events.record('appointment.created', appointment.id, actor);
    const { link, url } = await this.#issueLink(appointment, 'patient', patientName, actor);
    return { appointment, clinicianUrl: this.clinicianUrl(clinician, appointment.id), patientUrl: url, patientLinkId: link.id };
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

  async #issueLink(a: Appointment, role: GuestRole, name: string, actor: Actor): Promise<{ link: Link; url: string }> {
    const expiresAt = this.endOf(a) + this.#policy.graceMinutes * 60;
    const link: Link = {
      id: randomId<LinkId>(),
      appointmentId: a.id,
      role,
      name,
      createdAt: this.#now().toISOString(),
      expiresAt: new Date(expiresAt * 1000).toISOString(),
      revoked: false,
    };
    await this.#stores.links.create(link, this.ttlFor(a));
    const token = this.#tokens.signLink({
      linkId: link.id,
      appointmentId: a.id,
      role,
      notBefore: epoch(a.startsAt) - this.#policy.joinEarlyMinutes * 60,
      expiresAt,
    });
    await this.#events.record('link.issued', a.id, actor, { subject: link.id });
    // The token rides in the fragment: browsers never send it to any server, log or Referer.
    return { link, url: `${this.#policy.publicUrl}/join#t=${token}` };
  }

  /**
   * Withdraws a link: it can no longer be redeemed, the sessions made from it
   * stop working, and anyone who came in through it is removed at once.
   */
  async revokeLink(appointmentId: AppointmentId, linkId: LinkId, actor: Actor): Promise<void> {
    const link = await this.#stores.links.get(linkId);
    if (!link || link.appointmentId !== appointmentId) throw new AppError('NOT_FOUND', 'No such link for this appointment.');
    await this.#stores.links.revoke(linkId);
    await this.#events.record('link.revoked', appointmentId, actor, { subject: linkId });
    const holders = (await this.#stores.participants.listForAppointment(appointmentId)).filter((p) => p.linkId === linkId);
    for (const p of holders) {
      const moved = await this.#stores.participants.transition(p.id, ['waiting', 'admitted'], 'removed', this.#now().toISOString());
      if (!moved) continue;
      await this.#events.record('participant.removed', appointmentId, actor, { subject: p.id, reason: 'LINK_REVOKED' });
      this.#bus.safeEmit('participantExpelled', appointmentId, p.id, 'removed');
    }
    if (holders.length > 0) this.#bus.safeEmit('changed', appointmentId);
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

  async #open(appointmentId: AppointmentId): Promise<Appointment> {
    const a = await this.get(appointmentId);
    if (a.status === 'ended') throw new AppError('CONSULTATION_ENDED');
    return a;
  }
}
