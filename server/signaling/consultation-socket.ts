// The default namespace: one socket per open page of a consultation. It pushes
// each participant their own view whenever anything changes, turns the
// clinician's decisions into immediate effects (media closed, sockets told
// and disconnected), and routes media messages through the admission guard.
import type { Server, Socket } from 'socket.io';
import type { types } from 'mediasoup';
import { AppError } from '../core/errors.ts';
import type { ParticipantId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { SessionService } from '../domain/access/sessions.ts';
import type { ConsultationService } from '../domain/consultation.ts';
import type { DomainBus } from '../domain/events.ts';
import type { Session } from '../domain/model.ts';
import type { PeerEvents } from '../media/peer.ts';
import type { RoomRegistry } from '../media/rooms.ts';
import { authenticate, connectError, type SocketIdentity } from './auth.ts';
import { handle } from './handle.ts';
import { registerMediaHandlers } from './media-handlers.ts';
import type { Presence } from './presence.ts';
import type { ClientToServerEvents, ServerToClientEvents } from './protocol.ts';

type AppServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketIdentity>;
type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketIdentity>;

export interface ConsultationSocketDeps {
  io: Server;
  sessions: SessionService;
  consultations: ConsultationService;
  rooms: RoomRegistry;
  bus: DomainBus;
  presence: Presence;
  logger: Logger;
}

const aptRoom = (id: string) => `apt:${id}`;
const liveRoom = (id: string) => `live:${id}`;
const selfRoom = (id: string) => `p:${id}`;

type ClinicianSession = Extract<Session, { kind: 'clinician' }>;

export function attachConsultations(d: ConsultationSocketDeps): void {
  const io = d.io as unknown as AppServer;
  const log = d.logger;

  // ---- pushing views -------------------------------------------------------
  const pending = new Set<string>();
  async function pushViews(appointmentId: string): Promise<void> {
    const sockets = await io.in(aptRoom(appointmentId)).fetchSockets();
    await Promise.all(
      sockets.map(async (s) => {
        try {
          const view = await d.consultations.view(s.data.participantId, s.data.appointmentId, d.presence.isConnected);
          if (view.self.state === 'admitted' && view.status !== 'ended') s.join(liveRoom(appointmentId));
          else s.leave(liveRoom(appointmentId));
          s.emit('consultation:state', view);
        } catch (e) {
          log.warn({ err: e, appointmentId }, 'could not push a view');
        }
      }),
    );
  }
  /** Coalesces bursts of changes into one push per appointment. */
  function schedulePush(appointmentId: string): void {
    if (pending.has(appointmentId)) return;
    pending.add(appointmentId);
    setImmediate(() => {
      pending.delete(appointmentId);
      void pushViews(appointmentId);
    });
  }

  d.bus.on('changed', schedulePush);
  d.bus.on('participantExpelled', (appointmentId, participantId, reason) => {
    d.rooms.get(appointmentId)?.closePeer(participantId);
    const sockets = io.in(selfRoom(participantId));
    sockets.socketsLeave(liveRoom(appointmentId));
    if (reason === 'sent-back') {
      sockets.emit('media:reset', { reason: 'sent-back' });
    } else if (reason === 'denied' || reason === 'removed') {
      sockets.emit('consultation:ended', { reason });
      sockets.disconnectSockets(true);
    }
  });
  d.bus.on('consultationEnded', (appointmentId) => {
    d.rooms.close(appointmentId);
    io.in(aptRoom(appointmentId)).emit('consultation:ended', { reason: 'ended' });
    // After the clinician's own ack has gone out (this runs inside their request).
    setImmediate(() => io.in(aptRoom(appointmentId)).disconnectSockets(true));
  });
  d.rooms.on('roomLost', (appointmentId) => {
    io.in(liveRoom(appointmentId)).emit('media:reset', { reason: 'media-lost' });
  });

  // ---- connections ---------------------------------------------------------
  io.use((socket, next) => {
    authenticate(socket, d.sessions, d.consultations).then(
      (identity) => {
        socket.data = identity;
        next();
      },
      (e: unknown) => next(connectError(e)),
    );
  });

  io.on('connection', (socket: AppSocket) => {
    const me = socket.data;
    const { appointmentId, participantId } = me;
    void socket.join([aptRoom(appointmentId), selfRoom(participantId)]);
    d.presence.add(participantId, socket.id);
    schedulePush(appointmentId);

    const peerEvents: PeerEvents = {
      onConsumerClosed: (consumerId) => socket.emit('media:consumerClosed', { consumerId }),
      onConsumerScore: (consumerId, score) => socket.emit('media:consumerScore', { consumerId, score }),
      onConsumerLayersChanged: (consumerId, spatialLayer) => socket.emit('media:consumerLayers', { consumerId, spatialLayer }),
    };
    registerMediaHandlers(socket, log, {
      access: async () => {
        // Admission is read from the store on every media call, on purpose.
        await d.consultations.requireAdmitted(participantId, appointmentId);
        const room = await d.rooms.open(appointmentId);
        return { room, peer: room.peer(participantId, peerEvents) };
      },
      mayConsume: (producer: types.Producer, self) => (producer.appData as { peerId?: string }).peerId !== self.id,
      announce: (p, producer) => {
        socket.to(liveRoom(appointmentId)).emit('media:newProducer', p);
        producer.observer.once('close', () => io.to(liveRoom(appointmentId)).emit('media:producerClosed', { producerId: producer.id }));
      },
      announcePaused: (producerId, paused) => socket.to(liveRoom(appointmentId)).emit('media:producerPaused', { producerId, paused }),
    });

    const clinicianOnly = async (fn: (s: ClinicianSession) => Promise<unknown>): Promise<Record<string, never>> => {
      if (me.session.kind !== 'clinician') throw new AppError('FORBIDDEN', 'Only the clinician can do that.');
      await fn(me.session);
      return {};
    };
    const pid = (x: string) => x as ParticipantId;
    const apt = appointmentId;
    const address = socket.handshake.address;
    handle(socket, log, 'lobby:admit', ({ participantId: p }) => clinicianOnly((s) => d.consultations.admit(s, apt, pid(p), address)));
    handle(socket, log, 'lobby:deny', ({ participantId: p }) => clinicianOnly((s) => d.consultations.deny(s, apt, pid(p), address)));
    handle(socket, log, 'lobby:sendBack', ({ participantId: p }) => clinicianOnly((s) => d.consultations.sendBack(s, apt, pid(p), address)));
    handle(socket, log, 'lobby:remove', ({ participantId: p }) => clinicianOnly((s) => d.consultations.remove(s, apt, pid(p), address)));
    handle(socket, log, 'consultation:lock', ({ locked }) => clinicianOnly((s) => d.consultations.lock(s, apt, locked, address)));
    handle(socket, log, 'consultation:end', () => clinicianOnly((s) => d.consultations.end(s, apt, address)));
    handle(socket, log, 'consultation:leave', async () => {
      await d.consultations.leave(participantId, apt, address);
      setImmediate(() => socket.disconnect(true));
      return {};
    });
    handle(socket, log, 'consultation:state', () => d.consultations.view(participantId, apt, d.presence.isConnected));

    socket.on('disconnect', () => {
      if (d.presence.remove(participantId, socket.id)) d.rooms.get(appointmentId)?.closePeer(participantId);
      schedulePush(appointmentId);
    });
  });
}
