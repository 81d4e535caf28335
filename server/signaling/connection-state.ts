// A participant's connection as the others see it (ParticipantView.connection),
// from what this node knows: their sockets (presence), their media held for
// them after their last socket went (the room's grace period), and their
// transports' ICE state as mediasoup sees it.
import type { RoomRegistry } from '../media/rooms.ts';
import type { Presence } from './presence.ts';
import type { ConnectionOf } from './view-pusher.ts';

/**
 * online: a socket here and no transport's ICE lost; reconnecting: their media
 * is held for them (no socket), or a socket but some transport's ICE is
 * disconnected (their network went away or changed); offline: neither.
 */
export function connectionState(rooms: RoomRegistry, presence: Presence): ConnectionOf {
  return (appointmentId, participantId) => {
    const room = rooms.get(appointmentId);
    if (presence.isConnected(participantId)) return room?.existingPeer(participantId)?.iceDisconnected() ? 'reconnecting' : 'online';
    return room?.peerHeld(participantId) ? 'reconnecting' : 'offline';
  };
}
