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
import { registerMediaHandlers } from './media-handlers.ts';
import type { ClientToServerEvents, ServerToClientEvents } from './protocol.ts';

export interface SelfTestOptions {
  maxConcurrent: number;
  maxSeconds: number;
}

export function attachSelfTest(io: Server, rooms: RoomRegistry, log: Logger, opts: SelfTestOptions): Namespace {
  const nsp: Namespace<ClientToServerEvents, ServerToClientEvents> = io.of('/selftest');
  let active = 0;
  nsp.use((_socket, next) => {
    if (active >= opts.maxConcurrent) return next(new AppError('UNAVAILABLE', 'Too many self-tests at once; try again shortly.'));
    next();
  });
  nsp.on('connection', (socket) => {
    active++;
    const roomId = `selftest:${socket.id}`;
    const timer = setTimeout(() => socket.disconnect(true), opts.maxSeconds * 1000);
    const events = {
      onConsumerClosed: (consumerId: string) => socket.emit('media:consumerClosed', { consumerId }),
      onConsumerScore: (consumerId: string, score: number) => socket.emit('media:consumerScore', { consumerId, score }),
      onConsumerLayersChanged: (consumerId: string, spatialLayer: number | null) =>
        socket.emit('media:consumerLayers', { consumerId, spatialLayer }),
    };
    registerMediaHandlers(socket, log, {
      access: async () => {
        const room = await rooms.open(roomId);
        return { room, peer: room.peer(socket.id, events) };
      },
      mayConsume: (producer, self) => (producer.appData as { peerId?: string }).peerId === self.id,
      announce: (p) => socket.emit('media:newProducer', p),
      announcePaused: (producerId, paused) => socket.emit('media:producerPaused', { producerId, paused }),
    });
    socket.on('disconnect', () => {
      active--;
      clearTimeout(timer);
      rooms.close(roomId);
    });
  });
  return nsp;
}
