// What each participant of a consultation is shown (consultation:state):
// computed from one read of the appointment and its participants for all of
// them at once, or, for guests not admitted (who are shown nobody else), from
// their own records only. Running late comes from a node-local copy
// (running-late-cache.ts).
import { AppError } from '../core/errors.ts';
import type { AppointmentId, ParticipantId } from '../core/ids.ts';
import type { DomainBus } from './events.ts';
import type { Appointment, Clinic, Participant } from './model.ts';
import { isWaiting, mayKnowOwnName, participantView } from './participants.ts';
import { RunningLateCache } from './running-late-cache.ts';
import type { Stores } from './stores.ts';
import type { ClinicWaitingView } from '../wire/clinic-info.ts';
import type { ConsultationView, ParticipantView } from '../wire/participants.ts';

/** A participant's connection as the signalling layer knows it (media held, ICE lost); see participantView. */
export type ConnectionOf = (participantId: string) => ParticipantView['connection'];
/** Video a participant paused to keep their sound clear, as the signalling layer knows it (ephemeral, per node). */
export type VideoPausedOf = (participantId: string) => ParticipantView['videoPaused'] | null | undefined;

export class ConsultationViews {
  readonly #stores: Stores;
  readonly #aware: (a: Appointment) => boolean;
  readonly #late: RunningLateCache;

  /** `aware`: whether someone who would be alerted for this appointment has the waiting area open now. */
  constructor(deps: { stores: Stores; bus: DomainBus; now: () => Date; aware: (a: Appointment) => boolean }) {
    this.#stores = deps.stores;
    this.#aware = deps.aware;
    this.#late = new RunningLateCache({ read: (ids) => deps.stores.clinics.runningLate(ids), bus: deps.bus, now: () => deps.now().getTime() });
  }

  /** What one participant is shown (see viewFor). */
  async view(
    participantId: ParticipantId,
    appointmentId: AppointmentId,
    isConnected: (id: string) => boolean,
    connectionOf?: ConnectionOf,
    videoPausedOf?: VideoPausedOf,
  ): Promise<ConsultationView> {
    const v = (await this.views(appointmentId, [participantId], isConnected, connectionOf, videoPausedOf)).get(participantId);
    if (!v) throw new AppError('NOT_IN_CONSULTATION');
    return v;
  }

  /**
   * The views of these participants from one read of the appointment and its
   * participants, so pushing a change costs one read per appointment, not one
   * per socket. Ids not in the consultation are left out.
   */
  async views(
    appointmentId: AppointmentId,
    participantIds: readonly string[],
    isConnected: (id: string) => boolean,
    connectionOf?: ConnectionOf,
    videoPausedOf?: VideoPausedOf,
  ): Promise<Map<string, ConsultationView>> {
    if (participantIds.length === 0) return new Map();
    // The appointment and its participants in one read.
    const read = await this.#stores.joins.appointmentWithParticipants(appointmentId);
    return this.#viewsFrom(read, participantIds, isConnected, connectionOf, videoPausedOf);
  }

  /**
   * views() for participants the caller believes are all guests not admitted
   * (waiting, or not let in): such a guest is shown nobody else, so only their
   * own records are read (the appointment and theirs, one round trip). When a
   * record read says otherwise (a clinician, someone admitted, or a record
   * missing), it is views(): the result is always what views() gives.
   */
  async waitingViews(
    appointmentId: AppointmentId,
    participantIds: readonly string[],
    isConnected: (id: string) => boolean,
    connectionOf?: ConnectionOf,
    videoPausedOf?: VideoPausedOf,
  ): Promise<Map<string, ConsultationView>> {
    if (participantIds.length === 0) return new Map();
    const ids = [...new Set(participantIds)];
    const read = await this.#stores.joins.appointmentWithSome(appointmentId, ids as ParticipantId[]);
    const seesOthers = (p: Participant) => p.role === 'clinician' || p.state === 'admitted';
    if (read.participants.length !== ids.length || read.participants.some(seesOthers)) {
      return this.views(appointmentId, participantIds, isConnected, connectionOf, videoPausedOf);
    }
    return this.#viewsFrom(read, ids, isConnected, connectionOf, videoPausedOf);
  }

