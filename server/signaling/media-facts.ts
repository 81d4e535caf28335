// What the node holding a consultation's Router knows about each
// participant's media (held for a reconnect, ICE lost, video paused), kept on
// every node for the views: the Router's node computes it from its Room and
// publishes it when it changes; the others keep the last they were sent.
import type { MediaFact, MediaFacts } from '../cluster/contract.ts';
import type { Room } from '../media/room.ts';
import type { Presence } from './presence.ts';
import type { ConnectionOf, VideoPausedOf } from './view-pusher.ts';

/** The facts of a room now: only what is true is written, so an unchanged room compares equal. */
export function factsOf(room: Room): MediaFacts {
  const facts: MediaFacts = {};
  for (const id of room.participants()) {
    const peer = room.existingPeer(id);
    if (!peer) continue;
    const fact: MediaFact = {};
    if (room.peerHeld(id)) fact.held = true;
    if (peer.iceDisconnected()) fact.iceDisconnected = true;
    if (peer.videoPaused) fact.videoPaused = { sending: peer.videoPaused.sending, receiving: peer.videoPaused.receiving };
    if (Object.keys(fact).length > 0) facts[id] = fact;
  }
  return facts;
}

export class MediaFactsCache {
  readonly #byAppointment = new Map<string, { facts: MediaFacts; text: string }>();

  /** Keeps these facts; false when they are what was kept already. */
  set(appointmentId: string, facts: MediaFacts): boolean {
    const text = JSON.stringify(facts);
    if ((this.#byAppointment.get(appointmentId)?.text ?? '{}') === text) return false;
    if (text === '{}') this.#byAppointment.delete(appointmentId);
    else this.#byAppointment.set(appointmentId, { facts, text });
    return true;
  }

  of(appointmentId: string, participantId: string): MediaFact | undefined {
    return this.#byAppointment.get(appointmentId)?.facts[participantId];
  }

  /**
   * online: a socket somewhere and no transport's ICE lost; reconnecting: their
   * media is held for them (no socket), or a socket but ICE disconnected;
   * offline: neither.
   */
  connectionOf(presence: Presence): ConnectionOf {
    return (appointmentId, participantId) => {
      const fact = this.of(appointmentId, participantId);
      if (presence.isConnected(participantId)) return fact?.iceDisconnected ? 'reconnecting' : 'online';
      return fact?.held ? 'reconnecting' : 'offline';
    };
  }

  videoPausedOf(): VideoPausedOf {
    return (appointmentId, participantId) => this.of(appointmentId, participantId)?.videoPaused;
  }
}
