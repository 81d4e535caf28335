// The media messages, shared by consultations and the self-test. Each call
// first asks `access()` for the caller's room and peer; for a consultation that
// re-checks admission at the server on every call, so a participant who is
// waiting, denied or sent back gets NOT_ADMITTED and no media of any kind.
// Refusals (by code), ICE restarts and resumptions are counted (signals).
import type { Socket } from 'socket.io';
import type { types } from 'mediasoup';
import { AppError, isAppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { TurnGrant } from '../domain/access/turn.ts';
import type { Peer } from '../media/peer.ts';
import type { Room } from '../media/room.ts';
import { handle, type Handler } from './handle.ts';
import type { SignalEvents } from './signal-events.ts';
import type { IceConfig, ProducerAnnouncement } from '../wire/media.ts';
import type { ClientMessageName } from '../wire/socket.ts';

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
  /** Where refusals, ICE restarts and resumptions are counted. */
  signals?: SignalEvents;
}

const NO_ICE_SERVERS: IceConfig = { iceServers: [], iceTransportPolicy: 'all', expiresAt: null };

export function registerMediaHandlers(socket: Socket, log: Logger, o: MediaHandlerOptions): void {
  // Every media handler, with its typed refusals counted by code.
  const handleMedia = <K extends ClientMessageName>(name: K, fn: Handler<K>): void =>
    handle(socket, log, name, async (payload) => {
      try {
        return await fn(payload);
      } catch (e) {
        if (isAppError(e)) {
          o.signals?.emit('mediaRefused', e.code);
          log.info({ event: name, code: e.code }, 'media request refused');
        }
        throw e;
      }
    });
  handleMedia('media:capabilities', async () => {
    const { room, peer } = await o.access();
    return { rtpCapabilities: room.rtpCapabilities, ...(o.ice?.(peer.id) ?? NO_ICE_SERVERS) };
  });
  // Fresh relay credentials before the old ones expire: only while access() still allows media.
  handleMedia('media:iceServers', async () => {
    const { peer } = await o.access();
    return o.ice?.(peer.id) ?? NO_ICE_SERVERS;
  });
  handleMedia('media:producers', async () => {
    const { room, peer } = await o.access();
    const producers = room
      .allProducers()
      .filter((p) => !p.closed && o.mayConsume(p, peer))
      .map((p) => ({ producerId: p.id, participantId: p.appData.peerId, kind: p.kind, source: p.appData.source, paused: p.paused }));
    return { producers };
  });
  handleMedia('media:createTransport', async ({ direction }) => (await o.access()).peer.createTransport(direction));
  handleMedia('media:connectTransport', async ({ transportId, dtlsParameters }) => {
    await (await o.access()).peer.connectTransport(transportId, dtlsParameters as types.DtlsParameters);
    return {};
  });
  handleMedia('media:restartIce', async ({ transportId }) => {
    const { room, peer } = await o.access();
    const iceParameters = await peer.restartIce(transportId);
    o.signals?.emit('iceRestarted');
    log.info({ roomId: room.id, participantId: peer.id, transportId }, 'ICE restarted');
    return { iceParameters };
  });
  // After a reconnect: the page keeps its media if this peer still holds exactly its transports;
  // otherwise (or for a fresh start, an empty list) whatever is left is closed.
  handleMedia('media:resume', async ({ transportIds }) => {
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
  });
  handleMedia('media:produce', async ({ transportId, kind, rtpParameters, source }) => {
    const { peer } = await o.access();
    const producer = await peer.produce(transportId, kind, rtpParameters as types.RtpParameters, source);
    o.announce({ producerId: producer.id, participantId: peer.id, kind, source, paused: producer.paused }, producer);
    return { id: producer.id };
  });
  handleMedia('media:consume', async ({ transportId, producerId, rtpCapabilities }) => {
    const { room, peer } = await o.access();
    const producer = room.producer(producerId);
    if (!o.mayConsume(producer, peer)) throw new AppError('FORBIDDEN', 'That stream is not for you.');
    return peer.consume(transportId, producer, rtpCapabilities as types.RtpCapabilities);
  });
  handleMedia('media:resumeConsumer', async ({ consumerId }) => {
    await (await o.access()).peer.resumeConsumer(consumerId);
    return {};
  });
  handleMedia('media:setPreferredLayers', async ({ consumerId, spatialLayer }) => {
    await (await o.access()).peer.setPreferredLayers(consumerId, spatialLayer);
    return {};
  });
  // The caller's own consumers only (Peer looks in its own maps): another's id is NOT_FOUND.
  handleMedia('media:setConsumerPaused', async ({ consumerId, paused }) => {
    await (await o.access()).peer.setConsumerPaused(consumerId, paused);
    return {};
  });
  handleMedia('media:setProducerPaused', async ({ producerId, paused }) => {
    const p = await (await o.access()).peer.setProducerPaused(producerId, paused);
    o.announcePaused(p.id, paused);
    return {};
  });
  handleMedia('media:closeProducer', async ({ producerId }) => {
    (await o.access()).peer.closeProducer(producerId);
    return {};
  });
}
