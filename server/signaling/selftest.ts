// The /selftest namespace: "check my camera, microphone and connection". The
// browser sends its camera and microphone through a Router of its own on a
// real worker and receives them back, which proves the whole media path
// (ICE over the WebRtcServer port, DTLS-SRTP, codecs) before a consultation.
// It reaches no consultation, holds no patient data, is bounded in count and
// in time, and can be turned off by trust IT.
import type { Namespace, Server } from 'socket.io';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { RoomRegistry } from '../media/rooms.ts';
import { connectError } from './auth.ts';
import { limitMessages, type MessageRate } from './handle.ts';
import { registerMediaHandlers } from './media-handlers.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../wire/socket.ts';

export interface SelfTestOptions {
  maxConcurrent: number;
  maxSeconds: number;
  /** The same per-socket message budget as a consultation's sockets. */
  messages: MessageRate;
}

export function attachSelfTest(io: Server, rooms: RoomRegistry, log: Logger, opts: SelfTestOptions): Namespace {
  const nsp: Namespace<ClientToServerEvents, ServerToClientEvents> = io.of('/selftest');
  // Ids of connected self-test sockets: a set, so a second 'disconnect' cannot miscount.
  const live = new Set<string>();
  const full = () => live.size >= opts.maxConcurrent;
  nsp.use((_socket, next) => {
    if (full()) return next(connectError(new AppError('UNAVAILABLE', 'Too many self-tests at once; try again shortly.')));
    next();
  });
  nsp.on('connection', (socket) => {
    // Handshakes that passed the check together may overshoot it: the cap holds here.
    if (full()) return void socket.disconnect(true);
    live.add(socket.id);
    limitMessages(socket, opts.messages, log);
    const roomId = `selftest:${socket.id}`;
    const timer = setTimeout(() => socket.disconnect(true), opts.maxSeconds * 1000);
    const events = {
      onConsumerClosed: (consumerId: string) => socket.emit('media:consumerClosed', { consumerId }),
      onConsumerScore: (consumerId: string, score: number) => socket.emit('media:consumerScore', { consumerId, score }),
      onConsumerLayersChanged: (consumerId: string, spatialLayer: number | null) =>
        socket.emit('media:consumerLayers', { consumerId, spatialLayer }),
    };
    const gone = () => new AppError('UNAVAILABLE', 'This self-test has finished; reload the page to run it again.');
    registerMediaHandlers(socket, log, {
      access: async () => {
        // A call already queued when the page went away must not open a room nobody will close.
        if (socket.disconnected) throw gone();
        const room = await rooms.open(roomId, { purpose: 'selftest', stillWanted: () => socket.connected });
        if (socket.disconnected) throw gone();
        return { room, peer: room.peer(socket.id, events) };
      },
      mayConsume: (producer, self) => (producer.appData as { peerId?: string }).peerId === self.id,
      announce: (p) => socket.emit('media:newProducer', p),
      announcePaused: (producerId, paused) => socket.emit('media:producerPaused', { producerId, paused }),
    });
    socket.on('disconnect', () => {
      live.delete(socket.id);
      clearTimeout(timer);
      // Closes the room, or cancels it if it is still opening.
      rooms.close(roomId);
    });
  });
  return nsp;
}
