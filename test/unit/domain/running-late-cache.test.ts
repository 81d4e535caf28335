// RunningLateCache: one read per clinician per 30 s, dropped by the bus's
// 'runningLate' and 'viewsStale', never keeping a read that began before a
// drop, and bounded.
import { describe, expect, it } from 'vitest';
import { DomainBus } from '../../../server/domain/events.ts';
import type { RunningLateRecord } from '../../../server/domain/model.ts';
import { RunningLateCache } from '../../../server/domain/running-late-cache.ts';
import type { AppointmentId } from '../../../server/core/ids.ts';

const late = (clinicianId: string, minutes: number): RunningLateRecord => ({ clinicianId, minutes, since: '2030-03-04T09:00:00.000Z', setBy: 'coord' });

/** A store of notices whose reads the test counts, and can hold until released. */
function store() {
  const notices = new Map<string, RunningLateRecord>();
  const reads: string[][] = [];
  let gate: Promise<void> | null = null;
  let open = () => {};
  return {
    notices,
    reads,
    hold() {
      gate = new Promise<void>((r) => (open = r));
    },
    release() {
      gate = null;
      open();
    },
    async read(ids: readonly string[]): Promise<RunningLateRecord[]> {
      reads.push([...ids]);
      const snapshot = ids.flatMap((id) => (notices.has(id) ? [notices.get(id)!] : []));
      if (gate) await gate;
      return snapshot;
    },
  };
}

function setup(opts: { maxEntries?: number } = {}) {
  const s = store();
  const bus = new DomainBus();
  let now = 1_000_000;
  const cache = new RunningLateCache({ read: (ids) => s.read(ids), bus, now: () => now, ...opts });
  return { s, bus, cache, advance: (ms: number) => (now += ms) };
}

describe('RunningLateCache', () => {
  it('reads a clinician once for 30 seconds, then again', async () => {
    const { s, cache, advance } = setup();
    s.notices.set('gp-1', late('gp-1', 10));
    expect(await cache.of('gp-1')).toEqual(late('gp-1', 10));
    expect(await cache.of('gp-2')).toBeNull();
    advance(29_999);
    expect(await cache.of('gp-1')).toEqual(late('gp-1', 10));
    expect(await cache.of('gp-2')).toBeNull();
    expect(s.reads).toEqual([['gp-1'], ['gp-2']]);
    s.notices.delete('gp-1'); // expired in the store, no event
    advance(1);
    expect(await cache.of('gp-1')).toBeNull();
    expect(s.reads).toEqual([['gp-1'], ['gp-2'], ['gp-1']]);
  });

  it("drops a clinician's copy on 'runningLate' (set here, or replayed from another node) and every copy on 'viewsStale'", async () => {
    const { s, bus, cache } = setup();
    await cache.of('gp-1');
    await cache.of('gp-2');
    s.notices.set('gp-1', late('gp-1', 20));
    bus.replay('runningLate', 'gp-1');
    expect(cache.size).toBe(1);
    expect(await cache.of('gp-1')).toEqual(late('gp-1', 20));
    s.notices.set('gp-2', late('gp-2', 5));
    bus.safeEmit('viewsStale', 'a1' as AppointmentId);
    expect(cache.size).toBe(0);
    expect(await cache.of('gp-2')).toEqual(late('gp-2', 5));
    expect(s.reads).toEqual([['gp-1'], ['gp-2'], ['gp-1'], ['gp-2']]);
  });

  it('shares a read under way between callers', async () => {
    const { s, cache } = setup();
    s.notices.set('gp-1', late('gp-1', 15));
    s.hold();
    const first = cache.of('gp-1');
    const second = cache.of('gp-1');
    s.release();
    expect(await first).toEqual(late('gp-1', 15));
    expect(await second).toEqual(late('gp-1', 15));
    expect(s.reads).toEqual([['gp-1']]);
  });

  it('does not keep a read that began before a drop, nor share it with later callers', async () => {
    const { s, bus, cache } = setup();
    s.hold();
    const before = cache.of('gp-1');
    // Set on another node meanwhile: the read under way saw the old store.
    s.notices.set('gp-1', late('gp-1', 15));
    bus.replay('runningLate', 'gp-1');
    const after = cache.of('gp-1');
    expect(s.reads).toHaveLength(2);
    s.release();
    expect(await before).toBeNull();
    expect(await after).toEqual(late('gp-1', 15));
    expect(await cache.of('gp-1')).toEqual(late('gp-1', 15));
    expect(s.reads).toHaveLength(2);
    // A read under way dropped by 'viewsStale' is not kept either.
    bus.safeEmit('viewsStale', 'a1' as AppointmentId);
    s.hold();
    const stale = cache.of('gp-1');
    s.notices.delete('gp-1');
    bus.safeEmit('viewsStale', 'a1' as AppointmentId);
    s.release();
    expect(await stale).toEqual(late('gp-1', 15));
    expect(await cache.of('gp-1')).toBeNull();
  });

  it('forgets a failed read', async () => {
    const bus = new DomainBus();
    let fail = true;
    const cache = new RunningLateCache({ read: async (ids) => (fail ? Promise.reject(new Error('store down')) : ids.map((id) => late(id, 1))), bus, now: () => 0 });
    await expect(cache.of('gp-1')).rejects.toThrow('store down');
    fail = false;
    expect(await cache.of('gp-1')).toEqual(late('gp-1', 1));
  });

  it('drops every copy rather than grow past its bound', async () => {
    const { cache } = setup({ maxEntries: 3 });
    for (const id of ['a', 'b', 'c']) await cache.of(id);
    expect(cache.size).toBe(3);
    await cache.of('d');
    expect(cache.size).toBe(1);
  });

  it('holds 10,000 clinicians by default', async () => {
    const { cache } = setup();
    for (let i = 0; i < 10_000; i++) await cache.of(`gp-${i}`);
    expect(cache.size).toBe(10_000);
    await cache.of('one-more');
    expect(cache.size).toBe(1);
  });
});
