// The staff socket's messages, each behind its runtime schema (as handle.ts
// does for the consultation's): watching a waiting area, a note to someone
// waiting, re-assigning, running late, alert settings. Each handler calls one
// domain method, which checks the staff member's roles itself. Made once per
// namespace: the caller is the socket's data (session and address).
import { Compile } from 'typebox/compile';
import type { AppointmentId, ClinicId, ParticipantId } from '../core/ids.ts';
import type { ClinicService } from '../domain/clinics.ts';
import type { StaffSession } from '../domain/model.ts';
import type { WaitingActions } from '../domain/waiting-actions.ts';
import { StaffMessages, type StaffMessage, type StaffMessageName, type StaffReplies } from '../wire/staff-socket.ts';
import { messageTable, type MessageTable } from './handle.ts';
import type { BoardSocket, WaitingBoard } from './staff-board.ts';

const validators = Object.fromEntries(Object.entries(StaffMessages).map(([k, s]) => [k, Compile(s)])) as {
  [K in StaffMessageName]: ReturnType<typeof Compile<(typeof StaffMessages)[K]>>;
};

/** A staff socket as its handlers see it: the board's view of it and who it is. */
export interface StaffCaller extends BoardSocket {
  data: { session: StaffSession; address: string };
}

type StaffHandlers<S> = { [K in StaffMessageName]: (socket: S, payload: StaffMessage<K>) => Promise<StaffReplies[K]> };

export interface StaffHandlerDeps {
  board: WaitingBoard;
  actions: WaitingActions;
  clinics: ClinicService;
  /** The person did something: their session counts as in use (watching alone does not). */
  used(socket: StaffCaller): void;
}

/** Ill-formed input is BAD_REQUEST naming the keys at fault, and changes nothing (MessageGate). */
export function staffMessages<S extends StaffCaller>(d: StaffHandlerDeps): MessageTable<S> {
  const handlers: StaffHandlers<S> = {
    'waiting:watch': (socket, { scope }) => d.board.watch(socket, socket.data.session, scope),
    'waiting:message': async (socket, { appointmentId, participantId, text }) => {
      const { session, address } = socket.data;
      await d.actions.message(session, appointmentId as AppointmentId, participantId as ParticipantId, text, address);
      d.used(socket);
      return {};
    },
    'waiting:reassign': async (socket, { appointmentId, clinicianId }) => {
      const { session, address } = socket.data;
      await d.actions.reassign(session, appointmentId as AppointmentId, clinicianId, address);
      d.used(socket);
      return {};
    },
    'waiting:runningLate': async (socket, { clinicianId, clinicId, minutes }) => {
      const { session, address } = socket.data;
      await d.clinics.setRunningLate(session, { clinicianId, clinicId: clinicId as ClinicId | undefined, minutes }, address);
      d.used(socket);
      return {};
    },
    'alerts:settings': async (socket, settings) => {
      const { session, address } = socket.data;
      const saved = await d.clinics.setAlerts(session, settings, address);
      d.board.settingsChanged(session.clinicianId, saved);
      d.used(socket);
      return saved;
    },
  };
  return messageTable<S>(StaffMessages, validators, handlers);
}
