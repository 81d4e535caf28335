// What clinic staff may do from the waiting area: write a note to someone
// waiting (their clinician, or a coordinator of the clinic) and give a
// waiting patient's appointment to another clinician of the clinic
// (coordinators). Every step is audited with ids only.
import { AppError } from '../core/errors.ts';
import { randomId, type AppointmentId, type ParticipantId } from '../core/ids.ts';
import { makeActor as by } from './actors.ts';
import type { AppointmentService } from './appointments.ts';
import type { DomainBus, EventRecorder } from './events.ts';
import type { Appointment, StaffSession } from './model.ts';
import type { Stores } from './stores.ts';
import type { ThreadService } from './thread.ts';
import { coordinates, type WaitingAreaReader } from './waiting-area.ts';

export class WaitingActions {
  readonly #stores: Stores;
  readonly #appointments: AppointmentService;
  readonly #thread: ThreadService;
  readonly #reader: WaitingAreaReader;
  readonly #events: EventRecorder;
  readonly #bus: DomainBus;
  readonly #now: () => Date;

  constructor(deps: { stores: Stores; appointments: AppointmentService; thread: ThreadService; reader: WaitingAreaReader; events: EventRecorder; bus: DomainBus; now: () => Date }) {
    this.#stores = deps.stores;
    this.#appointments = deps.appointments;
    this.#thread = deps.thread;
    this.#reader = deps.reader;
    this.#events = deps.events;
    this.#bus = deps.bus;
    this.#now = deps.now;
  }

  /** The appointment, when this person may act on it (`coordinatorOnly`: re-assigning); the refusal is audited. */
  async #actOn(s: StaffSession, appointmentId: AppointmentId, coordinatorOnly: boolean, address: string | undefined): Promise<Appointment> {
    const a = await this.#stores.appointments.get(appointmentId);
    if (!a) throw new AppError('NOT_FOUND', 'No such appointment.');
    const allowed = coordinates(s, a.clinicId) || (!coordinatorOnly && a.clinician.id === s.clinicianId);
    if (!allowed) {
      await this.#events.record('access.refused', appointmentId, by('staff', s.clinicianId, address), { outcome: 'refused', reason: 'NOT_PERMITTED', subject: s.id });
      throw new AppError('NOT_PERMITTED', coordinatorOnly ? "Only the clinic's coordinator can do this." : "Only the patient's clinician or the clinic's coordinator can do this.");
    }
    if (a.status === 'ended' || a.status === 'cancelled') throw new AppError('INVALID_TRANSITION', 'This appointment is over.');
    return a;
  }

  /** A note to someone waiting, through the consultation's thread (only they and the clinician see it). */
  async message(s: StaffSession, appointmentId: AppointmentId, participantId: ParticipantId, text: string, address?: string): Promise<void> {
    const a = await this.#actOn(s, appointmentId, false, address);
    // The clinician's own place in the consultation when they have one, so the note reads as theirs.
    const own = (await this.#stores.participants.listForAppointment(a.id)).find((p) => p.role === 'clinician' && p.clinicianId === s.clinicianId);
    await this.#thread.noteToWaiting(a.id, participantId, text, { id: own?.id ?? randomId<ParticipantId>(), name: s.clinicianName });
    await this.#events.record('waiting.messaged', a.id, by('staff', s.clinicianId, address), { subject: participantId });
  }

  /**
   * Gives the appointment to another clinician of its clinic (who must hold
   * the clinician role there). Whoever waits keeps their place; the old
   * clinician's place in the consultation is closed (their open page is told
   * 'reassigned'). Giving it to its own clinician changes nothing.
   */
  async reassign(s: StaffSession, appointmentId: AppointmentId, clinicianId: string, address?: string): Promise<void> {
    const a = await this.#actOn(s, appointmentId, true, address);
    if (a.clinician.id === clinicianId) return;
    const member = a.clinicId === undefined ? undefined : (await this.#stores.clinics.members(a.clinicId)).find((m) => m.userId === clinicianId && m.roles.includes('clinician'));
    if (!member) throw new AppError('NOT_FOUND', 'That person is not a clinician of this clinic.');
    const name = await this.#reader.staffName(clinicianId);
    const moved = await this.#stores.appointments.move(a.id, { clinician: { id: clinicianId, name } }, this.#appointments.ttlFor(a));
    if (!moved) throw new AppError('NOT_FOUND', 'No such appointment.');
    const old = (await this.#stores.participants.listForAppointment(a.id)).find((p) => p.role === 'clinician' && p.clinicianId === a.clinician.id);
    if (old) await this.#stores.participants.transition(old.id, ['admitted', 'waiting'], 'left', this.#now().toISOString());
    await this.#events.record('appointment.reassigned', a.id, by('staff', s.clinicianId, address), { subject: clinicianId });
    this.#bus.safeEmit('reassigned', a.id, old?.id ?? null);
    this.#bus.safeEmit('changed', a.id);
  }
}
