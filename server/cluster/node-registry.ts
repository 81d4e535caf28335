// Which nodes are alive, through Redis. Every heartbeatMs a node writes its
// heartbeat in one MULTI (its id in the nodes set; its NodeInfo, score and
// draining flag in its hash; the hash and its presence ledger expiring after
// deadAfterMs) and reads any `cli drain` request for it; then it watches the
// others: a node it saw alive whose hash has expired is dead (`nodeDied`, once
// per death), unless it left cleanly (stop() leaves a short-lived marker).
// A node restarted under the same id (NODE_ID) before its last life's hash
// expired reports that life's death itself, on its first tick: nobody else
// can see it, and that life's consultations have lost their Routers.
// A Redis outage is logged once; the timer carries on and heartbeats resume on
// their own. After an outage every node's hash may have expired meanwhile, so
// no death is declared until the others have had time to beat again.
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.ts';
import { loadScore, type NodeId, type NodeInfo, type NodeLoad, type NodeRegistry, type NodeRegistryEvents } from './contract.ts';
import type { ClusterKeys } from './cluster-keys.ts';
import { runScript, script } from '../core/lua-script.ts';
import { parseNodeInfo } from './node-info.ts';

export interface NodeRegistryOptions {
  nodeId: NodeId;
  mediaAddress: string;
  heartbeatMs: number;
  deadAfterMs: number;
  load: () => NodeLoad;
  draining: () => boolean;
  /** Announced in every heartbeat (NodeInfo.filesToken). */
  filesToken?: string | undefined;
  keys: ClusterKeys;
  logger: Logger;
  now?: () => number;
}

/** How long the one node that handles a death keeps its claim (SET NX). */
const DEAD_CLAIM_SECONDS = 600;
/** How long a `cli drain` request waits for its node. */
const DRAIN_REQUEST_SECONDS = 7200;
/** A clean leave's marker outlives any watcher's grace after an outage (deadAfterMs) and its next watch. */
const LEFT_MARKER_DEAD_AFTERS = 10;
/**
 * After an outage, how long (in deadAfterMs) the others get to beat again before a missing one counts as dead:
 * their clients reconnect on their own backoff (ioredis: up to 2 s apart), not all at once.
 */
const RESUME_GRACE_DEAD_AFTERS = 2;

