// What the nodes tell each other through a real Redis: the ClusterBus (one
// stream: every other node gets each sender's events in order, one round trip
// per tick, across a Redis restart, past a malformed entry), the MediaRelay
// (a media request run on the consultation's node, its typed errors, the
// owner gone or silent), the PresenceLedger (who has a socket where, gone with
// the node) and the bridge that joins each node's domain bus to the others.
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../server/boot/redis.ts';
import { bridgeDomainBus } from '../../server/cluster/bus-bridge.ts';
import { RedisClusterBus } from '../../server/cluster/cluster-bus.ts';
import { clusterKeysFor, type ClusterKeys } from '../../server/cluster/cluster-keys.ts';
import type { RelayRequest } from '../../server/cluster/contract.ts';
import { RedisMediaRelay } from '../../server/cluster/media-relay.ts';
import { RedisPresenceLedger } from '../../server/cluster/presence-ledger.ts';
import { AppError } from '../../server/core/errors.ts';
import type { AppointmentId, ParticipantId } from '../../server/core/ids.ts';
import { createLogger, type Logger } from '../../server/core/logger.ts';
import { DomainBus } from '../../server/domain/events.ts';
import type { Ack } from '../../server/wire/errors.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';

const apt = (s: string) => s as AppointmentId;
const pid = (s: string) => s as ParticipantId;

/** A logger whose lines the test can read. */
function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

/** Everything a test opened, closed after it. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function client(server: RedisServerHandle, logger: Logger): Promise<Redis> {
  // The server's own options (no offline queue, command timeout): what the cluster modules get in production.
  const redis = await connectRedis(server.url, logger, { commandTimeoutMs: 2000 });
  cleanups.push(() => redis.disconnect());
  return redis;
}

let keyspace = 0;
/** Each test its own keys on the shared Redis. */
const freshKeys = (): ClusterKeys => clusterKeysFor(`t${String(++keyspace)}:`);

