// The node registry and placement against a real redis-server, each "node" a
// RedisNodeRegistry on its own connection (as each server process has): what
// the other nodes see of a node's heartbeats, its death when it stops beating
// (its connection cut, as a hung or killed process), its clean leave, a drain
// request, one owner per consultation however many nodes ask at once, the
// least loaded node chosen, draining and dead nodes, and a Redis restart in
// the middle of it all.
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../server/boot/redis.ts';
import { AppError } from '../../server/core/errors.ts';
import { randomId, type AppointmentId } from '../../server/core/ids.ts';
import { createLogger } from '../../server/core/logger.ts';
import { clusterKeysFor, type ClusterKeys } from '../../server/cluster/cluster-keys.ts';
import type { NodeId, NodeLoad } from '../../server/cluster/contract.ts';
import { RedisNodeRegistry } from '../../server/cluster/node-registry.ts';
import { RedisPlacement } from '../../server/cluster/placement.ts';
import { startRedisServer, type RedisServerHandle } from '../../support/redis-server.ts';

const HEARTBEAT_MS = 150;
const DEAD_AFTER_MS = 750;
/** Generous bounds for waits on a busy machine (never the speed under test). */
const WAIT_MS = 15_000;

let server: RedisServerHandle;
let run = 0;
const cleanups: (() => Promise<void>)[] = [];

interface TestNode {
  id: NodeId;
  registry: RedisNodeRegistry;
  placement: RedisPlacement;
  redis: Redis;
  load: NodeLoad;
  draining: boolean;
  died: NodeId[];
  drains: number[];
  logs: string[];
}

