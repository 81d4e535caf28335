// Which node serves each consultation's media, kept in Redis. Placing is one
// Lua script, so every node asking at once gets the same answer: the current
// owner while its heartbeat hash exists (draining or not: a draining node
// keeps its calls), else the live, non-draining node with the lowest score
// (ties: the lowest id). The chosen node's score is raised by one Router's
// weight at once, so consultations placed between two heartbeats spread out
// instead of all landing on the node that was emptiest a moment ago.
// The scripts build node keys from the key prefixes (ClusterKeys with an
// empty id), because which nodes exist is only known inside the script.
import type { Redis } from 'ioredis';
import { AppError } from '../core/errors.ts';
import { isId, type AppointmentId } from '../core/ids.ts';
import { loadScore, type NodeId, type Placement } from './contract.ts';
import type { ClusterKeys } from './cluster-keys.ts';
import { runScript, script } from '../core/lua-script.ts';

export interface PlacementOptions {
  keys: ClusterKeys;
  /** How long a placement lives without being released (a consultation never lasts this long). */
  ttlSeconds?: number;
}

const DEFAULT_TTL_SECONDS = 86_400;
/** What one more consultation adds to a node's score until its next heartbeat reports the truth. */
const ONE_ROUTER = loadScore({ routers: 1, consumers: 0, cpu: 0, sockets: 0 });

/**
 * KEYS: placement, nodes set. ARGV: node key prefix, node placements prefix, ttl seconds, appointment id, one Router's score.
 * Returns the owner's id, or nil when no live node takes consultations.
 */
const OWNER_OF = script(`
local current = redis.call('GET', KEYS[1])
if current and redis.call('EXISTS', ARGV[1] .. current) == 1 then return current end
local best, bestScore
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local h = redis.call('HMGET', ARGV[1] .. id, 'score', 'draining')
  local s = tonumber(h[1])
  if s and h[2] ~= '1' and (best == nil or s < bestScore or (s == bestScore and id < best)) then
    best = id
    bestScore = s
  end
end
if not best then return false end
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[1], best, 'EX', ttl)
local mine = ARGV[2] .. best
redis.call('SADD', mine, ARGV[4])
redis.call('EXPIRE', mine, ttl)
if current then redis.call('SREM', ARGV[2] .. current, ARGV[4]) end
redis.call('HINCRBYFLOAT', ARGV[1] .. best, 'score', ARGV[5])
return best
`);

/** KEYS: placement, the node's placements. ARGV: node id, appointment id. 1 when it was that node's and is now forgotten. */
const RELEASE = script(`
redis.call('SREM', KEYS[2], ARGV[2])
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);

/** KEYS: the node's placements. ARGV: placement prefix, node id. Forgets those still the node's; returns their ids. */
const RELEASE_ALL = script(`
local released = {}
for _, apt in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. apt
  if redis.call('GET', key) == ARGV[2] then
    redis.call('DEL', key)
    released[#released + 1] = apt
  end
end
redis.call('DEL', KEYS[1])
return released
`);

export class RedisPlacement implements Placement {
  readonly #redis: Redis;
  readonly #keys: ClusterKeys;
  readonly #ttl: number;

  constructor(redis: Redis, opts: PlacementOptions) {
    this.#redis = redis;
    this.#keys = opts.keys;
    this.#ttl = opts.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  }

  async ownerOf(appointmentId: AppointmentId): Promise<NodeId> {
    const k = this.#keys;
    const owner = await runScript(this.#redis, OWNER_OF, [k.placement(appointmentId), k.nodes], [k.node(''), k.nodePlacements(''), this.#ttl, appointmentId, ONE_ROUTER]);
    if (typeof owner !== 'string') throw new AppError('SHUTTING_DOWN', 'No server can take this call just now; please try again in a minute.');
    return owner;
  }

  async owner(appointmentId: AppointmentId): Promise<NodeId | null> {
    return await this.#redis.get(this.#keys.placement(appointmentId));
  }

  async release(appointmentId: AppointmentId, nodeId: NodeId): Promise<boolean> {
    const k = this.#keys;
    return (await runScript(this.#redis, RELEASE, [k.placement(appointmentId), k.nodePlacements(nodeId)], [nodeId, appointmentId])) === 1;
  }

  async releaseAll(nodeId: NodeId): Promise<AppointmentId[]> {
    const k = this.#keys;
    const ids = await runScript(this.#redis, RELEASE_ALL, [k.nodePlacements(nodeId)], [k.placement('' as AppointmentId), nodeId]);
    return Array.isArray(ids) ? ids.filter((id): id is AppointmentId => isId<AppointmentId>(id)) : [];
  }
}