describe('cluster on Redis', () => {
  let server: RedisServerHandle;
  let admin: Redis;

  beforeAll(async () => {
    server = await startRedisServer({ appendOnly: false });
    admin = await connectRedis(server.url, createLogger('silent'));
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  async function bus(nodeId: string, keys: ClusterKeys, opts: { start?: boolean; on?: RedisServerHandle } = {}) {
    const log = capture();
    const redis = await client(opts.on ?? server, log.logger);
    const b = new RedisClusterBus(redis, { nodeId, keys, logger: log.logger, blockMs: 200 });
    if (opts.start ?? true) await b.start();
    cleanups.push(() => b.stop());
    return Object.assign(b, { lines: log.lines, redis });
  }

  /** Every `changed` a bus receives, in arrival order. */
  function changes(b: RedisClusterBus): string[] {
    const got: string[] = [];
    b.on('changed', (a) => void got.push(a));
    return got;
  }

  describe('ClusterBus', () => {
    it("delivers each sender's burst of 500 in order to every other node, and never a node's own events", async () => {
      const keys = freshKeys();
      const [a, b, c] = await Promise.all([bus('node-a', keys), bus('node-b', keys), bus('node-c', keys)]);
      const [atA, atB, atC] = [changes(a), changes(b), changes(c)];
      // Over several ticks (several pipelines), interleaved between the two senders.
      for (let i = 0; i < 500; i++) {
        a.publish('changed', apt(`a-${String(i)}`));
        b.publish('changed', apt(`b-${String(i)}`));
        if (i % 100 === 99) await new Promise((r) => setImmediate(r));
      }
      const fromA = Array.from({ length: 500 }, (_, i) => `a-${String(i)}`);
      const fromB = Array.from({ length: 500 }, (_, i) => `b-${String(i)}`);
      await expect.poll(() => atC.length, { timeout: 10_000 }).toBe(1000);
      expect(atC.filter((x) => x.startsWith('a-'))).toEqual(fromA);
      expect(atC.filter((x) => x.startsWith('b-'))).toEqual(fromB);
      await expect.poll(() => atA.length + atB.length, { timeout: 10_000 }).toBe(1000);
      expect(atA).toEqual(fromB);
      expect(atB).toEqual(fromA);
    });

    it('carries arguments as they were: null kept, an absent optional argument still absent', async () => {
      const keys = freshKeys();
      const [a, b] = await Promise.all([bus('node-a', keys), bus('node-b', keys)]);
      const got: unknown[][] = [];
      b.on('consultationEnded', (...args) => void got.push(args));
      b.on('reassigned', (...args) => void got.push(args));
      b.on('presence', (...args) => void got.push(args));
      a.publish('consultationEnded', apt('apt-1'));
      a.publish('consultationEnded', apt('apt-2'), 'cancelled');
      a.publish('reassigned', apt('apt-3'), null);
      a.publish('presence', 'node-a', apt('apt-4'), pid('p-1'), false);
      await expect.poll(() => got.length, { timeout: 5000 }).toBe(4);
      expect(got).toEqual([['apt-1'], ['apt-2', 'cancelled'], ['apt-3', null], ['node-a', 'apt-4', 'p-1', false]]);
    });

    it("sends one tick's events in one round trip to Redis", async () => {
      // A Redis of its own: nothing else talks to it while the reads are counted.
      const quiet = await startRedisServer({ appendOnly: false });
      cleanups.push(() => quiet.stop());
      const probe = await client(quiet, createLogger('silent'));
      const keys = freshKeys();
      // Redis's count of reads from its clients' sockets; the INFO that asks is itself one.
      const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await probe.info('stats'))?.[1]);
      const roundTrips = async (send: () => Promise<void>) => {
        const before = await reads();
        await send();
        return (await reads()) - before - 1;
      };

      const one = await bus('node-a', keys, { start: false, on: quiet });
      expect(
        await roundTrips(async () => {
          for (let i = 0; i < 50; i++) one.publish('changed', apt(`x-${String(i)}`));
          await one.stop(); // waits for what was sent
        }),
      ).toBe(1);
      // And one stream entry: the tick's events in order, [[event, args], ...].
      const sent = await probe.xrange(keys.bus, '-', '+');
      expect(sent).toHaveLength(1);
      const [n, node, b, events] = sent[0]![1];
      expect([n, node, b]).toEqual(['n', 'node-a', 'b']);
      expect(JSON.parse(events!)).toEqual(Array.from({ length: 50 }, (_, i) => ['changed', [`x-${String(i)}`]]));
      // The measure can tell: one XADD per event is one round trip per event.
      const unbatched = await client(quiet, createLogger('silent'));
      expect(
        await roundTrips(async () => {
          for (let i = 0; i < 50; i++) await unbatched.xadd(keys.bus, '*', 'n', 'node-c', 'e', 'changed', 'a', '["w"]');
        }),
      ).toBeGreaterThanOrEqual(50);
    });

    it.each([
      { appendOnly: true, what: 'with its data (appendonly)' },
      { appendOnly: false, what: 'empty (no persistence)' },
    ])('keeps delivering after Redis restarts $what: events published while it was down arrive too', async ({ appendOnly }) => {
      const flaky = await startRedisServer({ appendOnly, fsync: 'always' });
      cleanups.push(() => flaky.stop());
      const keys = freshKeys();
      const a = await bus('node-a', keys, { on: flaky });
      const b = await bus('node-b', keys, { on: flaky });
      const atB = changes(b);
      a.publish('changed', apt('before'));
      await expect.poll(() => atB, { timeout: 5000 }).toEqual(['before']);

      await flaky.halt('SIGKILL');
      // Published once the publisher knows Redis is away (its client refuses commands then), and after it is back.
      await expect.poll(() => a.redis.status, { timeout: 5000 }).not.toBe('ready');
      a.publish('changed', apt('while-down'));
      await flaky.restart();
      a.publish('changed', apt('after'));
      await expect.poll(() => atB, { timeout: 15_000 }).toEqual(['before', 'while-down', 'after']);
      expect(b.lines.join('\n')).not.toMatch(/"level":(50|60)/);
    });

    it('skips a malformed entry (logged by id) and a failing listener, and carries on', async () => {
      const keys = freshKeys();
      const b = await bus('node-b', keys);
      const atB = changes(b);
      const seen: string[] = [];
      b.on('threadItem', () => {
        throw new Error('listener bug');
      });
      b.on('threadItem', (item) => void seen.push(item.id));
      const add = (...fields: string[]) => admin.xadd(keys.bus, '*', ...fields);
      await add('n', 'node-x', 'e', 'changed', 'a', 'not json');
      await add('n', 'node-x', 'e', 'changed', 'a', '{"not":"a list"}');
      await add('n', 'node-x', 'e', 'noSuchEvent', 'a', '[]');
      await add('n', 'node-x', 'e', 'changed');
      await add('n', 'node-x', 'e', 'threadItem', 'a', JSON.stringify([{ id: 'item-1', text: 'secret words' }]));
      // A tick's batch: its bad events are skipped one by one, the good ones around them delivered in order.
      await add('n', 'node-x', 'b', '[["changed",["in-batch-1"]],["noSuchEvent",[]],"not a pair",["changed",{"not":"a list"}],["changed",["in-batch-2"]]]');
      await add('n', 'node-x', 'b', 'not json');
      await add('n', 'node-x', 'e', 'changed', 'a', '["good"]');
      await expect.poll(() => atB, { timeout: 5000 }).toEqual(['in-batch-1', 'in-batch-2', 'good']);
      expect(seen).toEqual(['item-1']);
      const skipped = b.lines.filter((l) => l.includes('skipped'));
      expect(skipped).toHaveLength(8);
      expect(b.lines.filter((l) => l.includes('a listener failed'))).toHaveLength(1);
      expect(b.lines.join('\n')).not.toContain('secret words');
    });

    it('stop() ends reading at once: nothing is delivered after it, and publish() then does nothing', async () => {
      const keys = freshKeys();
      const a = await bus('node-a', keys);
      const b = await bus('node-b', keys);
      const atB = changes(b);
      a.publish('changed', apt('one'));
      await expect.poll(() => atB, { timeout: 5000 }).toEqual(['one']);
      await b.stop();
      a.publish('changed', apt('two'));
      await expect.poll(async () => admin.xlen(keys.bus), { timeout: 5000 }).toBe(2);
      b.publish('changed', apt('from-stopped'));
      await a.stop();
      expect(await admin.xlen(keys.bus)).toBe(2);
      expect(atB).toEqual(['one']);
    });
  });

  describe('MediaRelay', () => {
    const req = (op: RelayRequest['op'] = 'media:capabilities', payload: unknown = { n: 1 }): RelayRequest => ({
      appointmentId: apt('apt-1'),
      participantId: pid('p-1'),
      op,
      payload,
    });

    async function relay(nodeId: string, keys: ClusterKeys, serve: (r: RelayRequest) => Promise<Ack<unknown>>, timeoutMs = 5000) {
      const log = capture();
      const r = new RedisMediaRelay(await client(server, log.logger), { nodeId, keys, timeoutMs, logger: log.logger });
      await r.start(serve);
      cleanups.push(() => r.stop());
      return Object.assign(r, { lines: log.lines });
    }
    const echo = (r: RelayRequest): Promise<Ack<unknown>> => Promise.resolve({ ok: true, data: { ran: r } });
    const publishes = async () => Number(/cmdstat_publish:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);

    it("runs a request for this node here, without Redis; one for another node on that node, each answer to its own call", async () => {
      const keys = freshKeys();
      const a = await relay('node-a', keys, echo);
      await relay('node-b', keys, (r) => Promise.resolve({ ok: true, data: { on: 'node-b', n: (r.payload as { n: number }).n } }));

      const before = await publishes();
      expect(await a.call('node-a', req())).toEqual({ ok: true, data: { ran: req() } });
      expect(await publishes()).toBe(before);

      const answers = await Promise.all(Array.from({ length: 20 }, (_, n) => a.call('node-b', req('media:produce', { n }))));
      expect(answers).toEqual(Array.from({ length: 20 }, (_, n) => ({ ok: true, data: { on: 'node-b', n } })));
    });

    it("passes the owner's typed errors through; an unexpected throw is INTERNAL with no detail", async () => {
      const keys = freshKeys();
      const a = await relay('node-a', keys, echo);
      const b = await relay('node-b', keys, (r) => {
        if (r.op === 'media:produce') return Promise.resolve({ ok: false, error: new AppError('MEDIA_REJECTED').toJSON() });
        if (r.op === 'media:consume') throw new AppError('NOT_ADMITTED');
        throw new Error('boom at /srv/secret/path');
      });
      expect(await a.call('node-b', req('media:produce'))).toEqual({ ok: false, error: new AppError('MEDIA_REJECTED').toJSON() });
      expect(await a.call('node-b', req('media:consume'))).toEqual({ ok: false, error: new AppError('NOT_ADMITTED').toJSON() });
      const internal = await a.call('node-b', req('media:resume'));
      expect(internal).toEqual({ ok: false, error: new AppError('INTERNAL').toJSON() });
      expect(JSON.stringify(internal)).not.toMatch(/boom|secret|at /);
      expect(b.lines.some((l) => l.includes('failed unexpectedly'))).toBe(true);
    });

    it('refuses MEDIA_ERROR (retryable) when the owner is gone, and when it does not answer in time', async () => {
      const keys = freshKeys();
      const a = await relay('node-a', keys, echo, 800);
      const b = await relay('node-b', keys, echo);
      expect(await a.call('node-b', req())).toMatchObject({ ok: true });
      await b.stop();
      const noAnswer = { ok: false, error: { code: 'MEDIA_ERROR', message: 'The media server did not answer; please try again.' } };
      expect(await a.call('node-b', req())).toEqual(noAnswer);
      expect(await a.call('node-nobody', req())).toEqual(noAnswer);

      let late: (ack: Ack<unknown>) => void = () => undefined;
      await relay('node-c', keys, () => new Promise((resolve) => (late = resolve)));
      expect(await a.call('node-c', req())).toEqual(noAnswer);
      // Its answer after the timeout is ignored; the relay still works.
      late({ ok: true, data: 'late' });
      await relay('node-d', keys, echo);
      expect(await a.call('node-d', req())).toMatchObject({ ok: true });
    });

    it('answers calls still waiting when it stops', async () => {
      const keys = freshKeys();
      const a = await relay('node-a', keys, echo, 20_000);
      await relay('node-b', keys, () => new Promise<never>(() => undefined));
      const waiting = a.call('node-b', req());
      await a.stop();
      expect(await waiting).toMatchObject({ ok: false, error: { code: 'MEDIA_ERROR' } });
    });

    it('drops a message over 256 KB or not JSON or not a request (logged), and goes on serving', async () => {
      const keys = freshKeys();
      const a = await relay('node-a', keys, echo);
      const served: RelayRequest[] = [];
      const b = await relay('node-b', keys, (r) => (served.push(r), echo(r)));
      await admin.publish(keys.relayRequests('node-b'), 'not json');
      await admin.publish(keys.relayRequests('node-b'), JSON.stringify({ id: 'x', from: 'node-a', req: { op: 'staff:hack' } }));
      await admin.publish(keys.relayRequests('node-b'), JSON.stringify({ id: 'y', from: 'node-a', req: req(), pad: 'x'.repeat(300 * 1024) }));
      await admin.publish(keys.relayReplies('node-a'), 'not json either');
      expect(await a.call('node-b', req())).toMatchObject({ ok: true });
      expect(served).toHaveLength(1);
      expect(b.lines.filter((l) => l.includes('dropped'))).toHaveLength(3);
      expect(a.lines.filter((l) => l.includes('dropped'))).toHaveLength(1);
      // Too large to send: refused on the asking node, never sent.
      expect(await a.call('node-b', req('media:produce', 'x'.repeat(300 * 1024)))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(served).toHaveLength(1);
    });
  });

  describe('PresenceLedger', () => {
    async function ledger(nodeId: string, keys: ClusterKeys, on = server) {
      const log = capture();
      return new RedisPresenceLedger(await client(on, log.logger), { nodeId, keys, logger: log.logger });
    }
    /** What the registry's heartbeat does for a node (node-registry.ts): list it; its key and its presence hash get the TTL. */
    const heartbeat = async (keys: ClusterKeys, nodeId: string, on: Redis = admin, ttlMs = 60_000) => {
      await on.sadd(keys.nodes, nodeId);
      await on.hset(keys.node(nodeId), 'json', '{}');
      await on.pexpire(keys.node(nodeId), ttlMs);
      await on.pexpire(keys.presence(nodeId), ttlMs);
    };
    const sorted = <T extends { participantId: string }>(l: T[]) => [...l].sort((x, y) => x.participantId.localeCompare(y.participantId));

    it("snapshot: every live node's participants with a socket there; up and down change it", async () => {
      const keys = freshKeys();
      await heartbeat(keys, 'node-a');
      await heartbeat(keys, 'node-b');
      const a = await ledger('node-a', keys);
      const b = await ledger('node-b', keys);
      a.up(apt('apt-1'), pid('p-1'));
      a.up(apt('apt-1'), pid('p-2'));
      b.up(apt('apt-2'), pid('p-3'));
      await expect.poll(async () => sorted(await a.snapshot()), { timeout: 5000 }).toEqual([
        { node: 'node-a', appointmentId: 'apt-1', participantId: 'p-1' },
        { node: 'node-a', appointmentId: 'apt-1', participantId: 'p-2' },
        { node: 'node-b', appointmentId: 'apt-2', participantId: 'p-3' },
      ]);
      a.down(apt('apt-1'), pid('p-2'));
      b.down(apt('apt-2'), pid('p-3'));
      b.up(apt('apt-2'), pid('p-4'));
      await expect.poll(async () => sorted(await b.snapshot()), { timeout: 5000 }).toEqual([
        { node: 'node-a', appointmentId: 'apt-1', participantId: 'p-1' },
        { node: 'node-b', appointmentId: 'apt-2', participantId: 'p-4' },
      ]);
      // A node whose heartbeat key is gone is not read, whatever its hash still says.
      await admin.del(keys.node('node-b'));
      expect(await a.snapshot()).toEqual([{ node: 'node-a', appointmentId: 'apt-1', participantId: 'p-1' }]);
    });

    it('goes with the node: the hash expires when the heartbeat stops renewing its TTL, whatever changes came meanwhile', async () => {
      const keys = freshKeys();
      await heartbeat(keys, 'node-a');
      const a = await ledger('node-a', keys);
      a.up(apt('apt-1'), pid('p-1'));
      await expect.poll(() => admin.hgetall(keys.presence('node-a')), { timeout: 5000 }).toEqual({ 'p-1': 'apt-1' });
      // The last heartbeat (deadAfterMs 1500), then a change: it keeps the node's TTL.
      await heartbeat(keys, 'node-a', admin, 1500);
      a.up(apt('apt-1'), pid('p-2'));
      await expect.poll(() => admin.hlen(keys.presence('node-a')), { timeout: 5000 }).toBe(2);
      expect(await admin.pttl(keys.presence('node-a'))).toBeGreaterThan(0);
      expect(await admin.pttl(keys.presence('node-a'))).toBeLessThanOrEqual(1500);
      // No heartbeat renews it: the node died, its entries go.
      await expect.poll(() => admin.exists(keys.presence('node-a')), { timeout: 5000 }).toBe(0);
      expect(await a.snapshot()).toEqual([]);
      // A change after the node left (a socket closing on the way out) leaves no hash for ever.
      a.up(apt('apt-1'), pid('p-3'));
      await expect.poll(() => admin.hgetall(keys.presence('node-a')), { timeout: 5000 }).toEqual({ 'p-3': 'apt-1' });
      expect(await admin.pttl(keys.presence('node-a'))).toBeGreaterThan(0);
    });

    it("replaces what an earlier process with the same node id left, and writes itself again after Redis lost it", async () => {
      const flaky = await startRedisServer({ appendOnly: false });
      cleanups.push(() => flaky.stop());
      const probe = await client(flaky, createLogger('silent'));
      const keys = freshKeys();
      await heartbeat(keys, 'node-a', probe);
      await probe.hset(keys.presence('node-a'), 'p-stale', 'apt-old');
      const a = await ledger('node-a', keys, flaky);
      a.up(apt('apt-1'), pid('p-1'));
      await expect.poll(() => probe.hgetall(keys.presence('node-a')), { timeout: 5000 }).toEqual({ 'p-1': 'apt-1' });
      await flaky.halt('SIGKILL');
      await flaky.restart();
      await expect.poll(() => probe.hgetall(keys.presence('node-a')).catch(() => null), { timeout: 15_000 }).toEqual({ 'p-1': 'apt-1' });
    });
  });

  describe('domain bus bridge', () => {
    it("an event on node A's domain bus reaches node B's listeners as a replay, and B does not send it back", async () => {
      const keys = freshKeys();
      const [ca, cb] = await Promise.all([bus('node-a', keys), bus('node-b', keys)]);
      const [busA, busB] = [new DomainBus(), new DomainBus()];
      const detachA = bridgeDomainBus(busA, ca);
      const detachB = bridgeDomainBus(busB, cb);
      cleanups.push(detachA, detachB);
      const atA: { event: string; replaying: boolean }[] = [];
      const atB: { event: string; args: unknown[]; replaying: boolean }[] = [];
      busA.on('changed', () => void atA.push({ event: 'changed', replaying: busA.replaying }));
      busA.on('viewsStale', () => void atA.push({ event: 'viewsStale', replaying: busA.replaying }));
      const reachedA: string[] = [];
      ca.on('viewsStale', (a) => void reachedA.push(a));
      busB.on('changed', (a) => void atB.push({ event: 'changed', args: [a], replaying: busB.replaying }));
      busB.on('participantExpelled', (...args) => void atB.push({ event: 'participantExpelled', args, replaying: busB.replaying }));
      busB.on('recorded', () => void atB.push({ event: 'recorded', args: [], replaying: busB.replaying }));

      busA.safeEmit('changed', apt('apt-1'));
      busA.safeEmit('participantExpelled', apt('apt-1'), pid('p-1'), 'denied');
      busA.safeEmit('recorded', { type: 'admitted' } as never); // not bridged: stays on A
      await expect.poll(() => atB.length, { timeout: 5000 }).toBe(2);
      expect(atB).toEqual([
        { event: 'changed', args: ['apt-1'], replaying: true },
        { event: 'participantExpelled', args: ['apt-1', 'p-1', 'denied'], replaying: true },
      ]);
      // B's own event after them: had B echoed them, A would see the echoes first (one stream, one order).
      busB.safeEmit('viewsStale', apt('apt-1'));
      await expect.poll(() => atA.length, { timeout: 5000 }).toBe(2);
      expect(atA).toEqual([
        { event: 'changed', replaying: false },
        { event: 'viewsStale', replaying: true },
      ]);
      // A's two events went in one tick (one entry), B's one in another.
      expect(await admin.xlen(keys.bus)).toBe(2);

      // Detached: nothing goes out, nothing comes in.
      detachA();
      busA.safeEmit('changed', apt('apt-2'));
      busB.safeEmit('changed', apt('apt-3'));
      await expect.poll(() => admin.xlen(keys.bus), { timeout: 5000 }).toBe(3);
      busB.safeEmit('viewsStale', apt('apt-4'));
      await expect.poll(() => reachedA, { timeout: 5000 }).toEqual(['apt-1', 'apt-4']);
      expect(atA.map((x) => x.event)).toEqual(['changed', 'viewsStale', 'changed']);
    });
  });
});
