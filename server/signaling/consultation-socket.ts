// The default namespace: one socket per open page of a consultation. It pushes
// each participant their own view whenever anything changes, turns the
// clinician's decisions into immediate effects (media closed, sockets told
// and disconnected), and routes media messages through the admission guard.
import type { Server, Socket } from 'socket.io';
import type { types } from 'mediasoup';
import { AppError, isAppError } from '../core/errors.ts';
import type { ParticipantId } from '../core/ids.ts';
import type { Lifecycle } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import type { TurnPolicy } from '../domain/access/turn.ts';
import { turnCredentials } from '../domain/access/turn.ts';
import type { FailureLimiter } from '../http/failure-limiter.ts';
import type { SessionService } from '../domain/access/sessions.ts';
import type { ConsultationService } from '../domain/consultation.ts';
import type { FileService } from '../domain/files/service.ts';
import type { ThreadService } from '../domain/thread.ts';
import type { DomainBus } from '../domain/events.ts';
import type { Session } from '../domain/model.ts';
import type { PeerEvents } from '../media/peer.ts';
import type { RoomRegistry } from '../media/rooms.ts';
import { authenticate, connectError, type SocketIdentity } from './auth.ts';
import { handle } from './handle.ts';
import { registerMediaHandlers } from './media-handlers.ts';
import { registerThreadHandlers } from './thread-handlers.ts';
import type { Presence } from './presence.ts';
import type { ClientToServerEvents, ServerToClientEvents } from './protocol.ts';

type AppServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketIdentity>;
type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketIdentity>;

export interface ConsultationSocketDeps {
  io: Server;
  sessions: SessionService;
  consultations: ConsultationService;
  thread: ThreadService;
  files: FileService;
  rooms: RoomRegistry;
  bus: DomainBus;
  presence: Presence;
  logger: Logger;
  turn: { policy: TurnPolicy; forceRelay: boolean };
  failureLimiter: FailureLimiter;
  lifecycle: Lifecycle;
  /** The client's address behind trusted proxies (as for HTTP requests). */
  clientAddress(remote: string, forwardedFor: string | string[] | undefined): string;
  /** Seconds someone waited before being admitted (metrics). */
  observeWait?: (seconds: number) => void;
}

export interface ConsultationSockets {
  /** Sockets of people in a waiting room on this node, as last pushed. */
  waitingCount(): number;
  /** Ends every consultation on this node for shutdown: tells everyone, disconnects. */
  endAll(): void;
}

const aptRoom = (id: string) => `apt:${id}`;
const liveRoom = (id: string) => `live:${id}`;
const selfRoom = (id: string) => `p:${id}`;

type ClinicianSession = Extract<Session, { kind: 'clinician' }>;

export function attachConsultations(d: ConsultationSocketDeps): ConsultationSockets {
  const io = d.io as unknown as AppServer;
  const log = d.logger;
  const waitingSockets = new Set<string>();

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
          if (view.self.state === 'waiting' && view.status !== 'ended') waitingSockets.add(s.id);
          else waitingSockets.delete(s.id);
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
  // A thread entry goes to those who may see it: one person and the sender, or everyone admitted.
  d.bus.on('threadItem', (item) => {
    void d.thread
      .viewForDelivery(item)
      .then((view) => {
        if (!view) return;
        const to = item.to ? io.to([selfRoom(item.to), selfRoom(item.from)]) : io.to(liveRoom(item.appointmentId));
        to.emit('thread:item', view);
      })
      .catch((e: unknown) => log.warn({ err: e, appointmentId: item.appointmentId }, 'could not deliver a thread item'));
  });
  d.rooms.on('roomLost', (appointmentId) => {
    io.in(liveRoom(appointmentId)).emit('media:reset', { reason: 'media-lost' });
  });

  // ---- connections ---------------------------------------------------------
  d.lifecycle.on('draining', (deadline) => {
    io.emit('server:draining', { deadline: new Date(deadline).toISOString() });
  });
  io.use((socket, next) => {
    // Guessing session cookies over the socket counts like guessing over HTTP.
    const address = d.clientAddress(socket.handshake.address, socket.handshake.headers['x-forwarded-for']);
    d.failureLimiter
      .check(address)
      .then(() => authenticate(socket, d.sessions, d.consultations, address))
      .then((identity) => {
        // Draining for shutdown: people already in a live call may reconnect; nobody new starts.
        if (d.lifecycle.draining && !d.rooms.get(identity.appointmentId)) {
          throw new AppError('SHUTTING_DOWN', 'This server is restarting; please try again in a minute.');
        }
        socket.data = identity;
        next();
      })
      .catch(async (e: unknown) => {
        if (isAppError(e) && (e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN' || e.code === 'BAD_REQUEST')) {
          await d.failureLimiter.fail(address).catch(() => undefined);
        }
        next(connectError(e));
      });
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
      // Only reached after access() confirmed admission: waiting people never get relay credentials.
      ice: (peerId) => ({
        iceServers: turnCredentials(d.turn.policy, peerId, Date.now()),
        iceTransportPolicy: d.turn.forceRelay ? 'relay' : 'all',
      }),
    });

    const clinicianOnly = async (fn: (s: ClinicianSession) => Promise<unknown>): Promise<Record<string, never>> => {
      if (me.session.kind !== 'clinician') throw new AppError('FORBIDDEN', 'Only the clinician can do that.');
      await fn(me.session);
      return {};
    };
    const pid = (x: string) => x as ParticipantId;
    const apt = appointmentId;
    const address = d.clientAddress(socket.handshake.address, socket.handshake.headers['x-forwarded-for']);
    handle(socket, log, 'lobby:admit', ({ participantId: p }) =>
      clinicianOnly(async (s) => {
        const admitted = await d.consultations.admit(s, apt, pid(p), address);
        if (admitted.waitingSince) d.observeWait?.((Date.now() - Date.parse(admitted.waitingSince)) / 1000);
      }),
    );
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
    registerThreadHandlers(socket, log, me, { thread: d.thread, files: d.files, address });

    socket.on('disconnect', () => {
      waitingSockets.delete(socket.id);
      if (d.presence.remove(participantId, socket.id)) d.rooms.get(appointmentId)?.closePeer(participantId);
      schedulePush(appointmentId);
    });
  });
  return {
    waitingCount: () => waitingSockets.size,
    endAll: () => {
      io.emit('consultation:ended', { reason: 'shutdown' });
      io.disconnectSockets(true);
    },
  };
}