const idle = (): NodeLoad => ({ routers: 0, consumers: 0, cpu: 0, sockets: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A fresh key prefix per test: nothing one test leaves behind is seen by the next. */
function freshKeys(): ClusterKeys {
  run += 1;
  return clusterKeysFor(`t${String(run)}:`);
}

async function startNode(keys: ClusterKeys, id: NodeId, load: Partial<NodeLoad> = {}): Promise<TestNode> {
  const logs: string[] = [];
  const logger = createLogger('info', new Writable({ write: (c: Buffer, _e, cb) => { logs.push(c.toString('utf8')); cb(); } }));
  const redis = await connectRedis(server.url, logger, { commandTimeoutMs: 1000 });
  const state = { load: { ...idle(), ...load }, draining: false };
  const registry = new RedisNodeRegistry(redis, {
    nodeId: id,
    mediaAddress: `192.0.2.${String(id.length)}`,
    heartbeatMs: HEARTBEAT_MS,
    deadAfterMs: DEAD_AFTER_MS,
    load: () => node.load,
    draining: () => node.draining,
    keys,
    logger,
  });
  const node: TestNode = { id, registry, placement: new RedisPlacement(redis, { keys }), redis, ...state, died: [], drains: [], logs };
  node.registry.on('nodeDied', (dead) => node.died.push(dead));
  node.registry.on('drainRequested', (deadline) => node.drains.push(deadline));
  cleanups.push(async () => {
    await node.registry.stop();
    node.redis.disconnect();
  });
  await node.registry.start();
  return node;
}

/** As a hung or killed process: its heartbeats stop (its connection is gone), nothing is cleaned up. */
const hang = (n: TestNode): void => n.redis.disconnect();

const apt = (): AppointmentId => randomId<AppointmentId>();
const liveIds = async (n: TestNode) => (await n.registry.live()).map((i) => i.id);
const failures = (n: TestNode) => n.logs.filter((l) => l.includes('heartbeat into Redis failed')).length;

beforeAll(async () => {
  server = await startRedisServer();
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
afterAll(async () => {
  await server?.stop();
});

describe('RedisNodeRegistry', { timeout: 60_000 }, () => {
  it("every node sees the others' heartbeats: media address, load, score and draining", async () => {
    const keys = freshKeys();
    const a = await startNode(keys, 'node-a', { routers: 2, consumers: 6, cpu: 0.5 });
    const b = await startNode(keys, 'node-b', { routers: 1 });
    const live = await a.registry.live();
    expect(live).toEqual([
      { id: 'node-b', mediaAddress: '192.0.2.6', load: { routers: 1, consumers: 0, cpu: 0, sockets: 0 }, score: 10, draining: false, startedAt: expect.any(String) as string },
      { id: 'node-a', mediaAddress: '192.0.2.6', load: { routers: 2, consumers: 6, cpu: 0.5, sockets: 0 }, score: 36, draining: false, startedAt: expect.any(String) as string },
    ]);
    // A malformed entry (whatever wrote it) is left out, not passed on.
    await a.redis.sadd(keys.nodes, 'node-x');
    await a.redis.hset(keys.node('node-x'), { json: '{"id":"node-x","load":{}}', score: 'none' });
    expect((await a.registry.live()).map((n) => n.id)).toEqual(['node-b', 'node-a']);
    await waitFor('a to see b alive', () => a.registry.isAlive('node-b'));
    expect(b.registry.isAlive('node-a')).toBe(true);
    expect(a.registry.isAlive('node-c')).toBe(false);

    // The next heartbeat carries the new load and the draining flag.
    b.load = { routers: 5, consumers: 0, cpu: 0, sockets: 3 };
    b.draining = true;
    await waitFor("b's new load", async () => (await a.registry.live()).some((n) => n.id === 'node-b' && n.score === 50 && n.draining && n.load.sockets === 3));
  });

  it('a node that stops heartbeating is reported dead by every other node, once; one of them claims it', async () => {
    const keys = freshKeys();
    const a = await startNode(keys, 'node-a');
    const b = await startNode(keys, 'node-b');
    const c = await startNode(keys, 'node-c');
    await waitFor('everyone to see everyone', () => ['node-a', 'node-b'].every((id) => c.registry.isAlive(id)) && a.registry.isAlive('node-c') && b.registry.isAlive('node-c'));

    hang(c);
    await waitFor('a and b to report c dead', () => a.died.length > 0 && b.died.length > 0);
    expect(a.registry.isAlive('node-c')).toBe(false);
    expect(await liveIds(a)).toEqual(['node-a', 'node-b']);
    // Several more watches: still one report each, and the dead node left the nodes set.
    await sleep(DEAD_AFTER_MS + 3 * HEARTBEAT_MS);
    expect(a.died).toEqual(['node-c']);
    expect(b.died).toEqual(['node-c']);
    expect(await a.redis.sismember(keys.nodes, 'node-c')).toBe(0);

    // Of three nodes that saw it at once, exactly one handles it.
    const d = await startNode(keys, 'node-d');
    const claims = await Promise.all([a, b, d].map((n) => n.registry.claimDead('node-c')));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('a node restarted under the same id before anyone noticed reports its last life dead itself, once', async () => {
    const keys = freshKeys();
    const a = await startNode(keys, 'node-a');
    const b = await startNode(keys, 'node-b');
    await waitFor('a to see b', () => a.registry.isAlive('node-b'));
    await b.redis.hset(keys.presence('node-b'), 'participant', 'appointment');
    hang(b);
    const b2 = await startNode(keys, 'node-b');
    await waitFor("the new b to report its last life's death", () => b2.died.length > 0);
    // Its last life's participants are not shown connected; the new life handles that death.
    expect(await a.redis.exists(keys.presence('node-b'))).toBe(0);
    expect(await b2.registry.claimDead('node-b')).toBe(true);
    await sleep(DEAD_AFTER_MS + 3 * HEARTBEAT_MS);
    expect(b2.died).toEqual(['node-b']);
    expect(a.died).toEqual([]);
    expect(a.registry.isAlive('node-b')).toBe(true);
  });

  it('a node that stops cleanly is not reported dead', async () => {
    const keys = freshKeys();
    const a = await startNode(keys, 'node-a');
    const b = await startNode(keys, 'node-b');
    await waitFor('a to see b', () => a.registry.isAlive('node-b'));
    await b.registry.stop();
    expect(await liveIds(a)).toEqual(['node-a']);
    await sleep(DEAD_AFTER_MS + 3 * HEARTBEAT_MS);
    expect(a.registry.isAlive('node-b')).toBe(false);
    expect(a.died).toEqual([]);
  });

  it('requestDrain reaches that node only, once per deadline; unknown nodes are refused', async () => {
    const keys = freshKeys();
    const a = await startNode(keys, 'node-a');
    const b = await startNode(keys, 'node-b');
    const deadline = Date.now() + 600_000;
    expect(await a.registry.requestDrain('node-b', deadline)).toBe(true);
    expect(await a.registry.requestDrain('node-zz', deadline)).toBe(false);
    await waitFor('b to hear the drain request', () => b.drains.length > 0);
    await sleep(3 * HEARTBEAT_MS);
    expect(b.drains).toEqual([deadline]);
    expect(a.drains).toEqual([]);
    expect(await a.redis.exists(keys.drainRequest('node-zz'))).toBe(0);
    // A new deadline is a new request.
    expect(await a.registry.requestDrain('node-b', deadline + 1000)).toBe(true);
    await waitFor('the second request', () => b.drains.length === 2);
    expect(b.drains).toEqual([deadline, deadline + 1000]);
  });

  it('survives a Redis restart: failures logged once, no crash, heartbeats resume, nobody declared dead', async () => {
    const keys = freshKeys();
    const a = await startNode(keys, 'node-a');
    const b = await startNode(keys, 'node-b');
    await waitFor('a to see b', () => a.registry.isAlive('node-b'));

    await server.halt('SIGKILL');
    await waitFor('both to notice the outage', () => failures(a) > 0 && failures(b) > 0);
    // Long enough for every heartbeat hash to expire (Redis keeps TTLs as deadlines across the restart).
    await sleep(DEAD_AFTER_MS + 5 * HEARTBEAT_MS);
    await server.restart();

    await waitFor('heartbeats to resume', async () => {
      try {
        return (await liveIds(a)).join() === 'node-a,node-b';
      } catch {
        return false;
      }
    });
    await waitFor('both to log that they resumed', () => [a, b].every((n) => n.logs.some((l) => l.includes('heartbeats into Redis resumed'))));
    // Past the grace after an outage (2 x deadAfterMs), when a missing node would count as dead.
    await sleep(2 * DEAD_AFTER_MS + 3 * HEARTBEAT_MS);
    expect([failures(a), failures(b)]).toEqual([1, 1]);
    // Each says its own entry had expired meanwhile (the others could have taken it for dead).
    expect(a.logs.filter((l) => l.includes('heartbeat had expired')).length).toBeGreaterThan(0);
    expect([a.died, b.died]).toEqual([[], []]);
    expect(a.registry.isAlive('node-b') && b.registry.isAlive('node-a')).toBe(true);
  });
});

describe('RedisPlacement', { timeout: 60_000 }, () => {
  it('30 concurrent asks from each of 3 nodes for one consultation: one owner, the least loaded', async () => {
    const keys = freshKeys();
    const nodes = [await startNode(keys, 'node-a', { routers: 3 }), await startNode(keys, 'node-b', { routers: 1, consumers: 2 }), await startNode(keys, 'node-c', { routers: 2 })];
    const id = apt();
    const owners = await Promise.all(nodes.flatMap((n) => Array.from({ length: 30 }, () => n.placement.ownerOf(id))));
    expect(new Set(owners)).toEqual(new Set(['node-b']));
    expect(await nodes[0]!.placement.owner(id)).toBe('node-b');
    expect(await nodes[0]!.redis.smembers(keys.nodePlacements('node-b'))).toEqual([id]);
  });

  it('spreads consultations placed between two heartbeats; ties go to the lowest id', async () => {
    const keys = freshKeys();
    const a = await startNode(keys, 'node-a');
    await startNode(keys, 'node-b');
    const first = await a.placement.ownerOf(apt());
    // What a's next heartbeat reports once its Router is open, so the heartbeat cannot undo the placement's own count.
    a.load = { ...idle(), routers: 1 };
    const second = await a.placement.ownerOf(apt());
    expect([first, second]).toEqual(['node-a', 'node-b']);
  });

  it('a draining node keeps its consultation but is never given a new one; with no node left, SHUTTING_DOWN', async () => {
    const keys = freshKeys();
    const a = await startNode(keys, 'node-a');
    const b = await startNode(keys, 'node-b', { routers: 4 });
    const kept = apt();
    expect(await b.placement.ownerOf(kept)).toBe('node-a');

    a.draining = true;
    await waitFor('a to be seen draining', async () => (await b.registry.live()).some((n) => n.id === 'node-a' && n.draining));
    expect(await b.placement.ownerOf(kept)).toBe('node-a');
    for (let i = 0; i < 5; i++) expect(await a.placement.ownerOf(apt())).toBe('node-b');

    b.draining = true;
    await waitFor('b to be seen draining', async () => (await a.registry.live()).every((n) => n.draining));
    const refused = await a.placement.ownerOf(apt()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'SHUTTING_DOWN', message: 'No server can take this call just now; please try again in a minute.' });
    expect(await a.placement.ownerOf(kept)).toBe('node-a');
  });

  it("a dead owner's consultation is placed on a live node when next asked", async () => {
    const keys = freshKeys();
    const a = await startNode(keys, 'node-a');
    const b = await startNode(keys, 'node-b', { routers: 9 });
    const id = apt();
    expect(await b.placement.ownerOf(id)).toBe('node-a');
    hang(a);
    await waitFor('a to be dead', () => b.died.includes('node-a'));
    expect(await b.placement.owner(id)).toBe('node-a');
    expect(await b.placement.ownerOf(id)).toBe('node-b');
    expect(await b.placement.owner(id)).toBe('node-b');
    expect(await b.redis.smembers(keys.nodePlacements('node-a'))).toEqual([]);
    expect(await b.redis.smembers(keys.nodePlacements('node-b'))).toEqual([id]);
  });

  it("release forgets a placement only for its owner; releaseAll forgets a node's own, not those moved", async () => {
    const keys = freshKeys();
    const a = await startNode(keys, 'node-a');
    const b = await startNode(keys, 'node-b', { routers: 50 });
    const ids = [apt(), apt(), apt()];
    for (const id of ids) expect(await b.placement.ownerOf(id)).toBe('node-a');

    expect(await b.placement.release(ids[0]!, 'node-b')).toBe(false);
    expect(await b.placement.owner(ids[0]!)).toBe('node-a');
    expect(await b.placement.release(ids[0]!, 'node-a')).toBe(true);
    expect(await b.placement.owner(ids[0]!)).toBeNull();

    // ids[1] moves to b (a drains and is gone a moment; a's set still lists it): releaseAll(a) leaves it alone.
    await b.redis.set(keys.placement(ids[1]!), 'node-b');
    const released = await b.placement.releaseAll('node-a');
    expect(released).toEqual([ids[2]]);
    expect(await b.placement.owner(ids[2]!)).toBeNull();
    expect(await b.placement.owner(ids[1]!)).toBe('node-b');
    expect(await b.redis.exists(keys.nodePlacements('node-a'))).toBe(0);
    expect(await a.placement.releaseAll('node-a')).toEqual([]);
  });
});
