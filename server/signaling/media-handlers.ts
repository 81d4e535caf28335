// The media messages, shared by consultations and the self-test, as one table
// of operations. Each first asks `access()` for the caller's room and peer;
// for a consultation that re-checks admission at the server on every call, so
// a participant who is waiting, denied or sent back gets NOT_ADMITTED and no
// media of any kind. Refusals (by code), ICE restarts and resumptions are
// counted (signals). The self-test runs the table on its own socket; a
// consultation's messages are relayed to the node that holds its Router,
// which runs the same table (media-router.ts).
import type { Socket } from 'socket.io';
import type { types } from 'mediasoup';
import { AppError, isAppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { TurnGrant } from '../domain/access/turn.ts';
import type { Peer } from '../media/peer.ts';
import type { Room } from '../media/room.ts';
import type { MediaOp } from '../cluster/contract.ts';
import { handle, type ClientHandlers } from './handle.ts';
import type { SignalEvents } from './signal-events.ts';
import type { IceConfig, ProducerAnnouncement } from '../wire/media.ts';
import type { ClientMessage, ClientReplies } from '../wire/socket.ts';

export interface MediaAccess {
  room: Room;
  peer: Peer;
}

export interface MediaHandlerOptions {
  /** Throws a typed error unless the caller may use media now. */
  access(): Promise<MediaAccess>;
  /** Whether this caller may receive that producer (e.g. not its own in a consultation). */
  mayConsume(producer: types.Producer, self: Peer): boolean;
  /** Tell the others in the room about a new or paused producer. */
  announce(p: ProducerAnnouncement, producer: types.Producer): void;
  announcePaused(producerId: string, paused: boolean): void;
  /** ICE servers for this caller (called only after access() allowed media). */
  ice?(peerId: string): TurnGrant & { iceTransportPolicy: 'all' | 'relay' };
  /** The caller's media was closed for a fresh start (media:resume without its transports): what others are shown may change. */
  released?(): void;
  /** The caller paused or resumed video to keep their sound clear: what others are shown changed. */
  videoPausedChanged?(): void;
  /** Where refusals, ICE restarts and resumptions are counted. */
  signals?: SignalEvents;
}

const NO_ICE_SERVERS: IceConfig = { iceServers: [], iceTransportPolicy: 'all', expiresAt: null };

type Op<K extends MediaOp> = (o: MediaHandlerOptions, payload: ClientMessage<K>, log: Logger) => Promise<ClientReplies[K]>;

/** What each media message does, given the caller's access. */
export const MEDIA_OPS: { [K in MediaOp]: Op<K> } = {
  'media:capabilities': async (o) => {
    const { room, peer } = await o.access();
    return { rtpCapabilities: room.rtpCapabilities, ...(o.ice?.(peer.id) ?? NO_ICE_SERVERS) };
  },
  // Fresh relay credentials before the old ones expire: only while access() still allows media.
  'media:iceServers': async (o) => {
    const { peer } = await o.access();
    return o.ice?.(peer.id) ?? NO_ICE_SERVERS;
  },
  'media:producers': async (o) => {
    const { room, peer } = await o.access();
    const producers = room
      .allProducers()
      .filter((p) => !p.closed && o.mayConsume(p, peer))
      .map((p) => ({ producerId: p.id, participantId: p.appData.peerId, kind: p.kind, source: p.appData.source, paused: p.paused }));
    return { producers };
  },
  'media:createTransport': async (o, { direction }) => (await o.access()).peer.createTransport(direction),
  'media:connectTransport': async (o, { transportId, dtlsParameters }) => {
    await (await o.access()).peer.connectTransport(transportId, dtlsParameters as types.DtlsParameters);
    return {};
  },
  'media:restartIce': async (o, { transportId }, log) => {
    const { room, peer } = await o.access();
    const iceParameters = await peer.restartIce(transportId);
    o.signals?.emit('iceRestarted');
    log.info({ roomId: room.id, participantId: peer.id, transportId }, 'ICE restarted');
    return { iceParameters };
  },
  // After a reconnect: the page keeps its media if this peer still holds exactly its transports;
  // otherwise (or for a fresh start, an empty list) whatever is left is closed.
  'media:resume': async (o, { transportIds }, log) => {
    const { room, peer } = await o.access();
    const resumed = transportIds.length > 0 && peer.holdsExactly(transportIds);
    if (!resumed) {
      room.closePeer(peer.id);
      o.released?.();
    }
    // A fresh start (an empty list) is not a resumption: neither counted nor logged as one.
    if (transportIds.length > 0) {
      o.signals?.emit('mediaResumed', resumed);
      log.info({ roomId: room.id, participantId: peer.id, resumed }, resumed ? 'media resumed' : 'media not resumed; the page starts afresh');
    }
    return { resumed };
  },
  'media:produce': async (o, { transportId, kind, rtpParameters, source }) => {
    const { peer } = await o.access();
    const producer = await peer.produce(transportId, kind, rtpParameters as types.RtpParameters, source);
    o.announce({ producerId: producer.id, participantId: peer.id, kind, source, paused: producer.paused }, producer);
    return { id: producer.id };
  },
  'media:consume': async (o, { transportId, producerId, rtpCapabilities }) => {
    const { room, peer } = await o.access();
    const producer = room.producer(producerId);
    if (!o.mayConsume(producer, peer)) throw new AppError('FORBIDDEN', 'That stream is not for you.');
    return peer.consume(transportId, producer, rtpCapabilities as types.RtpCapabilities);
  },
  'media:resumeConsumer': async (o, { consumerId }) => {
    await (await o.access()).peer.resumeConsumer(consumerId);
    return {};
  },
  'media:setPreferredLayers': async (o, { consumerId, spatialLayer }) => {
    await (await o.access()).peer.setPreferredLayers(consumerId, spatialLayer);
    return {};
  },
  // The caller's own consumers only (Peer looks in its own maps): another's id is NOT_FOUND.
  'media:setConsumerPaused': async (o, { consumerId, paused }) => {
    await (await o.access()).peer.setConsumerPaused(consumerId, paused);
    return {};
  },
  'media:setProducerPaused': async (o, { producerId, paused }) => {
    const p = await (await o.access()).peer.setProducerPaused(producerId, paused);
    o.announcePaused(p.id, paused);
    return {};
  },
  'media:closeProducer': async (o, { producerId }) => {
    (await o.access()).peer.closeProducer(producerId);
    return {};
  },
  // Video paused to keep the sound clear (an admitted participant's weak link): everyone's view shows it.
  'self:videoPaused': async (o, paused) => {
    const { peer } = await o.access();
    if (peer.setVideoPaused(paused)) o.videoPausedChanged?.();
    return {};
  },
};

/** Every media message a consultation's page may send. */
export const MEDIA_OP_NAMES = Object.keys(MEDIA_OPS) as MediaOp[];

/** The messages a self-test page may send (no consultation, so no video-paused view). */
export const SELF_TEST_OPS = MEDIA_OP_NAMES.filter((op) => op !== 'self:videoPaused');

/** Runs one media operation; typed refusals are counted by code and logged (never the payload). */
export async function runMediaOp<K extends MediaOp>(o: MediaHandlerOptions, log: Logger, op: K, payload: ClientMessage<K>): Promise<ClientReplies[K]> {
  try {
    return await (MEDIA_OPS[op] as Op<K>)(o, payload, log);
  } catch (e) {
    if (isAppError(e)) {
      o.signals?.emit('mediaRefused', e.code);
      log.info({ event: op, code: e.code }, 'media request refused');
    }
    throw e;
  }
}

/** Every media message of `ops`, for a namespace's message table (made once): `run` is given the socket it came on. */
export function mediaMessages<S>(ops: readonly MediaOp[], run: <K extends MediaOp>(socket: S, op: K, payload: ClientMessage<K>) => Promise<ClientReplies[K]>): ClientHandlers<S> {
  return Object.fromEntries(ops.map((op) => [op, (socket: S, payload: ClientMessage<typeof op>) => run(socket, op, payload)]));
}

/** Every media message of `ops` on this one socket (the self-test's), each validated by handle() and run by `run`. */
export function registerMediaHandlers(socket: Socket, log: Logger, ops: readonly MediaOp[], run: <K extends MediaOp>(op: K, payload: ClientMessage<K>) => Promise<ClientReplies[K]>): void {
  for (const op of ops) handle(socket, log, op, (payload) => run(op, payload as ClientMessage<typeof op>));
}
