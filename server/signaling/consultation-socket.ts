// The default namespace: one socket per participant (a newer one of the same
// participant replaces the older: another tab, a reload, a network switch),
// within caps per participant and per address and a message budget per
// socket. A participant's media outlives their socket for a grace period
// (media/room.ts), so a reconnect takes it over (media:resume). It
// pushes each participant their own view when it changes (view-pusher.ts), drops
// a session's sockets when it is signed out or revoked, turns the
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
import type { FailureAttempt, FailureLimiter } from '../domain/access/failure-limiter.ts';
import type { SessionService } from '../domain/access/sessions.ts';
import type { ConsultationService } from '../domain/consultation.ts';
import type { FileService } from '../domain/files/service.ts';
import type { ThreadService } from '../domain/thread.ts';
import type { DomainBus } from '../domain/events.ts';
import type { Session } from '../domain/model.ts';
import type { PeerEvents } from '../media/peer.ts';
import type { RoomRegistry } from '../media/rooms.ts';
import { authenticate, connectError, type SocketIdentity } from './auth.ts';
import { handle, limitMessages, type MessageRate } from './handle.ts';
import { registerMediaHandlers } from './media-handlers.ts';
import { registerThreadHandlers } from './thread-handlers.ts';
import type { Presence } from './presence.ts';
import { connectionState } from './connection-state.ts';
import type { SignalEvents } from './signal-events.ts';
import { replaceOlderSockets } from './socket-takeover.ts';
import { watchStaffSession } from './session-watch.ts';
import { liveRoom, selfRoom, ViewPusher } from './view-pusher.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../wire/socket.ts';

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
  /** Connections, media refusals, ICE restarts, resumptions (counted by /metrics). */
  signals?: SignalEvents;
  /**
   * Open sockets per participant (a bound on handshakes arriving together: a
   * connected newer socket replaces the older ones) and per client address on
   * this node, and each socket's message budget.
   */
  limits: { socketsPerParticipant: number; socketsPerAddress: number; messages: MessageRate };
  /** How often a staff socket re-checks its session (auth.sessionCheckSeconds): revoked elsewhere or timed out, it is cut. */
  sessionCheckSeconds: number;
}

export interface ConsultationSockets {
  /** Sockets of people in a waiting room on this node, as last pushed. */
  waitingCount(): number;
  /**
   * End of a planned drain: tells every page `server:restarting`, then closes
   * each connection underneath socket.io (no disconnect packet), so clients
   * see 'transport close' and reconnect by themselves, to the next process.
   * Handshakes arriving after this are refused SHUTTING_DOWN (retryable).
   */
  restartAll(): void;
}

const aptRoom = (id: string) => `apt:${id}`;
const sessionRoom = (id: string) => `s:${id}`;

type ClinicianSession = Extract<Session, { kind: 'clinician' }>;

