// Races that used to leave Routers behind on the worker, tried in a loop
// against the running server (memory store and Redis):
// - the clinician ends the consultation at the moment the first media calls
//   arrive (the Router is still being created, or is created after the end);
// - a self-test page sends its media calls and goes away at once.
// The judge is the mediasoup worker itself (worker.dump()'s router ids), not
// the server's own bookkeeping: afterwards no Router of an ended consultation
// or a finished self-test exists, nothing counts them as live, and the
// self-test's concurrency cap still admits exactly its number.
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../support/api.ts';
import type { ClientMessageName } from '../../server/wire/socket.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectAckError, expectLogsClean, openConsultation, selfTestSocket, tokenOf, Tracker } from './support.ts';

const ROUNDS = 30;
/** Media calls sent one event-loop turn apart around each end. */
const STREAM = 12;
const METRICS_TOKEN = 'metrics-token-races-0123456789';

/** Every Router the worker really has, by the room id it was made for. */
class RouterWatch {
  readonly workers: types.Worker[] = [];
  readonly roomOf = new Map<string, string>();
  readonly #onWorker = (w: types.Worker) => {
    this.workers.push(w);
    w.observer.on('newrouter', (r: types.Router) => this.roomOf.set(r.id, String((r.appData as { roomId?: unknown }).roomId)));
  };
  start(): void {
    mediasoup.observer.on('newworker', this.#onWorker);
  }
  stop(): void {
    mediasoup.observer.off('newworker', this.#onWorker);
  }
  /** Room ids of the Routers alive on the workers now (asked of the worker processes). */
  async liveRooms(): Promise<string[]> {
    const dumps = await Promise.all(this.workers.filter((w) => !w.closed).map((w) => w.dump()));
    return dumps.flatMap((d) => d.routerIds).map((id) => this.roomOf.get(id) ?? `unknown:${id}`);
  }
  /** The live Routers once nothing changes any more (opens in flight have finished one way or the other). */
  async settledRooms(): Promise<string[]> {
    let last = await this.liveRooms();
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const now = await this.liveRooms();
      if (now.length === last.length && now.every((x, j) => x === last[j])) return now;
      last = now;
    }
    return last;
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const immediate = () => new Promise((r) => setImmediate(r));
/** A reply, or what the client saw instead (the server disconnects everyone at the end). */
const settle = (p: Promise<unknown>) => p.catch((e: unknown) => ({ rejected: String(e) }));
/** A request's reply, or 'disconnected' as soon as the socket goes (no waiting for the ack timeout). */
function ask(c: Client, name: ClientMessageName, payload: unknown): Promise<unknown> {
  const gone = new Promise((resolve) => {
    if (!c.socket.connected) return resolve('disconnected');
    c.socket.once('disconnect', () => resolve('disconnected'));
  });
  return Promise.race([settle(c.raw(name, payload)), gone]);
}


/** A self-test socket once one is free (the server frees a slot when it has seen the last page go). */
async function selfTestWhenFree(s: TestServer): Promise<Socket> {
  for (let i = 0; ; i++) {
    try {
      return await selfTestSocket(s);
    } catch (e) {
      if ((e as { code?: string }).code !== 'UNAVAILABLE' || i >= 50) throw e;
      await pause(100);
    }
  }
}

async function metric(s: TestServer, name: string): Promise<number> {
  const r = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(r.status).toBe(200);
  const line = (await r.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ').at(-1));
}

describe.each(['memory', 'redis'] as const)('media races (%s store)', (store) => {
  let s: TestServer;
  let redis: RedisServerHandle | undefined;
  const watch = new RouterWatch();
  const t = new Tracker();
  const secrets: string[] = [];

  beforeAll(async () => {
    if (store === 'redis') redis = await startRedisServer();
    watch.start();
    // All checks here come from one address: only the overall cap is under test.
    s = await startTestServer({ MAX_FAILURES: '1000000', SELF_TEST_MAX_PER_ADDRESS: '100', METRICS_TOKEN, ...(redis ? { REDIS_URL: redis.url } : {}) });
    watch.stop();
    expect(s.deps.stores.kind).toBe(store);
    expect(watch.workers).toHaveLength(1);
  });
  afterAll(async () => {
    t.closeAll();
    if (s) {
      expectLogsClean(s, secrets);
      await s.stop();
    }
    await redis?.stop();
  });

  it(`ending a consultation as its first media calls arrive leaves no Router (${ROUNDS} rounds)`, async () => {
    const ended: string[] = [];
    const outcomes = new Map<string, number>();
    for (let i = 0; i < ROUNDS; i++) {
      const c = await openConsultation(s, t, { admit: true });
      secrets.push(tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl));
      ended.push(c.apt.id);
      // The first media calls, a stream of them, and the end leave together; the end is nudged a
      // little later each round so it lands before, during and after the Router's creation, and
      // between one call's admission check and its open.
      const calls = [ask(c.patient, 'media:capabilities', {}), ask(c.gp, 'media:createTransport', { direction: 'send' })];
      const stream = (async () => {
        const more: Promise<unknown>[] = [];
        for (let k = 0; k < STREAM; k++) {
          await immediate();
          more.push(ask(c.patient, 'media:capabilities', {}));
        }
        return Promise.all(more);
      })();
      const end = (async () => {
        for (let k = 0; k < i % STREAM; k++) await immediate();
        return settle(c.gp.request('consultation:end', {}));
      })();
      const [caps, transport, ack] = await Promise.all([...calls, end]);
      expect(ack).toEqual({ ok: true, data: {} });
      for (const r of [caps, transport, ...(await stream)]) {
        const kind = typeof r === 'string' ? r : (r as { ok?: boolean }).ok ? 'ok' : ((r as { error?: { code?: string } }).error?.code ?? 'no answer');
        outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
        if ((r as { ok?: boolean }).ok === false) expectAckError(r, ['CONSULTATION_ENDED', 'NOT_ADMITTED']);
      }
      t.closeAll();
    }
    console.log(`[security] media-races (${store}): first media calls vs end: ${JSON.stringify(Object.fromEntries(outcomes))}`);

    const live = await watch.settledRooms();
    expect(live.filter((id) => ended.includes(id))).toEqual([]);
    expect(s.deps.rooms.all().map((r) => r.id)).toEqual([]);
    expect(await metric(s, 'consultroom_consultations_active')).toBe(0);
  });

  it(`a self-test page that goes away as it starts leaves no Router, and the cap still holds (${ROUNDS} rounds)`, async () => {
    const max = s.config.selfTest.maxConcurrent;
    for (let i = 0; i < ROUNDS; i++) {
      const socket = await selfTestSocket(s);
      const calls = [
        settle(socket.timeout(5000).emitWithAck('media:capabilities', {})),
        settle(socket.timeout(5000).emitWithAck('media:createTransport', { direction: 'send' })),
        settle(socket.timeout(5000).emitWithAck('media:createTransport', { direction: 'recv' })),
      ];
      if (i % 4) await pause(i % 4);
      socket.disconnect();
      await Promise.all(calls);
    }
    const live = await watch.settledRooms();
    expect(live.filter((id) => id.startsWith('selftest:'))).toEqual([]);
    expect(s.deps.rooms.all().map((r) => r.id)).toEqual([]);

    // The count of running self-tests came back to zero: exactly `max` may run at once.
    const running = await Promise.all(Array.from({ length: max }, () => selfTestSocket(s)));
    const refused = await selfTestSocket(s).then(
      (x) => (x.close(), 'connected'),
      (e: { code?: string }) => e.code,
    );
    expect(refused).toBe('UNAVAILABLE');
    for (const x of running) x.close();
    (await selfTestWhenFree(s)).close();
  });

  it('a live self-test is not counted as a consultation', async () => {
    const c = await openConsultation(s, t, { admit: true });
    secrets.push(tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl));
    expect(await c.patient.request('media:capabilities', {})).toMatchObject({ ok: true });
    const check = await selfTestWhenFree(s);
    expect(await check.timeout(5000).emitWithAck('media:capabilities', {})).toMatchObject({ ok: true });
    expect(s.deps.rooms.all()).toHaveLength(2);
    expect(await metric(s, 'consultroom_consultations_active')).toBe(1);
    check.close();
    expect(await c.gp.request('consultation:end', {})).toEqual({ ok: true, data: {} });
    t.closeAll();
    await expect.poll(async () => (await watch.liveRooms()).length).toBe(0);
    expect(await metric(s, 'consultroom_consultations_active')).toBe(0);
  });
});
