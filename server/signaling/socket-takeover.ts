// One page per participant: their newest socket (a reload, another tab or
// device, the same page back after a network switch whose old connection the
// server has not yet noticed is dead) replaces the older ones, which are told
// why ('replaced') and disconnected, without a reconnect. Called once the new
// socket is counted in presence, so an older one going is never the
// participant's "last socket" (their media is not put on its grace timer).
// An older socket on another node is replaced through the adapter.
import type { Server, Socket } from 'socket.io';
import type { Logger } from '../core/logger.ts';
import type { SignalEvents } from './signal-events.ts';
import { selfRoom } from './view-pusher.ts';
import type { ServerToClientEvents } from '../wire/socket.ts';

export function replaceOlderSockets(
  io: Server,
  socket: Socket,
  who: { appointmentId: string; participantId: string },
  log: Logger,
  opts: { signals?: SignalEvents | undefined; elsewhere: boolean },
): void {
  const signals = opts.signals;
  const nsp = io.of('/');
  const older = [...(nsp.adapter.rooms.get(selfRoom(who.participantId)) ?? [])].filter((id) => id !== socket.id);
  for (const id of older) {
    const old = nsp.sockets.get(id) as Socket<Record<string, never>, ServerToClientEvents> | undefined;
    if (!old) continue;
    old.emit('consultation:ended', { reason: 'replaced' });
    old.disconnect(true);
    signals?.emit('socketReplaced');
    log.info({ ...who, socketId: id, by: socket.id }, 'socket replaced by a newer one');
  }
  // After the local ones left the room: this reaches only sockets on other nodes.
  if (opts.elsewhere) {
    const there = (io as Server<Record<string, never>, ServerToClientEvents>).in(selfRoom(who.participantId)).except(socket.id);
    there.emit('consultation:ended', { reason: 'replaced' });
    there.disconnectSockets(true);
    log.info({ ...who, by: socket.id }, 'older sockets on other nodes replaced by a newer one');
  }
}