export function attachConsultations(d: ConsultationSocketDeps): ConsultationSockets {
  const io = d.io as unknown as AppServer;
  const log = d.logger;
  let restarting = false;

  // ---- pushing views -------------------------------------------------------
  const connectionOf = connectionState(d.rooms, d.presence);
  // Ephemeral, on the participant's media peer: gone when they leave, are sent back or start their media afresh.
  const videoPausedOf = (apt: string, id: string) => d.rooms.get(apt)?.existingPeer(id)?.videoPaused;
  const views = new ViewPusher({ io, consultations: d.consultations, presence: d.presence, logger: log, connectionOf, videoPausedOf });
  d.bus.on('changed', (appointmentId) => views.changed(appointmentId));
  d.bus.on('participantExpelled', (appointmentId, participantId, reason) => {
    d.rooms.get(appointmentId)?.closePeer(participantId);
    const sockets = io.in(selfRoom(participantId));
    sockets.socketsLeave(liveRoom(appointmentId));
    if (reason === 'sent-back') {
      sockets.emit('media:reset', { reason: 'sent-back' });
    } else if (reason === 'denied' || reason === 'removed' || reason === 'link-reissued') {
      sockets.emit('consultation:ended', { reason });
      sockets.disconnectSockets(true);
    }
  });
  // Sign-out or revocation: that session's pages are told and cut off at once.
  d.bus.on('sessionEnded', (sessionId) => {
    const sockets = io.in(sessionRoom(sessionId));
    sockets.emit('consultation:ended', { reason: 'signed-out' });
    sockets.disconnectSockets(true);
  });
  d.bus.on('consultationEnded', (appointmentId, reason = 'ended') => {
    d.rooms.close(appointmentId);
    io.in(aptRoom(appointmentId)).emit('consultation:ended', { reason });
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
  // Given to another clinician: the old one's open page for it is told and cut off.
  d.bus.on('reassigned', (appointmentId, participantId) => {
    if (!participantId) return;
    d.rooms.get(appointmentId)?.closePeer(participantId);
    const sockets = io.in(selfRoom(participantId));
    sockets.emit('consultation:ended', { reason: 'reassigned' });
    sockets.disconnectSockets(true);
  });
  // Someone began or stopped watching the waiting area, or running late changed: what the patients are shown.
  d.bus.on('viewsStale', (appointmentId) => views.changed(appointmentId));
  d.rooms.on('roomLost', (appointmentId) => {
    io.in(liveRoom(appointmentId)).emit('media:reset', { reason: 'media-lost' });
  });
  d.rooms.on('peerExpired', (appointmentId, participantId) => {
    log.info({ appointmentId, participantId }, 'media closed: nobody came back within the grace period');
    views.changed(appointmentId);
  });

  // ---- connections ---------------------------------------------------------
  const tooManySockets = () => new AppError('RATE_LIMITED', 'Too many connections are open for this person or network; close another tab and try again.');
  /**
   * Counts the socket in presence, within the caps, just before it is let in
   * (synchronously, so concurrent handshakes cannot all pass one check). A
   * socket that never completes its connection (the client left meanwhile) is
   * released once socket.io has had its turn.
   */
  function holdSocket(socket: AppSocket, address: string): void {
    const { participantId, appointmentId } = socket.data;
    if (d.presence.socketsOf(participantId) >= d.limits.socketsPerParticipant || d.presence.socketsFrom(address) >= d.limits.socketsPerAddress) {
      throw tooManySockets();
    }
    d.presence.add(participantId, socket.id, appointmentId, address);
    setImmediate(() => {
      if (!socket.connected) releaseSocket(socket, address);
    });
  }
  function releaseSocket(socket: AppSocket, address: string): void {
    const { participantId, appointmentId } = socket.data;
    const last = d.presence.remove(participantId, socket.id, address);
    // Their media waits for their next socket (a reload, a network switch), for the grace period.
    if (last) d.rooms.get(appointmentId)?.holdPeer(participantId);
    views.disconnected(appointmentId, participantId, last);
    d.bus.safeEmit('connectionChanged', appointmentId);
  }
  d.lifecycle.on('draining', (deadline) => {
    io.emit('server:draining', { deadline: new Date(deadline).toISOString() });
  });
  io.use((socket, next) => {
    if (restarting) {
      next(connectError(new AppError('SHUTTING_DOWN')));
      return;
    }
    // Guessing session cookies over the socket counts like guessing over HTTP.
    // Counted on arrival (a burst of handshakes cannot outrun the count); given back unless it was a guess.
    const address = d.clientAddress(socket.handshake.address, socket.handshake.headers['x-forwarded-for']);
    // Before any cost: an address already holding its share of sockets is refused outright.
    if (d.presence.socketsFrom(address) >= d.limits.socketsPerAddress) {
      next(connectError(tooManySockets()));
      return;
    }
    let attempt: FailureAttempt | undefined;
    d.failureLimiter
      .attempt(address)
      .then((a) => {
        attempt = a;
        return authenticate(socket, d.sessions, d.consultations, address);
      })
      .then(async (identity) => {
        // Draining for shutdown: existing sessions may reconnect (waiting people stay waiting, their
        // place kept); new sessions are refused at HTTP, new rooms by rooms.open().
        await attempt?.refund();
        socket.data = identity;
        holdSocket(socket, address);
        next();
      })
      .catch(async (e: unknown) => {
        const guess = isAppError(e) && (e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN' || e.code === 'BAD_REQUEST');
        if (!guess) await attempt?.refund();
        next(connectError(e));
      });
  });

  io.on('connection', (socket: AppSocket) => {
    const me = socket.data;
    const { appointmentId, participantId } = me;
    limitMessages(socket, d.limits.messages, log);
    // Counted in presence (by the handshake) before older sockets go, so theirs is never the "last" socket.
    replaceOlderSockets(d.io, socket, { appointmentId, participantId }, log, d.signals);
    void socket.join([aptRoom(appointmentId), selfRoom(participantId), sessionRoom(me.session.id)]);
    d.rooms.get(appointmentId)?.claimPeer(participantId);
    views.connected(appointmentId, participantId, socket.id);
    d.bus.safeEmit('connectionChanged', appointmentId);
    if (me.session.kind === 'clinician') {
      watchStaffSession(socket, me.session.id, {
        liveStaff: (id) => d.sessions.liveStaff(id),
        touch: (s) => d.sessions.touch(s),
        everySeconds: d.sessionCheckSeconds,
        logger: log,
      });
    }
    d.signals?.emit('socketConnected');
    log.info({ appointmentId, participantId, socketId: socket.id, role: me.role }, 'socket connected');

    // The peer is the participant's, not this socket's: its events reach every socket of theirs.
    const mine = () => io.to(selfRoom(participantId));
    const peerEvents: PeerEvents = {
      onConsumerClosed: (consumerId) => mine().emit('media:consumerClosed', { consumerId }),
      onConsumerScore: (consumerId, score, producerScore) =>
        mine().emit('media:consumerScore', { consumerId, score, ...(producerScore === undefined ? {} : { producerScore }) }),
      onConsumerLayersChanged: (consumerId, spatialLayer) => mine().emit('media:consumerLayers', { consumerId, spatialLayer }),
      onIceStateChange: (transportId, state) => {
        log.info({ appointmentId, participantId, transportId, iceState: state }, 'media connection state changed');
        views.changed(appointmentId);
      },
    };
    const mediaAccess = async () => {
      // Admission is read from the store on every media call, on purpose.
      await d.consultations.requireAdmitted(participantId, appointmentId);
      // Read again once the Router exists: an end landing meanwhile must leave no Router behind.
      const stillLive = () =>
        d.consultations.requireAdmitted(participantId, appointmentId).then(
          () => true,
          (e: unknown) => !(isAppError(e) && (e.code === 'CONSULTATION_ENDED' || e.code === 'APPOINTMENT_CANCELLED')),
        );
      const room = await d.rooms.open(appointmentId, { stillWanted: stillLive });
      return { room, peer: room.peer(participantId, peerEvents) };
    };
    registerMediaHandlers(socket, log.child({ appointmentId, participantId }), {
      access: mediaAccess,
      released: () => views.changed(appointmentId),
      mayConsume: (producer: types.Producer, self) => (producer.appData as { peerId?: string }).peerId !== self.id,
      announce: (p, producer) => {
        socket.to(liveRoom(appointmentId)).emit('media:newProducer', p);
        producer.observer.once('close', () => io.to(liveRoom(appointmentId)).emit('media:producerClosed', { producerId: producer.id }));
      },
      announcePaused: (producerId, paused) => socket.to(liveRoom(appointmentId)).emit('media:producerPaused', { producerId, paused }),
      // Only reached after access() confirmed admission: waiting people never get relay credentials.
      ice: (peerId) => ({
        ...turnCredentials(d.turn.policy, peerId, Date.now()),
        iceTransportPolicy: d.turn.forceRelay ? 'relay' : 'all',
      }),
      ...(d.signals ? { signals: d.signals } : {}),
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
    handle(socket, log, 'self:check', async (check) => {
      const verdict = await d.consultations.recordCheck(participantId, apt, check);
      return verdict ? { verdict } : {};
    });
    // Video paused to keep the sound clear (an admitted participant's weak link): everyone's view shows it.
    handle(socket, log, 'self:videoPaused', async (paused) => {
      const { peer } = await mediaAccess();
      if (peer.setVideoPaused(paused)) views.changed(apt);
      return {};
    });
    handle(socket, log, 'consultation:state', () =>
      d.consultations.view(participantId, apt, d.presence.isConnected, (id) => connectionOf(apt, id), (id) => videoPausedOf(apt, id)),
    );
    registerThreadHandlers(socket, log, me, { thread: d.thread, files: d.files, address });

    socket.on('disconnect', (reason) => {
      releaseSocket(socket, address);
      d.signals?.emit('socketDisconnected', reason);
      log.info({ appointmentId, participantId, socketId: socket.id, reason }, 'socket disconnected');
    });
  });
  return {
    waitingCount: () => views.waitingCount(),
    restartAll: () => {
      restarting = true;
      io.emit('server:restarting', {});
      // The engine connection, not the socket.io session: the client sees 'transport close' and
      // reconnects by itself. close() without discard sends what is buffered (the event above) first.
      for (const socket of io.of('/').sockets.values()) socket.conn.close();
    },
  };
}
