// The PresenceLedger in Redis: one hash per node, presence:<node>, field the
// participant id, value their appointment id, for every participant with a
// socket on that node. The registry's heartbeat renews the hash's TTL with
// the node's own, so a dead node's entries go with it; snapshot() also reads
// only nodes whose heartbeat key is still there.
//
// This node's own entries are kept here too, and Redis is made to match them:
// changes within one tick leave as one pipeline, and whenever the client
// (re)connects (a blip, a Redis restart that lost data) the whole hash is
// written again, so a write lost to an outage is never lost for good. The
// first write replaces whatever an earlier process with the same node id left.
// The whole hash, when written (the first write, a rewrite), gets the node
// key's TTL (or, with no node key - not started yet, or gone - a short one);
// a tick's changes (one HSET and one HDEL at most) give it the short TTL only
// if it has none (PEXPIRE NX: Redis 7), which the heartbeat then shortens. So
// a change written after the node left (a socket closing during shutdown, a
// node that stalled past its TTL) cannot leave a hash forever.
import type { Redis } from 'ioredis';
import type { AppointmentId, ParticipantId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { ClusterKeys } from './cluster-keys.ts';
import type { NodeId, PresenceEntry, PresenceLedger } from './contract.ts';

/** KEYS: presence hash, node key. ARGV: fallback ms. The hash expires with the node key, or after the fallback without one. */
const EXPIRE_WITH_NODE = `
local ttl = redis.call('PTTL', KEYS[2])
if ttl > 0 then return redis.call('PEXPIRE', KEYS[1], ttl) end
return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
`;
/** A hash written while its node has no heartbeat key lives this long, unless a heartbeat renews it meanwhile. */
const WITHOUT_NODE_TTL_MS = 60_000;

export interface PresenceLedgerOptions {
  nodeId: NodeId;
  keys: ClusterKeys;
  logger: Logger;
}

export class RedisPresenceLedger implements PresenceLedger {
  readonly #redis: Redis;
  readonly #keys: ClusterKeys;
  readonly #key: string;
  readonly #nodeKey: string;
  readonly #log: Logger;
  readonly #here = new Map<ParticipantId, AppointmentId>();
  /** Participants whose entry changed since the last write. */
  #dirty = new Set<ParticipantId>();
  /** Write the whole hash next (at first, and after a reconnect or a failed write). */
  #rewrite = true;
  #tick: NodeJS.Immediate | undefined;

  constructor(redis: Redis, opts: PresenceLedgerOptions) {
    this.#redis = redis;
    this.#keys = opts.keys;
    this.#key = opts.keys.presence(opts.nodeId);
    this.#nodeKey = opts.keys.node(opts.nodeId);
    this.#log = opts.logger;
    redis.on('ready', () => {
      this.#rewrite = true;
      this.#schedule();
    });
    this.#schedule();
  }

  up(appointmentId: AppointmentId, participantId: ParticipantId): void {
    this.#here.set(participantId, appointmentId);
    this.#dirty.add(participantId);
    this.#schedule();
  }

  down(_appointmentId: AppointmentId, participantId: ParticipantId): void {
    if (!this.#here.delete(participantId)) return;
    this.#dirty.add(participantId);
    this.#schedule();
  }

  async snapshot(): Promise<PresenceEntry[]> {
    const nodes = await this.#redis.smembers(this.#keys.nodes);
    if (nodes.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const node of nodes) pipeline.exists(this.#keys.node(node)).hgetall(this.#keys.presence(node));
    const results = (await pipeline.exec()) ?? [];
    const entries: PresenceEntry[] = [];
    nodes.forEach((node, i) => {
      const [existsErr, exists] = results[2 * i] ?? [new Error('no reply')];
      const [hashErr, hash] = results[2 * i + 1] ?? [new Error('no reply')];
      if (existsErr) throw existsErr;
      if (hashErr) throw hashErr;
      if (exists !== 1 || typeof hash !== 'object' || hash === null) return;
      for (const [participantId, appointmentId] of Object.entries(hash as Record<string, unknown>)) {
        if (participantId && typeof appointmentId === 'string' && appointmentId) {
          entries.push({ node, appointmentId: appointmentId as AppointmentId, participantId: participantId as ParticipantId });
        }
      }
    });
    return entries;
  }

  #schedule(): void {
    if (this.#tick) return;
    this.#tick = setImmediate(() => {
      this.#tick = undefined;
      this.#write();
    });
  }

  #write(): void {
    if (!this.#rewrite && this.#dirty.size === 0) return;
    // Away: the client refuses commands; its 'ready' rewrites everything.
    if (this.#redis.status !== 'ready') {
      this.#rewrite = true;
      this.#dirty.clear();
      return;
    }
    let batch;
    if (this.#rewrite) {
      // One transaction: readers never see the hash empty between the DEL and the HSET.
      batch = this.#redis.multi().del(this.#key);
      if (this.#here.size > 0) batch.hset(this.#key, Object.fromEntries(this.#here));
    } else {
      batch = this.#redis.pipeline();
      const set: Record<string, string> = {};
      const gone: string[] = [];
      for (const participantId of this.#dirty) {
        const appointmentId = this.#here.get(participantId);
        if (appointmentId) set[participantId] = appointmentId;
        else gone.push(participantId);
      }
      if (gone.length > 0) batch.hdel(this.#key, ...gone);
      if (Object.keys(set).length > 0) batch.hset(this.#key, set);
    }
    if (this.#here.size > 0) {
      if (this.#rewrite) batch.eval(EXPIRE_WITH_NODE, 2, this.#key, this.#nodeKey, WITHOUT_NODE_TTL_MS);
      else batch.pexpire(this.#key, WITHOUT_NODE_TTL_MS, 'NX');
    }
    this.#rewrite = false;
    this.#dirty = new Set();
    batch.exec().then(
      (results) => {
        const failed = (results ?? []).find(([err]) => err);
        if (failed) this.#failed(failed[0]);
      },
      (err: unknown) => this.#failed(err),
    );
  }

  /** The next write (at the next change or reconnect) puts the whole hash right. */
  #failed(err: unknown): void {
    this.#rewrite = true;
    this.#log.warn({ err }, 'presence ledger: this node\'s presence could not be written to Redis; it is written again on the next change or reconnect');
  }
}