/** KEYS: the node's hash, its drain request. ARGV: deadline, seconds. Asks only a live node (1), else 0. */
const REQUEST_DRAIN = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'EX', tonumber(ARGV[2]))
return 1
`);

export class RedisNodeRegistry extends EventEmitter<NodeRegistryEvents> implements NodeRegistry {
  readonly nodeId: NodeId;
  readonly #redis: Redis;
  readonly #o: NodeRegistryOptions;
  readonly #now: () => number;
  #startedAt = '';
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #started = false;
  /** Alive at the last watch (isAlive). */
  #alive = new Set<NodeId>();
  /** Seen alive and not yet found dead or gone: whose disappearance is a death. */
  #watched = new Set<NodeId>();
  /** No death is declared before this (epoch ms): set when heartbeats resume after an outage. */
  #graceUntil = 0;
  #down = false;
  #drainDeadline: number | undefined;
  /** At start, this id's hash was still there: its last process died (SIGKILL, crash) and restarted before anyone noticed. */
  #previousLife = false;
  /** A heartbeat was written since start(). */
  #beaten = false;

  constructor(redis: Redis, opts: NodeRegistryOptions) {
    super();
    this.nodeId = opts.nodeId;
    this.#redis = redis;
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    const { keys } = this.#o;
    this.#startedAt = new Date(this.#now()).toISOString();
    this.#drainDeadline = undefined;
    // A node restarted under the same id starts afresh: no drain request, leave marker, death claim or presence of its last life.
    await this.#redis.del(keys.nodeLeft(this.nodeId), keys.drainRequest(this.nodeId), keys.deadClaim(this.nodeId), keys.presence(this.nodeId));
    this.#previousLife = (await this.#redis.exists(keys.node(this.nodeId))) === 1;
    if (this.#previousLife) this.#o.logger.warn({ nodeId: this.nodeId }, 'cluster: this node id was still heartbeating: its last process died unnoticed (or another process uses the same NODE_ID)');
    await this.#beat();
    this.#started = true;
    this.#alive.add(this.nodeId);
    await this.#watch().catch((e: unknown) => this.#failed(e));
    this.#schedule();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tick;
    const { keys } = this.#o;
    try {
      await this.#redis
        .multi()
        .set(keys.nodeLeft(this.nodeId), '1', 'PX', this.#o.deadAfterMs * LEFT_MARKER_DEAD_AFTERS)
        .del(keys.node(this.nodeId), keys.presence(this.nodeId))
        .srem(keys.nodes, this.nodeId)
        .exec();
    } catch (e) {
      // Its hash expires by itself; the others will then take it for dead.
      this.#o.logger.warn({ err: { message: (e as Error).message }, nodeId: this.nodeId }, 'cluster: could not remove this node from Redis on leaving');
    }
    this.#alive.clear();
    this.#watched.clear();
    this.#beaten = false;
  }

  async live(): Promise<NodeInfo[]> {
    const { keys } = this.#o;
    const ids = await this.#redis.smembers(keys.nodes);
    if (ids.length === 0) return [];
    const pipe = this.#redis.pipeline();
    for (const id of ids) pipe.hget(keys.node(id), 'json');
    const rows = (await pipe.exec()) ?? [];
    const nodes: NodeInfo[] = [];
    rows.forEach(([err, raw], i) => {
      if (err || typeof raw !== 'string') return;
      const info = parseNodeInfo(raw);
      if (info && info.id === ids[i]) nodes.push(info);
    });
    return nodes.sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : 1));
  }

  isAlive(nodeId: NodeId): boolean {
    return this.#alive.has(nodeId);
  }

  async claimDead(nodeId: NodeId): Promise<boolean> {
    return (await this.#redis.set(this.#o.keys.deadClaim(nodeId), this.nodeId, 'EX', DEAD_CLAIM_SECONDS, 'NX')) === 'OK';
  }

  async requestDrain(nodeId: NodeId, deadline: number): Promise<boolean> {
    const { keys } = this.#o;
    // Only for a live node (its hash exists), in one step.
    const r = await runScript(this.#redis, REQUEST_DRAIN, [keys.node(nodeId), keys.drainRequest(nodeId)], [String(Math.trunc(deadline)), DRAIN_REQUEST_SECONDS]);
    return r === 1;
  }

  #schedule(): void {
    if (!this.#started) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#beatAndWatch().finally(() => {
        this.#tick = undefined;
        this.#schedule();
      });
    }, this.#o.heartbeatMs);
    this.#timer.unref();
  }

  async #beatAndWatch(): Promise<void> {
    try {
      await this.#beat();
      if (this.#down) {
        this.#down = false;
        this.#graceUntil = this.#now() + RESUME_GRACE_DEAD_AFTERS * this.#o.deadAfterMs;
        this.#o.logger.info({ nodeId: this.nodeId }, 'cluster: heartbeats into Redis resumed');
      }
      if (this.#started) await this.#watch();
      if (this.#previousLife && this.#started) {
        // Nobody else will see that life die (this one renews its hash): report it, on the first tick, once listeners are on.
        this.#previousLife = false;
        this.#safeEmit('nodeDied', this.nodeId);
      }
    } catch (e) {
      this.#failed(e);
    }
  }

  #failed(e: unknown): void {
    if (this.#down) return;
    this.#down = true;
    this.#o.logger.warn({ err: { message: (e as Error).message }, nodeId: this.nodeId }, 'cluster: heartbeat into Redis failed; retrying every heartbeat');
  }

  /** One heartbeat (a MULTI: the hash never lives without its expiry), and any drain request for this node. */
  async #beat(): Promise<void> {
    const { keys, deadAfterMs } = this.#o;
    const load = this.#o.load();
    const draining = this.#o.draining();
    const files = this.#o.filesToken ? { filesToken: this.#o.filesToken } : {};
    const info: NodeInfo = { id: this.nodeId, mediaAddress: this.#o.mediaAddress, load, score: loadScore(load), draining, startedAt: this.#startedAt, ...files };
    const results = await this.#redis
      .multi()
      .exists(keys.node(this.nodeId))
      .sadd(keys.nodes, this.nodeId)
      .hset(keys.node(this.nodeId), { json: JSON.stringify(info), score: String(info.score), draining: draining ? '1' : '0' })
      .pexpire(keys.node(this.nodeId), deadAfterMs)
      .pexpire(keys.presence(this.nodeId), deadAfterMs)
      .get(keys.drainRequest(this.nodeId))
      .exec();
    if (!results) throw new Error('heartbeat transaction discarded');
    for (const [err] of results) if (err) throw err;
    if (this.#beaten && results[0]?.[1] === 0) {
      // A stall or a Redis outage longer than deadAfterMs: the others may have taken this node for dead and moved its calls.
      this.#o.logger.warn({ nodeId: this.nodeId, deadAfterMs }, "cluster: this node's heartbeat had expired in Redis before this one");
    }
    this.#beaten = true;
    this.#drainRequest(results[5]?.[1]);
  }

  #drainRequest(raw: unknown): void {
    if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return;
    const deadline = Number(raw);
    if (deadline === this.#drainDeadline) return;
    this.#drainDeadline = deadline;
    this.#safeEmit('drainRequested', deadline);
  }

  /** Reads which nodes are alive; a node seen alive whose hash is gone (and which did not leave) died. */
  async #watch(): Promise<void> {
    const { keys } = this.#o;
    const members = await this.#redis.smembers(keys.nodes);
    const ids = [...new Set([...members, ...this.#watched])].filter((id) => id !== this.nodeId);
    // Per id: its hash, then its leave marker.
    const checks = this.#redis.pipeline();
    for (const id of ids) checks.exists(keys.node(id)).exists(keys.nodeLeft(id));
    const rows = ids.length > 0 ? ((await checks.exec()) ?? []) : [];
    for (const [err] of rows) if (err) throw err;
    const now = this.#now();
    const alive = new Set<NodeId>([this.nodeId]);
    const gone: NodeId[] = [];
    const died: NodeId[] = [];
    ids.forEach((id, i) => {
      const hasHash = rows[2 * i]?.[1] === 1;
      const left = rows[2 * i + 1]?.[1] === 1;
      if (hasHash) {
        alive.add(id);
        this.#watched.add(id);
        return;
      }
      if (members.includes(id)) gone.push(id);
      if (!this.#watched.has(id)) return;
      if (left) this.#watched.delete(id);
      else if (now >= this.#graceUntil) {
        this.#watched.delete(id);
        died.push(id);
      }
    });
    this.#alive = alive;
    if (gone.length > 0) await this.#redis.srem(keys.nodes, ...gone);
    for (const id of died) {
      this.#o.logger.warn({ nodeId: id, deadAfterMs: this.#o.deadAfterMs }, 'cluster: a node stopped heartbeating');
      this.#safeEmit('nodeDied', id);
    }
  }

  /** A listener that throws is logged; it never stops the heartbeat. */
  #safeEmit<K extends keyof NodeRegistryEvents>(event: K, ...args: NodeRegistryEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: NodeRegistryEvents[K]) => boolean)(event, ...args);
    } catch (e) {
      this.#o.logger.error({ err: e, event }, 'cluster: a node registry listener threw');
    }
  }
}
