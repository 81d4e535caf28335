// The consultation state machine over the waiting room: who is waiting, who is
// admitted, and what the clinician may do about it. Every media permission
// derives from requireAdmitted(), which reads the store, so a decision takes
// effect on the very next media request, on any node.
import { AppError } from '../core/errors.ts';
import { randomId, type AppointmentId, type ParticipantId } from '../core/ids.ts';
import { makeActor as by } from './actors.ts';
import { requireOpen } from './appointment-state.ts';
import type { AppointmentService } from './appointments.ts';
import type { DomainBus, EventRecorder } from './events.ts';
import type { Actor, Appointment, Participant, ParticipantState, Session } from './model.ts';
import { ConsultationViews, type ConnectionOf, type VideoPausedOf } from './consultation-views.ts';
import type { Stores } from './stores.ts';
import { checkView } from './waiting-area.ts';
import type { ConsultationView } from '../wire/participants.ts';
import { networkVerdict, type NetworkVerdict, type PrecallCheck } from '../wire/precall.ts';

type ClinicianSession = Extract<Session, { kind: 'clinician' }>;


/** The actor, with the client's IP address when the step came over the network. */

export class ConsultationService {
  readonly #stores: Stores;
  readonly #appointments: AppointmentService;
  readonly #events: EventRecorder;
  readonly #bus: DomainBus;
  readonly #maxParticipants: number;
  readonly #now: () => Date;
  readonly #aware: (a: Appointment) => boolean;
  readonly #admitting = new Map<AppointmentId, Promise<void>>();
  readonly #views: ConsultationViews;

  /** `aware`: whether someone who would be alerted for this appointment has the waiting area open now (the staff socket's StaffPresence). */
  constructor(deps: {
    stores: Stores;
    appointments: AppointmentService;
    events: EventRecorder;
    bus: DomainBus;
    maxParticipants: number;
    now: () => Date;
    aware?: (a: Appointment) => boolean;
  }) {
    this.#aware = deps.aware ?? (() => false);
    this.#stores = deps.stores;
    this.#appointments = deps.appointments;
    this.#events = deps.events;
    this.#bus = deps.bus;
    this.#maxParticipants = deps.maxParticipants;
    this.#now = deps.now;
    this.#views = new ConsultationViews({ stores: deps.stores, bus: deps.bus, now: deps.now, aware: this.#aware });
  }

