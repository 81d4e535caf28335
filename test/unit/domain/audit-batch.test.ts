// Audit appends in batches: a burst of records costs a few store calls, not
// one each, and the chain is the same linear, verifiable chain as before.
import { describe, expect, it } from 'vitest';
import { randomId, type AppointmentId } from '../../../server/core/ids.ts';
import { AuditChain } from '../../../server/domain/audit/chain.ts';
import { exportLines } from '../../../server/domain/audit/export.ts';
import type { AuditEntry, AuditRecord } from '../../../server/domain/audit/record.ts';
import { verifyExport } from '../../../server/domain/audit/verify.ts';
import { DomainBus, EventRecorder } from '../../../server/domain/events.ts';
import type { EventStore } from '../../../server/domain/stores.ts';
import { createMemoryStores } from '../../../server/stores/memory/index.ts';

async function exportText(events: EventStore): Promise<string> {
  let out = '';
  for await (const chunk of exportLines(events)) out += chunk;
  return out;
}

async function all(events: EventStore): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for await (const r of events.records()) out.push(r);
  return out;
}

const entry = (subject: string, appointmentId: AppointmentId | null = null): AuditEntry => ({
  time: '2030-03-04T09:00:00.000Z',
  appointmentId,
  actor: { role: 'system', id: 'test' },
  action: 'participant.joined',
  outcome: 'ok',
  subject,
});

interface Counted {
  store: EventStore;
  /** Every call that reaches the store: 'head', or the size of a batch. */
  calls: (number | 'head')[];
  /** Holds the next appendBatch until release() is called. */
  hold(): void;
  release(): void;
  /** Makes the next appendBatch reject with this error (before reaching the store). */
  failNext(err: Error): void;
}

function counted(events: EventStore): Counted {
  const calls: (number | 'head')[] = [];
  let gate: Promise<void> | null = null;
  let open: (() => void) | null = null;
  let failure: Error | null = null;
  return {
    calls,
    hold: () => {
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    release: () => {
      open?.();
      gate = null;
    },
    failNext: (err) => {
      failure = err;
    },
    store: {
      trustId: events.trustId,
      head: () => {
        calls.push('head');
        return events.head();
      },
      append: (r) => {
        calls.push(1);
        return events.append(r);
      },
      appendBatch: async (rs) => {
        calls.push(rs.length);
        if (gate) await gate;
        if (failure) {
          const err = failure;
          failure = null;
          throw err;
        }
        return events.appendBatch(rs);
      },
      records: (scan) => events.records(scan),
      list: (id) => events.list(id),
    },
  };
}

describe('audit appends in batches', () => {
  it('50 records made at once by one recorder cost 2 store calls (the head, one batch) and make a valid chain in call order', async () => {
    const stores = createMemoryStores();
    const c = counted(stores.events);
    const recorder = new EventRecorder(c.store, new DomainBus(), () => new Date());
    const a = randomId<AppointmentId>();
    const b = randomId<AppointmentId>();
    const subjects = Array.from({ length: 50 }, (_, i) => `p-${String(i)}`);
    await Promise.all(subjects.map((s, i) => recorder.record('participant.joined', i % 2 ? a : b, { role: 'system', id: 'test' }, { subject: s })));

    expect(c.calls).toEqual(['head', 50]);
    const records = await all(stores.events);
    expect(records.map((r) => r.subject)).toEqual(subjects);
    expect(records.map((r) => r.seq)).toEqual(subjects.map((_, i) => i + 1));
    expect(verifyExport(await exportText(stores.events))).toMatchObject({ ok: true, records: 50, complete: true });
    expect((await stores.events.list(a)).map((e) => e.subject)).toEqual(subjects.filter((_, i) => i % 2));
  });

  it('entries that arrive while a batch is in flight go together in the next one; each caller gets its own record', async () => {
    const stores = createMemoryStores();
    const c = counted(stores.events);
    const chain = new AuditChain(c.store);
    await chain.append(entry('warm-up'));
    c.hold();
    const first = chain.append(entry('first'));
    await new Promise((resolve) => setImmediate(resolve));
    const later = ['second', 'third', 'fourth', 'fifth'].map((s) => chain.append(entry(s)));
    c.release();
    const records = await Promise.all([first, ...later]);
    expect(records.map((r) => [r.seq, r.subject])).toEqual([
      [2, 'first'],
      [3, 'second'],
      [4, 'third'],
      [5, 'fourth'],
      [6, 'fifth'],
    ]);
    expect(c.calls).toEqual(['head', 1, 1, 4]);
    expect((await all(stores.events)).slice(1)).toEqual(records);
    expect(verifyExport(await exportText(stores.events))).toMatchObject({ ok: true, records: 6, complete: true });
  });

  it('bounds a batch: 250 entries at once go as batches of at most 100', async () => {
    const stores = createMemoryStores();
    const c = counted(stores.events);
    const chain = new AuditChain(c.store);
    const records = await Promise.all(Array.from({ length: 250 }, (_, i) => chain.append(entry(`p-${String(i)}`))));
    expect(c.calls).toEqual(['head', 100, 100, 50]);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(verifyExport(await exportText(stores.events))).toMatchObject({ ok: true, records: 250, complete: true });
  });

  it("a failed batch rejects each of its callers with the store's error; the next batch reads the head again and appends", async () => {
    const stores = createMemoryStores();
    const c = counted(stores.events);
    const chain = new AuditChain(c.store);
    await chain.append(entry('before'));
    const outage = new Error('store unreachable');
    c.failNext(outage);
    const failed = await Promise.allSettled([chain.append(entry('lost-1')), chain.append(entry('lost-2'))]);
    expect(failed).toEqual([
      { status: 'rejected', reason: outage },
      { status: 'rejected', reason: outage },
    ]);
    const after = await chain.append(entry('after'));
    expect(after.seq).toBe(2);
    expect(c.calls).toEqual(['head', 1, 2, 'head', 1]);
    expect((await all(stores.events)).map((r) => r.subject)).toEqual(['before', 'after']);
  });

  it('two chains (two nodes) on one store appending bursts at once rebuild lost batches on the new head: one linear chain', async () => {
    const stores = createMemoryStores();
    const one = counted(stores.events);
    const two = counted(stores.events);
    const nodes = [new AuditChain(one.store), new AuditChain(two.store)];
    const a = randomId<AppointmentId>();
    const n = 200;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => nodes[i % 2]!.append(entry(`p-${String(i)}`, i % 3 ? a : null))));
    const records = await all(stores.events);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect([...results].sort((x, y) => x.seq - y.seq)).toEqual(records);
    // Each node kept its own callers' order.
    for (const node of [0, 1]) {
      const mine = results.filter((_, i) => i % 2 === node);
      expect(mine.map((r) => r.seq)).toEqual([...mine.map((r) => r.seq)].sort((x, y) => x - y));
    }
    expect(verifyExport(await exportText(stores.events))).toMatchObject({ ok: true, records: n, complete: true });
    expect(one.calls.length + two.calls.length).toBeLessThan(20);
  });
});
