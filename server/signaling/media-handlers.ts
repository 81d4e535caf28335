// The media messages, shared by consultations and the self-test. Each call
// first asks `access()` for the caller's room and peer; for a consultation that
// re-checks admission at the server on every call, so a participant who is
// waiting, denied or sent back gets NOT_ADMITTED and no media of any kind.
import type { Socket } from 'socket.io';
import type { types } from 'mediasoup';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { TurnGrant } from '../domain/access/turn.ts';
import type { Peer } from '../media/peer.ts';
import type { Room } from '../media/room.ts';
import { handle } from './handle.ts';
import type { IceConfig, ProducerAnnouncement } from '../wire/media.ts';

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
}

const NO_ICE_SERVERS: IceConfig = { iceServers: [], iceTransportPolicy: 'all', expiresAt: null };

export function registerMediaHandlers(socket: Socket, log: Logger, o: MediaHandlerOptions): void {
  handle(socket, log, 'media:capabilities', async () => {
    const { room, peer } = await o.access();
    return { rtpCapabilities: room.rtpCapabilities, ...(o.ice?.(peer.id) ?? NO_ICE_SERVERS) };
  });
  // Fresh relay credentials before the old ones expire: only while access() still allows media.
  handle(socket, log, 'media:iceServers', async () => {
    const { peer } = await o.access();
    return o.ice?.(peer.id) ?? NO_ICE_SERVERS;
  });
  handle(socket, log, 'media:producers', async () => {
    const { room, peer } = await o.access();
    const producers = room
      .allProducers()
      .filter((p) => !p.closed && o.mayConsume(p, peer))
      .map((p) => ({ producerId: p.id, participantId: p.appData.peerId, kind: p.kind, source: p.appData.source, paused: p.paused }));
    return { producers };
  });
  handle(socket, log, 'media:createTransport', async ({ direction }) => (await o.access()).peer.createTransport(direction));
  handle(socket, log, 'media:connectTransport', async ({ transportId, dtlsParameters }) => {
    await (await o.access()).peer.connectTransport(transportId, dtlsParameters as types.DtlsParameters);
    return {};
  });
  handle(socket, log, 'media:restartIce', async ({ transportId }) => ({
    iceParameters: await (await o.access()).peer.restartIce(transportId),
  }));
  handle(socket, log, 'media:produce', async ({ transportId, kind, rtpParameters, source }) => {
    const { peer } = await o.access();
    const producer = await peer.produce(transportId, kind, rtpParameters as types.RtpParameters, source);
    o.announce({ producerId: producer.id, participantId: peer.id, kind, source, paused: producer.paused }, producer);
    return { id: producer.id };
  });
  handle(socket, log, 'media:consume', async ({ transportId, producerId, rtpCapabilities }) => {
    const { room, peer } = await o.access();
    const producer = room.producer(producerId);
    if (!o.mayConsume(producer, peer)) throw new AppError('FORBIDDEN', 'That stream is not for you.');
    return peer.consume(transportId, producer, rtpCapabilities as types.RtpCapabilities);
  });
  handle(socket, log, 'media:resumeConsumer', async ({ consumerId }) => {
    await (await o.access()).peer.resumeConsumer(consumerId);
    return {};
  });
  handle(socket, log, 'media:setPreferredLayers', async ({ consumerId, spatialLayer }) => {
    await (await o.access()).peer.setPreferredLayers(consumerId, spatialLayer);
    return {};
  });
  handle(socket, log, 'media:setProducerPaused', async ({ producerId, paused }) => {
    const p = await (await o.access()).peer.setProducerPaused(producerId, paused);
    o.announcePaused(p.id, paused);
    return {};
  });
  handle(socket, log, 'media:closeProducer', async ({ producerId }) => {
    (await o.access()).peer.closeProducer(producerId);
    return {};
  });
}
