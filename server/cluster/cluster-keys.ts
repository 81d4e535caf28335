// Every Redis key and channel the nodes share, under the stores' prefix
// (stores/redis/keys.ts). One home, so the registry, placement, bus, relay,
// presence ledger, socket.io adapter and rate limits never collide.
import type { AppointmentId } from '../core/ids.ts';
import type { NodeId } from './contract.ts';

export interface ClusterKeys {
  /** Set of node ids that have heartbeated (dead ones are removed by whoever notices). */
  nodes: string;
  /** Hash: a node's heartbeat (json NodeInfo, score, draining), expiring after cluster.deadAfterMs. */
  node(id: NodeId): string;
  /** A `cli drain` request for a node: the deadline (epoch ms). */
  drainRequest(id: NodeId): string;
  /** Set NX by the one node that handles a node's death. */
  deadClaim(id: NodeId): string;
  /** Set for a while by a node that stopped cleanly, so the others do not take its leaving for a death. */
  nodeLeft(id: NodeId): string;
  /** The node that serves a consultation's media. */
  placement(id: AppointmentId): string;
  /** Set: the appointments placed on a node (for releaseAll). */
  nodePlacements(id: NodeId): string;
  /** Hash: participant id -> appointment id, for participants with a socket on that node; expires with the node. */
  presence(id: NodeId): string;
  /** Stream: ClusterBus events. */
  bus: string;
  /** Pub/sub channel: media requests for a node. */
  relayRequests(id: NodeId): string;
  /** Pub/sub channel: replies to a node's relayed requests. */
  relayReplies(id: NodeId): string;
  /** socket.io's Redis Streams adapter: stream name, channel prefix, session key prefix. */
  socketIo: { stream: string; channelPrefix: string; sessionPrefix: string };
  /** @fastify/rate-limit's key namespace (per client address). */
  httpRateLimit: string;
}

export function clusterKeysFor(prefix = 'cr:'): ClusterKeys {
  return {
    nodes: `${prefix}nodes`,
    node: (id) => `${prefix}node:${id}`,
    drainRequest: (id) => `${prefix}node-drain:${id}`,
    deadClaim: (id) => `${prefix}node-dead:${id}`,
    nodeLeft: (id) => `${prefix}node-left:${id}`,
    placement: (id) => `${prefix}placement:${id}`,
    nodePlacements: (id) => `${prefix}node-placements:${id}`,
    presence: (id) => `${prefix}presence:${id}`,
    bus: `${prefix}bus`,
    relayRequests: (id) => `${prefix}relay:${id}`,
    relayReplies: (id) => `${prefix}relay-reply:${id}`,
    socketIo: { stream: `${prefix}sio`, channelPrefix: `${prefix}sio`, sessionPrefix: `${prefix}sio-session:` },
    httpRateLimit: `${prefix}rl:http:`,
  };
}