  async #viewsFrom(
    read: { appointment: Appointment | null; participants: readonly Participant[] },
    participantIds: readonly string[],
    isConnected: (id: string) => boolean,
    connectionOf?: ConnectionOf,
    videoPausedOf?: VideoPausedOf,
  ): Promise<Map<string, ConsultationView>> {
    const out = new Map<string, ConsultationView>();
    const appointment = read.appointment;
    if (!appointment) throw new AppError('NOT_FOUND', 'No such appointment.');
    const all = read.participants;
    const [clinic, late] = await Promise.all([
      appointment.clinicId === undefined ? null : this.#stores.clinics.get(appointment.clinicId),
      this.#late.of(appointment.clinician.id),
    ]);
    const status: ClinicStatus = {
      clinicianAware: this.#aware(appointment),
      ...(late ? { runningLateMinutes: late.minutes } : {}),
      ...(clinic ? { clinic: clinicForWaiting(clinic) } : {}),
    };
    const connected = new Map(all.map((p) => [p.id as string, isConnected(p.id)]));
    const connection = new Map(all.map((p) => [p.id as string, connectionOf?.(p.id)]));
    for (const id of participantIds) {
      const self = all.find((p) => p.id === id);
      if (self) out.set(id, viewFor(appointment, all, self, (x) => connected.get(x) ?? false, (x) => connection.get(x), status, (x) => videoPausedOf?.(x)));
    }
    return out;
  }
}


/** What the clinic says to everyone in the appointment: someone knows they wait, running late, the clinic's details. */
type ClinicStatus = Pick<ConsultationView, 'clinicianAware' | 'runningLateMinutes' | 'clinic'>;

/** The clinic as the waiting page shows it: not the privacy notice, which the consent step had with the session. */
function clinicForWaiting(c: Clinic): ClinicWaitingView {
  const { phone, waitingMessage } = c.settings;
  return { name: c.name, ...(phone ? { phone } : {}), ...(waitingMessage ? { waitingMessage } : {}) };
}

/**
 * What `self` is shown. The clinician sees everyone who is in the call, has
 * entered the waiting room or is connected. An admitted guest sees the others
 * admitted. A guest who is not admitted sees nobody, and not their own name
 * either (a device on a forwarded link holds the patient's name): only what the
 * waiting page needs, so their view changes only when their own state or the
 * appointment's does, never when others come and go.
 */
function viewFor(
  appointment: Appointment,
  all: readonly Participant[],
  self: Participant,
  isConnected: (id: string) => boolean,
  connectionOf: (id: string) => ParticipantView['connection'] | undefined,
  status: ClinicStatus,
  videoPausedOf: VideoPausedOf = () => undefined,
): ConsultationView {
  const toView = (p: Participant): ParticipantView => participantView(p, isConnected(p.id), connectionOf(p.id), videoPausedOf(p.id));
  const admittedGuest = self.role !== 'clinician' && self.state === 'admitted';
  const visible =
    self.role === 'clinician'
      ? all.filter((p) => p.id !== self.id && (p.state !== 'waiting' || isWaiting(p, isConnected)))
      : admittedGuest
        ? all.filter((p) => p.id !== self.id && p.state === 'admitted')
        : [];
  const shown = visible.map(toView);
  const { name, ...nameless } = toView(self);
  return {
    appointmentId: appointment.id,
    status: appointment.status,
    locked: appointment.locked,
    startsAt: appointment.startsAt,
    durationMinutes: appointment.durationMinutes,
    clinicianName: appointment.clinician.name,
    ...status,
    self: mayKnowOwnName(self) ? { ...nameless, name } : nameless,
    participants: shown,
    // The clinician's visible waiting guests all passed isWaiting (the filter above).
    waiting: shown.filter((p) => p.state === 'waiting'),
    admitted: shown.filter((p) => p.state === 'admitted'),
  };
}
