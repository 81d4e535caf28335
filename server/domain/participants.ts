// The rules about participants that every view and count must agree on,
// decided here only: who counts as waiting (the clinician's lobby and the day
// list's count), who may be told their own name, and what one participant
// looks like on the wire (the shapes are wire/participants.ts).
import type { ParticipantState, ParticipantView } from '../wire/participants.ts';
import type { Participant } from './model.ts';

/**
 * A guest is waiting once they have entered the waiting room (waitingSince is
 * set) or while a socket of theirs is open; a redeemed link whose device never
 * connected is not someone to admit.
 */
export const isWaiting = (p: Pick<Participant, 'id' | 'state' | 'waitingSince'>, isConnected: (id: string) => boolean): boolean =>
  p.state === 'waiting' && (Boolean(p.waitingSince) || isConnected(p.id));

/**
 * Whether a participant may be told their own name (in their view and their
 * session answer): the clinician, and a guest the clinician has let in. A
 * waiting or flagged device may hold a forwarded link, so it learns only the
 * clinician's name and the appointment's time.
 */
export const mayKnowOwnName = (p: { role: string; state: ParticipantState }): boolean => p.role === 'clinician' || p.state === 'admitted';

/** One participant as shown to the clinician, the API and the others in the call. */
export function participantView<R extends Participant['role']>(
  p: { id: string; role: R; name: string; state: ParticipantState; device: string; linkReused: boolean; waitingSince?: string },
  connected: boolean,
  /** From the signalling layer when it knows more (media held, ICE lost); else from `connected`. */
  connection: ParticipantView['connection'] = connected ? 'online' : 'offline',
  /** Video paused to keep their sound clear (the signalling layer knows); shown only while they are admitted. */
  videoPaused?: ParticipantView['videoPaused'] | null,
): ParticipantView & { role: R } {
  return {
    id: p.id,
    role: p.role,
    name: p.name,
    state: p.state,
    device: p.device,
    linkReused: p.linkReused,
    connected,
    connection,
    ...(p.waitingSince ? { waitingSince: p.waitingSince } : {}),
    ...(videoPaused && p.state === 'admitted' && (videoPaused.sending || videoPaused.receiving)
      ? { videoPaused: { sending: videoPaused.sending, receiving: videoPaused.receiving } }
      : {}),
  };
}
