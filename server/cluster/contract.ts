// What the nodes of one deployment share through Redis, as interfaces: which
// nodes are alive and how loaded (NodeRegistry), which node serves each
// consultation's media (Placement), the events every node must see
// (ClusterBus), and media requests carried from the node that holds a
// page's socket to the node that holds its consultation's Router (MediaRelay).
// Signalling imports these types only; the Redis implementations live beside
// this file and are built in deps.ts. With no Redis (single-node trial mode)
// single-node.ts answers for this one node.
import type { EventEmitter } from 'node:events';
import type { AppointmentId, ParticipantId } from '../core/ids.ts';
import type { DomainBusEvents } from '../domain/events.ts';
import type { StaffWho, WaitingScope } from '../domain/waiting-area.ts';
import type { Ack } from '../wire/errors.ts';
import type { ClientMessageName } from '../wire/socket.ts';

export type NodeId = string;

/** What a node reports about itself at each heartbeat. */
export interface NodeLoad {
  /** Open mediasoup Routers (consultations and self-tests). */
  routers: number;
  /** mediasoup consumers across its workers (the forwarding cost). */
  consumers: number;
  /** The node process's CPU share over the last heartbeat interval, 0..cores. */
  cpu: number;
  /** Open socket.io connections. */
  sockets: number;
}

export interface NodeInfo {
  id: NodeId;
  /** The address pages send media to (mediasoup.announcedAddress, else listenIp). */
  mediaAddress: string;
  load: NodeLoad;
  /** Placement order, lower is emptier: loadScore(load). */
  score: number;
  /** True from SIGTERM or `cli drain` until the node leaves: it takes no new consultation. */
  draining: boolean;
  startedAt: string;
  /** The token this node wrote under FILES_DIR (stores/disk/files-marker.ts): another node that reads it there shares the directory. Absent from older nodes. */
  filesToken?: string;
}

/** The one rule for "least loaded": Routers weigh most (each is a call), then forwarding, then CPU. */
export function loadScore(l: NodeLoad): number {
  return l.routers * 10 + l.consumers + Math.round(l.cpu * 20);
}

export type NodeRegistryEvents = {
  /** A node stopped heartbeating for cluster.deadAfterMs (seen by every node; `handle` one of them wins, see claimDead). */
  nodeDied: [nodeId: NodeId];
  /** `cli drain` asked this node to drain: stop taking consultations, move them at `deadline` (epoch ms). */
  drainRequested: [deadline: number];
};

export interface NodeRegistry extends EventEmitter<NodeRegistryEvents> {
  readonly nodeId: NodeId;
  /** Writes the first heartbeat and starts the heartbeat and the watch of other nodes. */
  start(): Promise<void>;
  /** Stops heartbeating and removes this node's entry (a clean leave: not reported as a death). */
  stop(): Promise<void>;
  /** Live nodes, freshly read. */
  live(): Promise<NodeInfo[]>;
  /** From the last watch (at most one heartbeat old): is this node alive? */
  isAlive(nodeId: NodeId): boolean;
  /**
   * Of all nodes that saw `nodeId` die, exactly one gets true (SET NX): it
   * releases the dead node's placements and tells the pages (fail-over).
   */
  claimDead(nodeId: NodeId): Promise<boolean>;
  /** Asks a node (any, by id) to drain by `deadline` (epoch ms); false when no such live node. */
  requestDrain(nodeId: NodeId, deadline: number): Promise<boolean>;
}

export interface Placement {
  /**
   * The node that serves this consultation's media, placed atomically when
   * it has none: the current owner while it is alive (draining or not), or
   * else the live, non-draining node with the lowest score. Every node that
   * asks at once gets the same answer. Throws SHUTTING_DOWN when no live node
   * takes consultations.
   */
  ownerOf(appointmentId: AppointmentId): Promise<NodeId>;
  /** The current owner, if any (read only). */
  owner(appointmentId: AppointmentId): Promise<NodeId | null>;
  /** Forgets the placement if `nodeId` still owns it (its Router closed, or it moved). */
  release(appointmentId: AppointmentId, nodeId: NodeId): Promise<boolean>;
  /** Releases every placement `nodeId` owns (a dead or drained node); returns their appointment ids. */
  releaseAll(nodeId: NodeId): Promise<AppointmentId[]>;
}

