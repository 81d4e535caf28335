// The default namespace: one socket per participant (a newer one of the same
// participant replaces the older: another tab, a reload, a network switch),
// within caps per participant and per address and a message budget per
// socket. A participant's media outlives their socket for a grace period
// (media/room.ts), so a reconnect takes it over (media:resume). It
// pushes each participant their own view when it changes (view-pusher.ts), drops
// a session's sockets when it is signed out or revoked, turns the
// clinician's decisions into immediate effects (media closed, sockets told
// and disconnected), and sends media messages to the node that holds the
// consultation's Router (media-router.ts), which checks admission.
//
// Several nodes: every domain event reaches every node (the cluster bus), so
// each listener here acts on this node's sockets (`io.local`) and Rooms only;
// pushes about media come from the Router's node through the adapter.
import type { Server, Socket } from 'socket.io';
import { AppError, isAppError } from '../core/errors.ts';
import type { AppointmentId, ParticipantId } from '../core/ids.ts';
import type { Lifecycle } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import type { TurnPolicy } from '../domain/access/turn.ts';
import type { FailureAttempt, FailureLimiter } from '../domain/access/failure-limiter.ts';
import type { SessionService } from '../domain/access/sessions.ts';
import type { ConsultationService } from '../domain/consultation.ts';
import type { FileService } from '../domain/files/service.ts';
import type { ThreadService } from '../domain/thread.ts';
import type { DomainBus } from '../domain/events.ts';
import type { Session } from '../domain/model.ts';
import type { RoomRegistry } from '../media/rooms.ts';
import type { ClusterBus, MediaRelay, NodeId, NodeRegistry, Placement, PresenceLedger, RelayRequest } from '../cluster/contract.ts';
import { authenticate, connectError, type SocketIdentity } from './auth.ts';
import { clientMessageTable, MessageGate, type ClientHandlers, type MessageRate } from './handle.ts';
import { MEDIA_OP_NAMES, mediaMessages } from './media-handlers.ts';
import type { MediaFactsCache } from './media-facts.ts';
import { MediaOwner } from './media-owner.ts';
import { MediaRouter } from './media-router.ts';
import { threadMessages } from './thread-handlers.ts';
import type { Presence } from './presence.ts';
import type { SignalEvents } from './signal-events.ts';
import { replaceOlderSockets } from './socket-takeover.ts';
import { watchStaffSession } from './session-watch.ts';
import { liveRoom, selfRoom, ViewPusher } from './view-pusher.ts';
import type { Ack } from '../wire/errors.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../wire/socket.ts';

/** All a socket keeps of its own: who it is and the client's address (the handlers are shared, see messagesFor). */
type SocketData = SocketIdentity & { address: string };
type AppServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface ConsultationSocketDeps {
  io: Server;
  sessions: SessionService;
  consultations: ConsultationService;
  thread: ThreadService;
  files: FileService;
  rooms: RoomRegistry;
  bus: DomainBus;
  presence: Presence;
  /** The nodes on this Redis: this node's id, the others' liveness, consultations' placement, the bus and the relay between them. */
  cluster: { nodeId: NodeId; registry: NodeRegistry; placement: Placement; bus: ClusterBus; relay: MediaRelay; ledger: PresenceLedger };
  /** What each consultation's Router node knows of its participants' media, for the views. */
  facts: MediaFactsCache;
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
  /** Runs a media request relayed to this node (its Router is here): for MediaRelay.start(). */
  serveMedia: (req: RelayRequest) => Promise<Ack<unknown>>;
  /** The drain's end: this node's consultations go to other nodes, their pages rebuild media there. */
  moveConsultations(): Promise<number>;
  /** Loads who is connected on the other nodes (at start). */
  loadPresence(): Promise<void>;
}

const sessionRoom = (id: string) => `s:${id}`;

type ClinicianSession = Extract<Session, { kind: 'clinician' }>;

