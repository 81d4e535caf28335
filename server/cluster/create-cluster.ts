// This node's place among the nodes on one Redis, built once by deps.ts: its
// registry entry, the placement of consultations, the bus, the relay and the
// presence ledger, or (no Redis) the single-node stand-ins. start() joins
// (first heartbeat, bus reading, domain events bridged); stop() leaves.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.ts';
import type { DomainBus } from '../domain/events.ts';
import { bridgeDomainBus } from './bus-bridge.ts';
import { clusterKeysFor, type ClusterKeys } from './cluster-keys.ts';
import { RedisClusterBus } from './cluster-bus.ts';
import { loadScore, type ClusterBus, type MediaRelay, type NodeId, type NodeLoad, type NodeRegistry, type Placement, type PresenceLedger } from './contract.ts';
import { RedisMediaRelay } from './media-relay.ts';
import { RedisNodeRegistry } from './node-registry.ts';
import { RedisPlacement } from './placement.ts';
import { RedisPresenceLedger } from './presence-ledger.ts';
import { SingleNodeRegistry, singleNodeBus, singleNodeLedger, singleNodePlacement, singleNodeRelay } from './single-node.ts';

export interface ClusterOptions {
  /** cluster.nodeId; a fresh name (host name and a random suffix) when absent. */
  nodeId?: string | undefined;
  mediaAddress: string;
  /** This node's FILES_DIR marker token, announced with its heartbeat. */
  filesToken?: string | undefined;
  heartbeatMs: number;
  deadAfterMs: number;
  relayTimeoutMs: number;
  load: () => NodeLoad;
  draining: () => boolean;
  logger: Logger;
}

export interface Cluster {
  nodeId: NodeId;
  keys: ClusterKeys;
  registry: NodeRegistry;
  placement: Placement;
  bus: ClusterBus;
  relay: MediaRelay;
  ledger: PresenceLedger;
  /** Joins: domain events bridged, the bus read, the first heartbeat written. */
  start(domain: DomainBus): Promise<void>;
  /** Leaves cleanly (not reported as a death). */
  stop(): Promise<void>;
}

export function defaultNodeId(): NodeId {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 48) || 'node';
  return `${host}-${randomBytes(3).toString('hex')}`;
}

export function createCluster(redis: Redis | null, o: ClusterOptions): Cluster {
  const nodeId = o.nodeId ?? defaultNodeId();
  const keys = clusterKeysFor();
  const log = o.logger;
  if (!redis) {
    const startedAt = new Date().toISOString();
    const registry = new SingleNodeRegistry(nodeId, () => {
      const load = o.load();
      return { id: nodeId, mediaAddress: o.mediaAddress, load, score: loadScore(load), draining: o.draining(), startedAt };
    });
    return {
      nodeId,
      keys,
      registry,
      placement: singleNodePlacement(nodeId),
      bus: singleNodeBus,
      relay: singleNodeRelay(nodeId),
      ledger: singleNodeLedger,
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    };
  }
  const registry = new RedisNodeRegistry(redis, {
    nodeId,
    mediaAddress: o.mediaAddress,
    filesToken: o.filesToken,
    heartbeatMs: o.heartbeatMs,
    deadAfterMs: o.deadAfterMs,
    load: () => o.load(),
    draining: () => o.draining(),
    keys,
    logger: log.child({ component: 'nodes' }),
  });
  const bus = new RedisClusterBus(redis, { nodeId, keys, logger: log.child({ component: 'cluster-bus' }) });
  const relay = new RedisMediaRelay(redis, { nodeId, keys, timeoutMs: o.relayTimeoutMs, logger: log.child({ component: 'relay' }) });
  let detach = (): void => undefined;
  return {
    nodeId,
    keys,
    registry,
    placement: new RedisPlacement(redis, { keys }),
    bus,
    relay,
    ledger: new RedisPresenceLedger(redis, { nodeId, keys, logger: log.child({ component: 'presence' }) }),
    start: async (domain) => {
      detach = bridgeDomainBus(domain, bus);
      await bus.start();
      await registry.start();
      log.info({ nodeId, mediaAddress: o.mediaAddress }, 'joined the nodes on this Redis');
    },
    stop: async () => {
      detach();
      await registry.stop();
      await relay.stop();
      await bus.stop();
    },
  };
}

/** This process's CPU share since the last call (0..cores), for the heartbeat. */
export function cpuMeter(): () => number {
  let last = process.cpuUsage();
  let at = performance.now();
  return () => {
    const now = performance.now();
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    const elapsedUs = Math.max(1, (now - at) * 1000);
    at = now;
    return Math.round(((used.user + used.system) / elapsedUs) * 100) / 100;
  };
}
