// The staff namespace (/staff): a signed-in staff member's console keeps one
// socket open all day, in a consultation too. It is authenticated by the staff
// session cookie (any role; the Origin is checked for every namespace by the
// server's allowRequest, app.ts), counted against the per-address cap, held to
// the per-socket message budget, re-checked like a clinician's consultation
// socket (session-watch.ts) and cut at once with staff:ended when its session
// is signed out or revoked. It shows a live waiting area (staff-board.ts) and
// carries the clinic's actions on it (staff-handlers.ts).
import { fastifyCookie } from '@fastify/cookie';
import type { Namespace, Server, Socket } from 'socket.io';
import { AppError, isAppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { hasAnyRole } from '../domain/access/permissions.ts';
import type { FailureAttempt, FailureLimiter } from '../domain/access/failure-limiter.ts';
import type { SessionService } from '../domain/access/sessions.ts';
import type { ClinicService } from '../domain/clinics.ts';
import type { DomainBus } from '../domain/events.ts';
import type { StaffSession } from '../domain/model.ts';
import type { WaitingActions } from '../domain/waiting-actions.ts';
import type { WaitingAreaReader } from '../domain/waiting-area.ts';
import type { RoomRegistry } from '../media/rooms.ts';
import type { ClusterBus, NodeId, NodeRegistry } from '../cluster/contract.ts';
import type { ConnectionOf } from './view-pusher.ts';
import { CLINICIAN_COOKIE } from '../edge/cookies.ts';
import { STAFF_NAMESPACE, type StaffClientToServerEvents, type StaffServerToClientEvents } from '../wire/staff-socket.ts';
import { connectError } from './auth.ts';
import { MessageGate, type MessageRate } from './handle.ts';
import type { Presence } from './presence.ts';
import { watchStaffSession } from './session-watch.ts';
import { WaitingBoard } from './staff-board.ts';
import { staffMessages } from './staff-handlers.ts';
import type { StaffPresence } from './staff-presence.ts';

interface StaffSocketData {
  session: StaffSession;
  address: string;
}
type StaffNamespace = Namespace<StaffClientToServerEvents, StaffServerToClientEvents, Record<string, never>, StaffSocketData>;
type StaffSocket = Socket<StaffClientToServerEvents, StaffServerToClientEvents, Record<string, never>, StaffSocketData>;

export interface StaffSocketDeps {
  io: Server;
  sessions: SessionService;
  clinics: ClinicService;
  actions: WaitingActions;
  reader: WaitingAreaReader;
  /** Who watches which waiting area on this node (the patients' "your clinician knows you are here"). */
  staffPresence: StaffPresence;
  /** The consultation sockets' presence: the waiting people's connection, and the per-address cap shared with them. */
  presence: Presence;
  rooms: RoomRegistry;
  /** A waiting person's connection as everyone sees it (presence on every node and their media's facts). */
  connectionOf: ConnectionOf;
  /** This node's id, the others' liveness and the bus that tells them what staff here watch. */
  cluster: { nodeId: NodeId; registry: NodeRegistry; bus: ClusterBus };
  bus: DomainBus;
  logger: Logger;
  failureLimiter: FailureLimiter;
  clientAddress(remote: string, forwardedFor: string | string[] | undefined): string;
  limits: { socketsPerAddress: number; messages: MessageRate };
  /** auth.sessionCheckSeconds: how often an open socket re-checks its session. */
  sessionCheckSeconds: number;
  /** How long a running-late notice lasts. */
  runningLateSeconds: number;
  now: () => Date;
}

const sessionRoom = (id: string) => `s:${id}`;
/** Staff sockets count in the shared presence under their own key (never a participant id). */
const presenceKey = (s: StaffSession) => `staff:${s.id}`;

/** The live staff session behind the handshake's cookie; refused without one or without any role. */
async function staffOf(socket: StaffSocket, sessions: SessionService): Promise<StaffSession> {
  const header = socket.handshake.headers.cookie;
  const cookies = typeof header === 'string' && header.length < 8192 ? fastifyCookie.parse(header) : {};
  const s = await sessions.get(cookies[CLINICIAN_COOKIE]);
  if (!s || s.kind !== 'clinician') throw new AppError('UNAUTHENTICATED', 'No staff session; sign in again.');
  if (!hasAnyRole(s)) throw new AppError('NO_ROLE');
  // Connecting is not use (it happens by itself after any network blip): only the person's actions are.
  return s;
}

export function attachStaff(d: StaffSocketDeps): void {
  const ns = d.io.of(STAFF_NAMESPACE) as unknown as StaffNamespace;
  const log = d.logger;
  const connectionOf = d.connectionOf;
  // What staff watch, on every node: a patient on node A is told their clinician on node B knows they wait.
  const { nodeId, bus: cluster } = d.cluster;
  d.staffPresence.onChange = (socketId, w) => cluster.publish('staffWatch', nodeId, socketId, w);
  cluster.on('staffWatch', (node, socketId, w) => d.staffPresence.remote(node, socketId, w));
  cluster.on('staffWatchSync', () => {
    for (const [socketId, w] of d.staffPresence.local()) cluster.publish('staffWatch', nodeId, socketId, w);
  });
  cluster.publish('staffWatchSync', nodeId);
  d.cluster.registry.on('nodeDied', (node) => d.staffPresence.dropNode(node));
  const board = new WaitingBoard({
    reader: d.reader,
    presence: d.staffPresence,
    connection: { isConnected: d.presence.isConnected, connectionOf },
    bus: d.bus,
    logger: log,
    runningLateSeconds: d.runningLateSeconds,
    now: () => d.now().getTime(),
  });

  // ---- what changes who waits ------------------------------------------------
  d.bus.on('changed', (appointmentId) => board.changed(appointmentId));
  d.bus.on('connectionChanged', (appointmentId) => board.changed(appointmentId));
  d.bus.on('arrived', (appointmentId, participantId, since) => board.arrived(appointmentId, participantId, since));
  d.bus.on('runningLate', (clinicianId) => {
    // Every node tells its own staff; only the node where it was set tells the patients (every node hears that).
    const here = !d.bus.replaying;
    const tell = async () => {
      await board.runningLate(clinicianId);
      if (!here) return;
      // Their waiting patients are told too.
      for (const id of await d.reader.appointmentIdsOf(clinicianId)) d.bus.safeEmit('viewsStale', id);
    };
    tell().catch((e: unknown) => log.warn({ err: e }, 'could not push a running-late notice'));
  });
  d.bus.on('sessionEnded', (sessionId) => {
    const sockets = ns.local.in(sessionRoom(sessionId));
    sockets.emit('staff:ended', { reason: 'signed-out' });
    sockets.disconnectSockets(true);
  });

  // ---- connections -----------------------------------------------------------
  const tooMany = () => new AppError('RATE_LIMITED', 'Too many connections are open from this network; close another tab and try again.');
  ns.use((socket, next) => {
    const address = d.clientAddress(socket.handshake.address, socket.handshake.headers['x-forwarded-for']);
    if (d.presence.socketsFrom(address) >= d.limits.socketsPerAddress) {
      next(connectError(tooMany()));
      return;
    }
    // Guessing staff cookies here counts like guessing them over HTTP.
    let attempt: FailureAttempt | undefined;
    d.failureLimiter
      .attempt(address)
      .then((a) => {
        attempt = a;
        return staffOf(socket, d.sessions);
      })
      .then(async (session) => {
        attempt?.succeeded();
        if (d.presence.socketsFrom(address) >= d.limits.socketsPerAddress) throw tooMany();
        socket.data = { session, address };
        // Counted before it is let in (synchronously), released when it goes or never completes.
        d.presence.add(presenceKey(session), socket.id, undefined, address);
        setImmediate(() => {
          if (!socket.connected) d.presence.remove(presenceKey(session), socket.id, address);
        });
        next();
      })
      .catch(async (e: unknown) => {
        const guess = isAppError(e) && e.code === 'UNAUTHENTICATED';
        if (guess) await attempt?.failed();
        else attempt?.succeeded();
        next(connectError(e));
      });
  });

  // The namespace's messages, made once; each socket holds only its data and its message budget.
  const messages = new MessageGate<StaffSocket>({
    table: staffMessages<StaffSocket>({
      board,
      actions: d.actions,
      clinics: d.clinics,
      used: (socket) => {
        d.sessions.touch(socket.data.session).catch((e: unknown) => log.warn({ err: e, socketId: socket.id }, 'could not note a staff session in use'));
      },
    }),
    rate: d.limits.messages,
    logger: log,
  });
  // Shared by every socket (`this` is the socket that went).
  function disconnected(this: StaffSocket, reason: string): void {
    board.unwatch(this.id);
    d.presence.remove(presenceKey(this.data.session), this.id, this.data.address);
    log.info({ socketId: this.id, reason }, 'staff socket disconnected');
  }

  ns.on('connection', (socket: StaffSocket) => {
    const { session } = socket.data;
    messages.admit(socket);
    void socket.join(sessionRoom(session.id));
    watchStaffSession(socket, session.id, {
      liveStaff: (id) => d.sessions.liveStaff(id),
      everySeconds: d.sessionCheckSeconds,
      logger: log,
      tell: () => socket.emit('staff:ended', { reason: 'signed-out' }),
    });
    log.info({ socketId: socket.id, userId: session.clinicianId }, 'staff socket connected');
    socket.on('disconnect', disconnected);
  });
}
