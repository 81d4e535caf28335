// Who counts as waiting, decided here only: the clinician's lobby and the day
// list's count must agree. A guest is waiting once they have entered the
// waiting room (waitingSince is set) or while a socket of theirs is open; a
// redeemed link whose device never connected is not someone to admit.
import type { Participant } from './model.ts';

export const isWaiting = (p: Pick<Participant, 'id' | 'state' | 'waitingSince'>, isConnected: (id: string) => boolean): boolean =>
  p.state === 'waiting' && (Boolean(p.waitingSince) || isConnected(p.id));