export function attachConsultations(d: ConsultationSocketDeps): ConsultationSockets {
  const io = d.io as unknown as AppServer;
  const log = d.logger;
  let restarting = false;

  const { nodeId } = d.cluster;
  // ---- media: run where the consultation's Router is -----------------------
  const owner = new MediaOwner({
    io,
    nodeId,
    rooms: d.rooms,
    consultations: d.consultations,
    placement: d.cluster.placement,
    cluster: d.cluster.bus,
    bus: d.bus,
    facts: d.facts,
    turn: d.turn,
    logger: log,
    signals: d.signals,
  });
  const router = new MediaRouter({ placement: d.cluster.placement, relay: d.cluster.relay, consultations: d.consultations });
  d.cluster.bus.on('mediaFacts', (appointmentId, facts) => d.facts.set(appointmentId, facts));

  /**
   * This node's sockets of an appointment, through their participants' rooms (presence knows who is
   * here: no room per appointment to keep for each socket); null with nobody here (`in([])` would be everyone).
   */
  const localSocketsOf = (appointmentId: string) => {
    const ids = d.presence.participantsIn(appointmentId);
    return ids.length > 0 ? io.local.in(ids.map(selfRoom)) : null;
  };

  // ---- pushing views -------------------------------------------------------
  const connectionOf = d.facts.connectionOf(d.presence);
  // Ephemeral, on the participant's media peer: gone when they leave, are sent back or start their media afresh.
  const videoPausedOf = d.facts.videoPausedOf();
  const views = new ViewPusher({ io, consultations: d.consultations, presence: d.presence, logger: log, connectionOf, videoPausedOf });
  d.bus.on('changed', (appointmentId) => views.changed(appointmentId));
  d.bus.on('participantExpelled', (appointmentId, participantId, reason) => {
    d.rooms.get(appointmentId)?.closePeer(participantId);
    owner.factsChanged(appointmentId);
    const sockets = io.local.in(selfRoom(participantId));
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
    const sockets = io.local.in(sessionRoom(sessionId));
    sockets.emit('consultation:ended', { reason: 'signed-out' });
    sockets.disconnectSockets(true);
  });
  d.bus.on('consultationEnded', (appointmentId, reason = 'ended') => {
    d.rooms.close(appointmentId);
    router.forget(appointmentId);
    localSocketsOf(appointmentId)?.emit('consultation:ended', { reason });
    // After the clinician's own ack has gone out (this runs inside their request).
    setImmediate(() => localSocketsOf(appointmentId)?.disconnectSockets(true));
  });
  // A thread entry goes to those who may see it: one person and the sender, or everyone admitted.
  d.bus.on('threadItem', (item) => {
    void d.thread
      .viewForDelivery(item)
      .then((view) => {
        if (!view) return;
        const to = item.to ? io.local.to([selfRoom(item.to), selfRoom(item.from)]) : io.local.to(liveRoom(item.appointmentId));
        to.emit('thread:item', view);
      })
      .catch((e: unknown) => log.warn({ err: e, appointmentId: item.appointmentId }, 'could not deliver a thread item'));
  });
  // Given to another clinician: the old one's open page for it is told and cut off.
  d.bus.on('reassigned', (appointmentId, participantId) => {
    if (!participantId) return;
    d.rooms.get(appointmentId)?.closePeer(participantId);
    owner.factsChanged(appointmentId);
    const sockets = io.local.in(selfRoom(participantId));
    sockets.emit('consultation:ended', { reason: 'reassigned' });
    sockets.disconnectSockets(true);
  });
  // Someone began or stopped watching the waiting area, or running late changed: what the patients are shown.
  d.bus.on('viewsStale', (appointmentId) => views.changed(appointmentId));
  // The Router's node tells the pages wherever their sockets are (the adapter).
  d.rooms.on('roomLost', (appointmentId) => {
    router.forget(appointmentId);
    io.in(liveRoom(appointmentId)).emit('media:reset', { reason: 'media-lost' });
  });
  d.rooms.on('peerExpired', (appointmentId, participantId) => {
    log.info({ appointmentId, participantId }, 'media closed: nobody came back within the grace period');
  });

  // ---- presence across nodes -----------------------------------------------
  /** This node's count of a participant went from none to one (up) or back: the others learn it. */
  const announcePresence = (appointmentId: string, participantId: string, up: boolean) => {
    const apt = appointmentId as AppointmentId;
    const pid = participantId as ParticipantId;
    if (up) d.cluster.ledger.up(apt, pid);
    else d.cluster.ledger.down(apt, pid);
    d.cluster.bus.publish('presence', nodeId, apt, pid, up);
    owner.presenceChanged(appointmentId, participantId, d.presence.isConnected(participantId));
  };
  d.cluster.bus.on('presence', (node, appointmentId, participantId, up) => {
    d.presence.remote(node, appointmentId, participantId, up);
    owner.presenceChanged(appointmentId, participantId, d.presence.isConnected(participantId));
    views.presenceChanged(appointmentId);
  });
  // A node died (or left without a word): its sockets are gone, its consultations' media with them.
  const nodeGone = async (node: NodeId) => {
    router.forgetNode(node);
    const gone = d.presence.dropNode(node);
    for (const apt of new Set(gone.map((g) => g.appointmentId))) {
      views.presenceChanged(apt);
      d.bus.replay('connectionChanged', apt as AppointmentId);
    }
    for (const g of gone) owner.presenceChanged(g.appointmentId, g.participantId, d.presence.isConnected(g.participantId));
    // One node (whoever claims it) moves the dead node's consultations: placements released, pages told to rebuild.
    if (!(await d.cluster.registry.claimDead(node))) return;
    const moved = await d.cluster.placement.releaseAll(node);
    for (const apt of moved) io.in(liveRoom(apt)).emit('media:reset', { reason: 'media-lost' });
    log.warn({ node, consultations: moved.length }, 'a node stopped heartbeating: its consultations are placed again on live nodes');
  };
  d.cluster.registry.on('nodeDied', (node) => {
    nodeGone(node).catch((e: unknown) => log.error({ err: e, node }, 'could not move the consultations of a dead node'));
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
    if (d.presence.add(participantId, socket.id, appointmentId, address)) announcePresence(appointmentId, participantId, true);
    setImmediate(() => {
      if (!socket.connected) releaseSocket(socket, address);
    });
  }
  function releaseSocket(socket: AppSocket, address: string): void {
    const { participantId, appointmentId } = socket.data;
    const last = d.presence.remove(participantId, socket.id, address);
    // Their media waits for their next socket (a reload, a network switch), for the grace period.
    if (last) announcePresence(appointmentId, participantId, false);
    views.disconnected(appointmentId, participantId, last);
    d.bus.safeEmit('connectionChanged', appointmentId);
  }
  d.lifecycle.on('draining', (deadline) => {
    io.local.emit('server:draining', { deadline: new Date(deadline).toISOString() });
  });
  io.use((socket, next) => {
    if (restarting) {
      next(connectError(new AppError('SHUTTING_DOWN')));
      return;
    }
    // Guessing session cookies over the socket counts like guessing over HTTP.
    // Its place is taken on arrival (a burst of handshakes cannot outrun the count); a guess counts as a failure.
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
        attempt?.succeeded();
        socket.data = { ...identity, address };
        holdSocket(socket, address);
        next();
      })
      .catch(async (e: unknown) => {
        const guess = isAppError(e) && (e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN' || e.code === 'BAD_REQUEST');
        if (guess) await attempt?.failed();
        else attempt?.succeeded();
        next(connectError(e));
      });
  });

  // The namespace's messages, made once: each handler is given the socket it came on.
  const messages = new MessageGate<AppSocket>({
    table: clientMessageTable<AppSocket>({
      // Validated here, run on the node that holds the consultation's Router (maybe this one).
      ...mediaMessages<AppSocket>(MEDIA_OP_NAMES, ({ data: me }, op, payload) => router.run(me.appointmentId, me.participantId, op, payload)),
      ...clinicianMessages(),
      'consultation:leave': async (socket) => {
        await d.consultations.leave(socket.data.participantId, socket.data.appointmentId, socket.data.address);
        setImmediate(() => socket.disconnect(true));
        return {};
      },
      'self:check': async ({ data: me }, check) => {
        const verdict = await d.consultations.recordCheck(me.participantId, me.appointmentId, check);
        return verdict ? { verdict } : {};
      },
      'consultation:state': ({ data: { participantId, appointmentId: apt } }) =>
        d.consultations.view(participantId, apt, d.presence.isConnected, (id) => connectionOf(apt, id), (id) => videoPausedOf(apt, id) ?? undefined),
      ...threadMessages<AppSocket>({ thread: d.thread, files: d.files }),
    }),
    rate: d.limits.messages,
    logger: log,
    describe: ({ data: me }) => ({ appointmentId: me.appointmentId, participantId: me.participantId }),
  });
  /** The clinician's decisions: refused FORBIDDEN for anyone else. */
  function clinicianMessages() {
    const clinicianOnly = async (me: SocketData, fn: (s: ClinicianSession) => Promise<unknown>): Promise<Record<string, never>> => {
      if (me.session.kind !== 'clinician') throw new AppError('FORBIDDEN', 'Only the clinician can do that.');
      await fn(me.session);
      return {};
    };
    const pid = (x: string) => x as ParticipantId;
    return {
      'lobby:admit': ({ data: me }, { participantId: p }) =>
        clinicianOnly(me, async (s) => {
          const admitted = await d.consultations.admit(s, me.appointmentId, pid(p), me.address);
          if (admitted.waitingSince) d.observeWait?.((Date.now() - Date.parse(admitted.waitingSince)) / 1000);
        }),
      'lobby:deny': ({ data: me }, { participantId: p }) => clinicianOnly(me, (s) => d.consultations.deny(s, me.appointmentId, pid(p), me.address)),
      'lobby:sendBack': ({ data: me }, { participantId: p }) => clinicianOnly(me, (s) => d.consultations.sendBack(s, me.appointmentId, pid(p), me.address)),
      'lobby:remove': ({ data: me }, { participantId: p }) => clinicianOnly(me, (s) => d.consultations.remove(s, me.appointmentId, pid(p), me.address)),
      'consultation:lock': ({ data: me }, { locked }) => clinicianOnly(me, (s) => d.consultations.lock(s, me.appointmentId, locked, me.address)),
      'consultation:end': ({ data: me }) => clinicianOnly(me, (s) => d.consultations.end(s, me.appointmentId, me.address)),
    } satisfies ClientHandlers<AppSocket>;
  }
  // Shared by every socket (`this` is the socket that went).
  function disconnected(this: AppSocket, reason: string): void {
    const { appointmentId, participantId, address } = this.data;
    releaseSocket(this, address);
    d.signals?.emit('socketDisconnected', reason);
    log.info({ appointmentId, participantId, socketId: this.id, reason }, 'socket disconnected');
  }

  io.on('connection', (socket: AppSocket) => {
    const me = socket.data;
    const { appointmentId, participantId } = me;
    messages.admit(socket);
    // Counted in presence (by the handshake) before older sockets go, so theirs is never the "last" socket.
    replaceOlderSockets(d.io, socket, { appointmentId, participantId }, log, { signals: d.signals, elsewhere: d.presence.isConnectedElsewhere(participantId) });
    void socket.join([selfRoom(participantId), sessionRoom(me.session.id)]);
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
    socket.on('disconnect', disconnected);
  });
  return {
    serveMedia: owner.serve,
    moveConsultations: () => owner.moveAll(),
    loadPresence: async () => {
      for (const e of await d.cluster.ledger.snapshot()) if (e.node !== nodeId) d.presence.remote(e.node, e.appointmentId, e.participantId, true);
    },
    waitingCount: () => views.waitingCount(),
    restartAll: () => {
      restarting = true;
      // Local: a broadcast through the adapter goes out only after Redis answers, too late for the close below.
      io.local.emit('server:restarting', {});
      // The engine connection, not the socket.io session: the client sees 'transport close' and
      // reconnects by itself. close() without discard sends what is buffered (the event above) first.
      for (const socket of io.of('/').sockets.values()) socket.conn.close();
    },
  };
}
