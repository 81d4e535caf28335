// The /selftest namespace: "check my camera, microphone and connection". The
// browser sends its camera and microphone through a Router of its own on a
// real worker and receives them back, which proves the whole media path
// (ICE over the WebRtcServer port, DTLS-SRTP, codecs) before a consultation;
// the pre-call connectivity check runs its UDP-only, TCP-only and relay-only
// probes here too (one send transport at a time, reset by media:resume []).
// It reaches no consultation, holds no patient data, is bounded in count (in
// all and per client address) and in time, and can be turned off by trust IT.
// When the trust runs a TURN relay, a check gets relay credentials that last
// seconds (selfTest.relaySeconds; 0 gives none), so the relay can be probed.
import type { Namespace, Server } from 'socket.io';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { turnCredentials, type TurnPolicy } from '../domain/access/turn.ts';
import type { RoomRegistry } from '../media/rooms.ts';
import { connectError } from './auth.ts';
import { limitMessages, type MessageRate } from './handle.ts';
import { registerMediaHandlers, runMediaOp, SELF_TEST_OPS, type MediaHandlerOptions } from './media-handlers.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../wire/socket.ts';

export interface SelfTestOptions {
  maxConcurrent: number;
  /** Checks at once from one client address. */
  maxPerAddress: number;
  maxSeconds: number;
  /** The same per-socket message budget as a consultation's sockets. */
  messages: MessageRate;
  /** The trust's TURN relay and how long a check's credentials last (0 seconds: no relay probe). */
  relay: { policy: TurnPolicy; seconds: number };
  clientAddress(remote: string, forwardedFor: string | string[] | undefined): string;
}

export function attachSelfTest(io: Server, rooms: RoomRegistry, log: Logger, opts: SelfTestOptions): Namespace {
  const nsp: Namespace<ClientToServerEvents, ServerToClientEvents> = io.of('/selftest');
  // Connected self-test sockets and their client addresses: a map, so a second 'disconnect' cannot miscount.
  const live = new Map<string, string>();
  const fromAddress = (address: string) => [...live.values()].filter((a) => a === address).length;
  const busy = (address: string) => live.size >= opts.maxConcurrent || fromAddress(address) >= opts.maxPerAddress;
  const addressOf = (socket: { handshake: { address: string; headers: Record<string, string | string[] | undefined> } }) =>
    opts.clientAddress(socket.handshake.address, socket.handshake.headers['x-forwarded-for']);
  const relayPolicy = opts.relay.seconds > 0 ? { ...opts.relay.policy, ttlSeconds: opts.relay.seconds } : null;
  nsp.use((socket, next) => {
    if (busy(addressOf(socket))) return next(connectError(new AppError('UNAVAILABLE', 'Too many self-tests at once; try again shortly.')));
    next();
  });
  nsp.on('connection', (socket) => {
    const address = addressOf(socket);
    // Handshakes that passed the check together may overshoot it: the caps hold here.
    if (busy(address)) return void socket.disconnect(true);
    live.set(socket.id, address);
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
    const media: MediaHandlerOptions = {
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
      // The page chooses the relay per probe; the server never forces it here.
      ...(relayPolicy ? { ice: (peerId: string) => ({ ...turnCredentials(relayPolicy, `selftest-${peerId}`, Date.now()), iceTransportPolicy: 'all' as const }) } : {}),
    };
    // Always on this node: a self-test's room is the page's own, never placed or relayed.
    registerMediaHandlers(socket, log, SELF_TEST_OPS, (op, payload) => runMediaOp(media, log, op, payload));
    socket.on('disconnect', () => {
      live.delete(socket.id);
      clearTimeout(timer);
      // Closes the room, or cancels it if it is still opening.
      rooms.close(roomId);
    });
  });
  return nsp;
}
