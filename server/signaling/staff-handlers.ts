// The staff socket's messages, each behind its runtime schema (as handle.ts
// does for the consultation's): watching a waiting area, a note to someone
// waiting, re-assigning, running late, alert settings. Each handler calls one
// domain method, which checks the staff member's roles itself.
import type { Socket } from 'socket.io';
import { Compile } from 'typebox/compile';
import type { AppointmentId, ClinicId, ParticipantId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { ClinicService } from '../domain/clinics.ts';
import type { StaffSession } from '../domain/model.ts';
import type { WaitingActions } from '../domain/waiting-actions.ts';
import { StaffMessages, type StaffMessage, type StaffMessageName, type StaffReplies } from '../wire/staff-socket.ts';
import { onMessage } from './handle.ts';
import type { BoardSocket, WaitingBoard } from './staff-board.ts';

const validators = Object.fromEntries(Object.entries(StaffMessages).map(([k, s]) => [k, Compile(s)])) as {
  [K in StaffMessageName]: ReturnType<typeof Compile<(typeof StaffMessages)[K]>>;
};

type StaffHandler<K extends StaffMessageName> = (payload: StaffMessage<K>) => Promise<StaffReplies[K]>;

/** Registers one staff message: ill-formed input is BAD_REQUEST naming the keys at fault, and changes nothing. */
export function handleStaff<K extends StaffMessageName>(socket: Socket, log: Logger, name: K, handler: StaffHandler<K>): void {
  const validator = validators[name];
  onMessage(socket, log, name, StaffMessages[name], (v): v is StaffMessage<K> => validator.Check(v), handler);
}

export interface StaffHandlerDeps {
  board: WaitingBoard;
  actions: WaitingActions;
  clinics: ClinicService;
  /** The client's address behind trusted proxies, for the audit trail. */
  address: string;
  /** The person did something: their session counts as in use (watching alone does not). */
  used(): void;
}

export function registerStaffHandlers(socket: Socket & BoardSocket, log: Logger, session: StaffSession, d: StaffHandlerDeps): void {
  handleStaff(socket, log, 'waiting:watch', ({ scope }) => d.board.watch(socket, session, scope));
  handleStaff(socket, log, 'waiting:message', async ({ appointmentId, participantId, text }) => {
    await d.actions.message(session, appointmentId as AppointmentId, participantId as ParticipantId, text, d.address);
    d.used();
    return {};
  });
  handleStaff(socket, log, 'waiting:reassign', async ({ appointmentId, clinicianId }) => {
    await d.actions.reassign(session, appointmentId as AppointmentId, clinicianId, d.address);
    d.used();
    return {};
  });
  handleStaff(socket, log, 'waiting:runningLate', async ({ clinicianId, clinicId, minutes }) => {
    await d.clinics.setRunningLate(session, { clinicianId, clinicId: clinicId as ClinicId | undefined, minutes }, d.address);
    d.used();
    return {};
  });
  handleStaff(socket, log, 'alerts:settings', async (settings) => {
    const saved = await d.clinics.setAlerts(session, settings, d.address);
    d.board.settingsChanged(session.clinicianId, saved);
    d.used();
    return saved;
  });
}