  async #liveAppointment(id: AppointmentId): Promise<Appointment> {
    const a = await this.#appointments.get(id);
    requireOpen(a);
    return a;
  }

  async #participantOf(appointmentId: AppointmentId, participantId: ParticipantId): Promise<Participant> {
    const p = await this.#stores.participants.get(participantId);
    if (!p || p.appointmentId !== appointmentId) throw new AppError('NOT_IN_CONSULTATION', 'That person is not in this consultation.');
    return p;
  }

  async #clinicianOf(session: ClinicianSession, appointmentId: AppointmentId, address?: string): Promise<{ appointment: Appointment; actor: Actor }> {
    const appointment = await this.#liveAppointment(appointmentId);
    if (appointment.clinician.id !== session.clinicianId) throw new AppError('FORBIDDEN', 'This is not your appointment.');
    return { appointment, actor: by('clinician', session.clinicianId, address) };
  }

  /** A guest's device opened the waiting room (first time, or again after leaving). */
  /** `read`: the participant and appointment as the caller just read them (SessionService.guest), so they are not read again. */
  async enterWaitingRoom(
    participantId: ParticipantId,
    appointmentId: AppointmentId,
    address?: string,
    read?: { participant: Participant | null; appointment: Appointment | null },
  ): Promise<Participant> {
    if (read) {
      if (!read.appointment) throw new AppError('NOT_FOUND', 'No such appointment.');
      requireOpen(read.appointment);
    } else await this.#liveAppointment(appointmentId);
    const p = read ? read.participant : await this.#stores.participants.get(participantId);
    if (!p || p.id !== participantId || p.appointmentId !== appointmentId) throw new AppError('NOT_IN_CONSULTATION', 'That person is not in this consultation.');
    if (p.state === 'denied' || p.state === 'removed') throw new AppError('FORBIDDEN', 'The clinician has not let this device in.');
    if (p.state === 'admitted' || (p.state === 'waiting' && p.waitingSince)) return p; // reconnect: back where it was
    const moved = await this.#stores.participants.transition(p.id, ['waiting', 'left'], 'waiting', this.#now().toISOString());
    if (!moved) return this.#participantOf(appointmentId, participantId);
    await this.#events.record('participant.waiting', appointmentId, by(p.role, p.id, address), { subject: p.id });
    if (moved.waitingSince) this.#bus.safeEmit('arrived', appointmentId, moved.id, moved.waitingSince);
    this.#bus.safeEmit('changed', appointmentId);
    return moved;
  }

  /** The clinician opens their appointment: they are admitted by right, and it goes live. */
  /**
   * Opening a consultation takes being its clinician AND holding the clinician
   * role, trust-wide or in the appointment's clinic (a coordinator or admin
   * session of the same person does not carry media). A refusal is audited.
   */
  async clinicianJoin(session: ClinicianSession, appointmentId: AppointmentId, device: string, address?: string): Promise<Participant> {
    // The appointment and its participants in one read.
    const { appointment, participants: all } = await this.#stores.joins.appointmentWithParticipants(appointmentId);
    if (!appointment) throw new AppError('NOT_FOUND', 'No such appointment.');
    requireOpen(appointment);
    const mayTreat = session.roles?.includes('clinician') || (appointment.clinicId !== undefined && session.clinics?.some((c) => c.clinicId === appointment.clinicId && c.roles.includes('clinician')));
    const refusal =
      appointment.clinician.id !== session.clinicianId
        ? new AppError('FORBIDDEN', 'This is not your appointment.')
        : !mayTreat
          ? new AppError('NOT_PERMITTED', 'Your role does not include consultations in this clinic.')
          : null;
    if (refusal) {
      await this.#events.record('access.refused', appointmentId, by('staff', session.clinicianId, address), { outcome: 'refused', reason: refusal.code, subject: session.id });
      throw refusal;
    }
    const actor = by('clinician', session.clinicianId, address);
    let p = all.find((x) => x.role === 'clinician' && x.clinicianId === session.clinicianId);
    if (!p) {
      p = {
        id: randomId<ParticipantId>(),
        appointmentId,
        role: 'clinician',
        name: session.clinicianName,
        linkId: null,
        clinicianId: session.clinicianId,
        deviceId: session.deviceId,
        device,
        state: 'admitted',
        linkReused: false,
        updatedAt: this.#now().toISOString(),
      };
      await this.#stores.participants.put(p, this.#appointments.ttlFor(appointment));
    } else if (p.state !== 'admitted') {
      p = (await this.#stores.participants.transition(p.id, ['left', 'waiting', 'removed', 'denied'], 'admitted', this.#now().toISOString())) ?? p;
    }
    if (appointment.status === 'scheduled') await this.#stores.appointments.update(appointmentId, { status: 'live' });
    await this.#events.record('participant.joined', appointmentId, actor, { subject: p.id });
    this.#bus.safeEmit('changed', appointmentId);
    return p;
  }

  async #decide(
    session: ClinicianSession,
    appointmentId: AppointmentId,
    participantId: ParticipantId,
    from: readonly ParticipantState[],
    to: ParticipantState,
    type: 'participant.admitted' | 'participant.denied' | 'participant.sent_back' | 'participant.removed',
    address: string | undefined,
  ): Promise<Participant> {
    const { actor } = await this.#clinicianOf(session, appointmentId, address);
    const p = await this.#participantOf(appointmentId, participantId);
    if (p.role === 'clinician') throw new AppError('INVALID_TRANSITION', 'The clinician cannot be sent to the waiting room.');
    // Denying or removing someone closes their link to new devices, in the same atomic step.
    const closeLink = (to === 'denied' || to === 'removed') && p.linkId ? { closeLink: { id: p.linkId, decision: to } } : {};
    const moved = to === 'admitted' ? await this.#admitWithinLimit(appointmentId, p) : await this.#stores.participants.transition(p.id, from, to, this.#now().toISOString(), closeLink);
    if (!moved) throw new AppError('INVALID_TRANSITION', `That person is ${p.state}, so this cannot be done now.`);
    await this.#events.record(type, appointmentId, actor, { subject: p.id });
    if (to !== 'admitted') this.#bus.safeEmit('participantExpelled', appointmentId, p.id, to === 'waiting' ? 'sent-back' : (to as 'denied' | 'removed'));
    this.#bus.safeEmit('changed', appointmentId);
    return moved;
  }

  /**
   * Admits within maxParticipants. Admissions to one appointment queue behind
   * each other on this node; the count is checked again after the atomic
   * transition (and the admission undone if over), which also holds when two
   * nodes admit at the same moment.
   */
  async #admitWithinLimit(appointmentId: AppointmentId, p: Participant): Promise<Participant | null> {
    const previous = this.#admitting.get(appointmentId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const queued = previous.then(() => mine);
    this.#admitting.set(appointmentId, queued);
    await previous;
    try {
      const full = () => new AppError('CONSULTATION_FULL', `A consultation holds at most ${this.#maxParticipants} people.`);
      const admittedNow = async () => (await this.#stores.participants.listForAppointment(appointmentId)).filter((x) => x.state === 'admitted').length;
      if ((await admittedNow()) >= this.#maxParticipants) throw full();
      const moved = await this.#stores.participants.transition(p.id, ['waiting'], 'admitted', this.#now().toISOString());
      if (moved && (await admittedNow()) > this.#maxParticipants) {
        await this.#stores.participants.transition(p.id, ['admitted'], 'waiting', this.#now().toISOString());
        throw full();
      }
      return moved;
    } finally {
      release();
      if (this.#admitting.get(appointmentId) === queued) this.#admitting.delete(appointmentId);
    }
  }

  // `address`: the clinician's IP address, for the audit trail.
  admit(s: ClinicianSession, a: AppointmentId, p: ParticipantId, address?: string) {
    return this.#decide(s, a, p, ['waiting'], 'admitted', 'participant.admitted', address);
  }
  deny(s: ClinicianSession, a: AppointmentId, p: ParticipantId, address?: string) {
    return this.#decide(s, a, p, ['waiting'], 'denied', 'participant.denied', address);
  }
  sendBack(s: ClinicianSession, a: AppointmentId, p: ParticipantId, address?: string) {
    return this.#decide(s, a, p, ['admitted'], 'waiting', 'participant.sent_back', address);
  }
  remove(s: ClinicianSession, a: AppointmentId, p: ParticipantId, address?: string) {
    return this.#decide(s, a, p, ['waiting', 'admitted'], 'removed', 'participant.removed', address);
  }

  async lock(session: ClinicianSession, appointmentId: AppointmentId, locked: boolean, address?: string): Promise<void> {
    const { actor } = await this.#clinicianOf(session, appointmentId, address);
    await this.#stores.appointments.update(appointmentId, { locked });
    await this.#events.record(locked ? 'consultation.locked' : 'consultation.unlocked', appointmentId, actor);
    this.#bus.safeEmit('changed', appointmentId);
  }

  /** Ends it for everyone; every link for it stops working (redemption checks the status). */
  async end(session: ClinicianSession, appointmentId: AppointmentId, address?: string): Promise<void> {
    const { actor } = await this.#clinicianOf(session, appointmentId, address);
    await this.#stores.appointments.update(appointmentId, { status: 'ended', endedAt: this.#now().toISOString() });
    await this.#events.record('consultation.ended', appointmentId, actor);
    this.#bus.safeEmit('consultationEnded', appointmentId);
    this.#bus.safeEmit('changed', appointmentId);
  }

  async leave(participantId: ParticipantId, appointmentId: AppointmentId, address?: string): Promise<void> {
    const p = await this.#participantOf(appointmentId, participantId);
    const moved = await this.#stores.participants.transition(p.id, ['waiting', 'admitted'], 'left', this.#now().toISOString());
    if (!moved) return;
    await this.#events.record('participant.left', appointmentId, by(p.role, p.id, address), { subject: p.id });
    this.#bus.safeEmit('participantExpelled', appointmentId, p.id, 'left');
    this.#bus.safeEmit('changed', appointmentId);
  }

  /** The media guard: throws unless this participant is admitted to this live consultation now. */
  async requireAdmitted(participantId: ParticipantId, appointmentId: AppointmentId): Promise<Participant> {
    await this.#liveAppointment(appointmentId);
    const p = await this.#participantOf(appointmentId, participantId);
    if (p.state !== 'admitted') throw new AppError('NOT_ADMITTED');
    return p;
  }

  /**
   * A waiting guest's pre-call check, shown beside them in the clinic's
   * waiting area: the network verdict is this server's, from the measurements
   * (networkVerdict), never the page's. Returns that verdict (none when the
   * page could not measure the network).
   */
  async recordCheck(participantId: ParticipantId, appointmentId: AppointmentId, check: PrecallCheck): Promise<NetworkVerdict | undefined> {
    await this.#liveAppointment(appointmentId);
    const p = await this.#participantOf(appointmentId, participantId);
    if (p.role === 'clinician') throw new AppError('FORBIDDEN', 'Only someone waiting can report a device check.');
    if (p.state !== 'waiting') throw new AppError('INVALID_TRANSITION', 'The check is for the waiting room.');
    const n = check.network;
    const verdict = n ? networkVerdict(n) : undefined;
    // Field by field (checkView): nothing the page sent beyond the measurements is kept.
    const view = checkView({ camera: check.camera, microphone: check.microphone, ...(n && verdict ? { network: { ...n, verdict } } : {}) });
    if (!(await this.#stores.participants.setCheck(p.id, view))) throw new AppError('NOT_IN_CONSULTATION');
    this.#bus.safeEmit('changed', appointmentId);
    return verdict;
  }

  async participants(appointmentId: AppointmentId): Promise<Participant[]> {
    return this.#stores.participants.listForAppointment(appointmentId);
  }

  /** What one participant is shown (consultation-views.ts). */
  view(participantId: ParticipantId, appointmentId: AppointmentId, isConnected: (id: string) => boolean, connectionOf?: ConnectionOf, videoPausedOf?: VideoPausedOf): Promise<ConsultationView> {
    return this.#views.view(participantId, appointmentId, isConnected, connectionOf, videoPausedOf);
  }

  /** The views of these participants from one read of the appointment and its participants (consultation-views.ts). */
  views(appointmentId: AppointmentId, participantIds: readonly string[], isConnected: (id: string) => boolean, connectionOf?: ConnectionOf, videoPausedOf?: VideoPausedOf): Promise<Map<string, ConsultationView>> {
    return this.#views.views(appointmentId, participantIds, isConnected, connectionOf, videoPausedOf);
  }

  /** views() for guests not admitted, from their own records only (consultation-views.ts). */
  waitingViews(appointmentId: AppointmentId, participantIds: readonly string[], isConnected: (id: string) => boolean, connectionOf?: ConnectionOf, videoPausedOf?: VideoPausedOf): Promise<Map<string, ConsultationView>> {
    return this.#views.waitingViews(appointmentId, participantIds, isConnected, connectionOf, videoPausedOf);
  }
}