/** The media messages a page sends, which run where the consultation's Router is. */
export type MediaOp = Extract<ClientMessageName, `media:${string}`> | 'self:videoPaused';

export interface RelayRequest {
  appointmentId: AppointmentId;
  participantId: ParticipantId;
  op: MediaOp;
  /** Already validated against ClientMessages[op] by the node that received it. */
  payload: unknown;
}

export interface MediaRelay {
  /** Starts serving requests addressed to this node with `serve` (the Router's node runs the op). */
  start(serve: (req: RelayRequest) => Promise<Ack<unknown>>): Promise<void>;
  /**
   * Runs `req` on node `to`: directly when it is this node; otherwise over
   * Redis, answered within cluster.relayTimeoutMs or refused MEDIA_ERROR
   * (retryable: the page tries again, by then on the new owner).
   */
  call(to: NodeId, req: RelayRequest): Promise<Ack<unknown>>;
  stop(): Promise<void>;
}

/** Per participant, what the Router's node knows of their media, for everyone's views. */
export interface MediaFact {
  /** Their media is held for them (no socket anywhere) for the grace period. */
  held?: true;
  /** A socket, but some transport's ICE is disconnected. */
  iceDisconnected?: true;
  videoPaused?: { sending: boolean; receiving: boolean };
}
export type MediaFacts = Record<string, MediaFact>;

/** Domain events every node acts on for its own sockets and Rooms (the bridge republishes them). */
export const BRIDGED_EVENTS = [
  'changed',
  'participantExpelled',
  'consultationEnded',
  'sessionEnded',
  'threadItem',
  'arrived',
  'connectionChanged',
  'reassigned',
  'runningLate',
  'viewsStale',
] as const satisfies readonly (keyof DomainBusEvents)[];
export type BridgedEvent = (typeof BRIDGED_EVENTS)[number];

/** Everything carried between nodes, in one order per sender. */
export type ClusterEvents = Pick<DomainBusEvents, BridgedEvent> & {
  /** A participant's first socket on `node` came (up) or its last went (down). */
  presence: [node: NodeId, appointmentId: AppointmentId, participantId: ParticipantId, up: boolean];
  /** The Router's node's facts for this consultation's views (all of them, replacing the last). */
  mediaFacts: [appointmentId: AppointmentId, facts: MediaFacts];
  /** A staff socket on `node` began watching a waiting area (watch) or stopped (null). */
  staffWatch: [node: NodeId, socketId: string, watch: { session: StaffWho; scope: WaitingScope } | null];
  /** A node started: the others send it what their staff sockets watch. */
  staffWatchSync: [node: NodeId];
};
export type ClusterEventName = keyof ClusterEvents;

export interface ClusterBus {
  /** To every other node, in order; fire and forget (batched per tick into one round trip). */
  publish<K extends ClusterEventName>(event: K, ...args: ClusterEvents[K]): void;
  /** Events from other nodes (never this one's own). */
  on<K extends ClusterEventName>(event: K, listener: (...args: ClusterEvents[K]) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One participant with a socket on one node. */
export interface PresenceEntry {
  node: NodeId;
  appointmentId: AppointmentId;
  participantId: ParticipantId;
}

/**
 * This node's participants with a socket here, kept in Redis (a hash per node
 * whose TTL the heartbeat renews, so a dead node's entries go with it), for a
 * node that starts to learn who is connected elsewhere; changes themselves
 * travel as `presence` events on the ClusterBus.
 */
export interface PresenceLedger {
  /** Fire and forget (batched per tick with the bus). */
  up(appointmentId: AppointmentId, participantId: ParticipantId): void;
  down(appointmentId: AppointmentId, participantId: ParticipantId): void;
  /** Every live node's entries (this node's included). */
  snapshot(): Promise<PresenceEntry[]>;
}
