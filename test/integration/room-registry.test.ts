// RoomRegistry against a real mediasoup worker: a room closed while its Router
// is still being created is closed as soon as the Router exists (its callers
// get CONSULTATION_ENDED), stillWanted() is asked once the Router exists, and
// closeAll() cancels opens in flight. The worker's own dump is the judge.
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/core/logger.ts';
import { RoomRegistry } from '../../server/media/rooms.ts';
import { WorkerPool } from '../../server/media/worker-pool.ts';
import { freeMediaPorts } from '../support/ports.ts';

describe('RoomRegistry', () => {
  let pool: WorkerPool;
  const workers: types.Worker[] = [];
  const onWorker = (w: types.Worker) => workers.push(w);
  /** Router ids alive in the worker process. */
  const liveRouters = async () => (await Promise.all(workers.map((w) => w.dump()))).flatMap((d) => d.routerIds);
  const code = (p: Promise<unknown>) => p.then(() => 'opened', (e: Error & { code?: string }) => e.code ?? e.message);

  beforeAll(async () => {
    mediasoup.observer.on('newworker', onWorker);
    pool = await WorkerPool.create(
      { numWorkers: 1, logLevel: 'warn', listenIp: '127.0.0.1', port: await freeMediaPorts(1), workerBin: process.env.MEDIASOUP_WORKER_BIN },
      createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
    );
    mediasoup.observer.off('newworker', onWorker);
  });
  afterAll(() => pool?.close());

  it('concurrent first opens share one Router; close() closes it', async () => {
    const rooms = new RoomRegistry(pool);
    const [a, b] = await Promise.all([rooms.open('apt-1'), rooms.open('apt-1')]);
    expect(a).toBe(b);
    expect(await liveRouters()).toEqual([a.router.id]);
    rooms.close('apt-1');
    expect(a.closed).toBe(true);
    expect(await liveRouters()).toEqual([]);
  });

  it('a room closed while opening is closed as soon as its Router exists; a later open starts afresh', async () => {
    const rooms = new RoomRegistry(pool);
    const first = code(rooms.open('apt-2'));
    const second = code(rooms.open('apt-2'));
    rooms.close('apt-2');
    expect(await Promise.all([first, second])).toEqual(['CONSULTATION_ENDED', 'CONSULTATION_ENDED']);
    expect(rooms.all()).toEqual([]);
    expect(await liveRouters()).toEqual([]);
    expect(pool.status()[0]!.routers).toBe(0);

    const again = await rooms.open('apt-2');
    expect(again.closed).toBe(false);
    expect(await liveRouters()).toEqual([again.router.id]);
    rooms.close('apt-2');
  });

  it('asks stillWanted() once the Router exists and closes it when the answer is no (or an error)', async () => {
    const rooms = new RoomRegistry(pool);
    expect(await code(rooms.open('apt-3', { stillWanted: () => false }))).toBe('CONSULTATION_ENDED');
    expect(await code(rooms.open('apt-3', { stillWanted: () => Promise.reject(Object.assign(new Error('store down'), { code: 'STORE' })) }))).toBe('STORE');
    // A close() that lands while stillWanted() is being answered still wins.
    expect(await code(rooms.open('apt-3', { stillWanted: () => (rooms.close('apt-3'), true) }))).toBe('CONSULTATION_ENDED');
    expect(rooms.all()).toEqual([]);
    expect(await liveRouters()).toEqual([]);
  });

  it('counts only open consultation rooms as consultations', async () => {
    const rooms = new RoomRegistry(pool);
    await rooms.open('apt-4');
    await rooms.open('selftest:x', { purpose: 'selftest' });
    const opening = code(rooms.open('apt-5'));
    expect(rooms.consultations().map((r) => r.id)).toEqual(['apt-4']);
    expect(await opening).toBe('opened');
    rooms.close('apt-5');
    expect(rooms.consultations().map((r) => r.id)).toEqual(['apt-4']);
    rooms.closeAll();
    expect(await liveRouters()).toEqual([]);
  });

  it('closeAll() cancels opens in flight and refuses new ones', async () => {
    const rooms = new RoomRegistry(pool);
    const open = await rooms.open('apt-6');
    const inFlight = [code(rooms.open('apt-7')), code(rooms.open('selftest:y', { purpose: 'selftest' }))];
    rooms.closeAll();
    expect(open.closed).toBe(true);
    expect(await Promise.all(inFlight)).toEqual(['CONSULTATION_ENDED', 'CONSULTATION_ENDED']);
    expect(await code(rooms.open('apt-8'))).toBe('SHUTTING_DOWN');
    expect(await liveRouters()).toEqual([]);
  });
});
