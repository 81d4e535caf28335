// The worker pool against real mediasoup workers: least-loaded placement, and
// a worker killed from outside is logged with its exit status, replaced on its
// port, and the owners of its routers are told.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../server/core/logger.ts';
import { WorkerPool } from '../../server/media/worker-pool.ts';
import { freeMediaPorts } from '../support/ports.ts';

describe('WorkerPool', () => {
  let pool: WorkerPool;
  const logs: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({ write: (c: Buffer, _e, cb) => (logs.push(c.toString()), cb()) });
    pool = await WorkerPool.create(
      { numWorkers: 2, logLevel: 'warn', listenIp: '127.0.0.1', port: await freeMediaPorts(2), workerBin: process.env.MEDIASOUP_WORKER_BIN },
      createLogger('info', sink),
    );
  });
  afterAll(() => pool?.close());

  it('places routers on the least-loaded worker', async () => {
    const a = await pool.createRouter({ n: 1 }, () => undefined);
    const b = await pool.createRouter({ n: 2 }, () => undefined);
    expect(pool.status().map((s) => s.routers)).toEqual([1, 1]);
    a.router.close();
    expect(pool.status().map((s) => s.routers)).toEqual([0, 1]);
    const c = await pool.createRouter({ n: 3 }, () => undefined);
    expect(pool.status().map((s) => s.routers)).toEqual([1, 1]);
    b.router.close();
    c.router.close();
  });

  it('replaces a worker that dies and tells its routers’ owners', async () => {
    const lost: string[] = [];
    const { router } = await pool.createRouter({ n: 4 }, (reason) => lost.push(reason));
    const victim = pool.status().find((s) => s.routers === 1)!;
    const replaced = new Promise<{ index: number; pid: number }>((r) => pool.once('workerReplaced', r));
    process.kill(victim.pid, 'SIGKILL');
    const fresh = await replaced;
    expect(fresh.index).toBe(victim.index);
    expect(fresh.pid).not.toBe(victim.pid);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/SIGKILL|signal/i);
    expect(router.closed).toBe(true);
    expect(pool.allAlive()).toBe(true);
    expect(pool.status()[victim.index]).toMatchObject({ alive: true, routers: 0, port: victim.port });
    expect(logs.some((l) => l.includes('mediasoup worker died') && l.includes(String(victim.pid)))).toBe(true);
    // The new worker takes routers on the same WebRtcServer port.
    const again = await pool.createRouter({ n: 5 }, () => undefined);
    expect(again.router.closed).toBe(false);
    again.router.close();
  });
});
