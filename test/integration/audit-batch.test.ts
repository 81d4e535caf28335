// Audit appends in batches on a real Redis: a burst of records from one
// recorder is one script call (Redis's own command counts say so), two nodes
// appending bursts at once still make one linear chain, and the export passes
// the verify command (npm run audit:verify).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId, type AppointmentId } from '../../server/core/ids.ts';
import { AuditChain } from '../../server/domain/audit/chain.ts';
import { exportLines } from '../../server/domain/audit/export.ts';
import type { AuditRecord } from '../../server/domain/audit/record.ts';
import { verifyExport } from '../../server/domain/audit/verify.ts';
import { DomainBus, EventRecorder } from '../../server/domain/events.ts';
import type { EventStore, Stores } from '../../server/domain/stores.ts';
import { createRedisStores } from '../../server/stores/redis/index.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SYSTEM = { role: 'system' as const, id: 'test' };

let server: RedisServerHandle;
let admin: Redis;
let dir: string;
const opened: Stores[] = [];

beforeAll(async () => {
  server = await startRedisServer({ appendOnly: false });
  admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  dir = await mkdtemp(path.join(tmpdir(), 'audit-batch-'));
});
afterAll(async () => {
  for (const s of opened) await s.close();
  admin?.disconnect();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Node {
  stores: Stores;
  /** The name of every command this node's connection has sent to Redis (one round trip each, unpipelined). */
  sent: string[];
}

/** A node: its own connection to the shared Redis, under the test's prefix. */
async function node(prefix: string): Promise<Node> {
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const sent: string[] = [];
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    sent.push(command.name);
    return send(command, stream);
  };
  const stores = createRedisStores(redis, { prefix });
  await stores.ping();
  opened.push(stores);
  return { stores, sent };
}

/** Script calls Redis ran since the last call, as its own command counts say. */
async function scriptCallsSince(): Promise<number> {
  const info = await admin.info('commandstats');
  await admin.config('RESETSTAT');
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) calls += Number(m[2]);
  return calls;
}

async function exportText(events: EventStore): Promise<string> {
  let out = '';
  for await (const chunk of exportLines(events)) out += chunk;
  return out;
}

async function all(events: EventStore, appointmentId?: AppointmentId): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for await (const r of events.records(appointmentId === undefined ? {} : { appointmentId })) out.push(r);
  return out;
}

/** Runs scripts/audit-verify.ts on the text, as `npm run audit:verify -- FILE` does. */
async function verifyWithScript(text: string): Promise<{ code: number; stdout: string }> {
  const file = path.join(dir, `export-${randomId()}.ndjson`);
  await writeFile(file, text);
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'scripts', 'audit-verify.ts'), file], { cwd: ROOT }, (err, stdout) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout });
    });
  });
}

describe('audit appends in batches (Redis)', () => {
  it('50 records made at once by one recorder: one script call instead of 50, and a chain the verify command accepts', async () => {
    const prefix = `test:${randomId()}:`;
    const { stores, sent } = await node(prefix);
    // One record first, so the script is loaded and the head known, as on a running server.
    const recorder = new EventRecorder(stores.events, new DomainBus(), () => new Date());
    await recorder.record('appointment.created', null, SYSTEM);
    const a = randomId<AppointmentId>();
    const b = randomId<AppointmentId>();
    await scriptCallsSince();
    sent.length = 0;
    await Promise.all(Array.from({ length: 50 }, (_, i) => recorder.record('participant.joined', i % 2 ? a : b, SYSTEM, { subject: `p-${String(i)}` })));
    expect(sent).toEqual(['evalsha']);
    expect(await scriptCallsSince()).toBe(1);

    // The same burst one record per call, as before batching: 50 script calls.
    sent.length = 0;
    const oneByOne = new AuditChain(stores.events, { maxBatch: 1 });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        oneByOne.append({ time: new Date().toISOString(), appointmentId: a, actor: SYSTEM, action: 'participant.left', outcome: 'ok', subject: `p-${String(i)}` }),
      ),
    );
    expect(sent.filter((c) => c === 'evalsha')).toHaveLength(50);
    expect(sent).toHaveLength(51); // and the head, read once
    expect(await scriptCallsSince()).toBe(50);

    const records = await all(stores.events);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(records.slice(1, 51).map((r) => r.subject)).toEqual(Array.from({ length: 50 }, (_, i) => `p-${String(i)}`));
    expect((await all(stores.events, b)).map((r) => r.subject)).toEqual(Array.from({ length: 25 }, (_, i) => `p-${String(i * 2)}`));
    expect(await all(stores.events, a)).toEqual(records.filter((r) => r.appointmentId === a));

    const text = await exportText(stores.events);
    expect(verifyExport(text)).toMatchObject({ ok: true, records: 101, complete: true });
    const verified = await verifyWithScript(text);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^OK: 101 records, chain intact/);
  });

  it('two nodes recording bursts at once on one Redis make one linear chain the verify command accepts', async () => {
    const prefix = `test:${randomId()}:`;
    const nodes = [(await node(prefix)).stores, (await node(prefix)).stores];
    const recorders = nodes.map((s) => new EventRecorder(s.events, new DomainBus(), () => new Date()));
    const a = randomId<AppointmentId>();
    const n = 300;
    const events = await Promise.all(
      Array.from({ length: n }, (_, i) => recorders[i % 2]!.record('participant.joined', i % 3 ? a : null, { role: 'system', id: `node-${String(i % 2)}` }, { subject: `p-${String(i)}` })),
    );
    expect(events).toHaveLength(n);
    const records = await all(nodes[0]!.events);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(new Set(records.map((r) => r.subject)).size).toBe(n);
    expect(await all(nodes[1]!.events)).toEqual(records);
    expect(await all(nodes[1]!.events, a)).toEqual(records.filter((r) => r.appointmentId === a));
    // Each node's records keep the order its recorder was called in.
    for (const id of ['node-0', 'node-1']) {
      const subjects = records.filter((r) => r.actor.id === id).map((r) => Number(r.subject!.slice(2)));
      expect(subjects).toEqual([...subjects].sort((x, y) => x - y));
    }
    const text = await exportText(nodes[1]!.events);
    expect(verifyExport(text)).toMatchObject({ ok: true, records: n, complete: true });
    const verified = await verifyWithScript(text);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^OK: 300 records, chain intact/);
  });

  it("keeps each record once: an appointment's index holds references (read back as the records), and an index written with copies before that still reads", async () => {
    const prefix = `test:${randomId()}:`;
    const { stores } = await node(prefix);
    const recorder = new EventRecorder(stores.events, new DomainBus(), () => new Date());
    const a = randomId<AppointmentId>();
    await Promise.all(Array.from({ length: 3 }, (_, i) => recorder.record('participant.joined', a, SYSTEM, { subject: `p-${String(i)}` })));
    const indexKey = (await admin.keys(`${prefix}audit:*:appointment:${a}`))[0]!;
    const logKey = (await admin.keys(`${prefix}audit:*:log`))[0]!;
    const index = await admin.xrange(indexKey, '-', '+');
    expect(index.map(([id, fields]) => [id, fields])).toEqual([1, 2, 3].map((seq) => [`${String(seq)}-0`, ['ref', '1']]));
    const records = await all(stores.events);
    expect(await all(stores.events, a)).toEqual(records);
    // An index from before (a copy of each record, field 'record'), then a new reference after it.
    const b = randomId<AppointmentId>();
    const old = { ...records[0]!, seq: 4, appointmentId: b };
    const oldIndexKey = indexKey.replace(a, b);
    await admin.xadd(oldIndexKey, '4-0', 'record', JSON.stringify(old));
    await admin.xadd(logKey, '4-0', 'record', JSON.stringify(old));
    await admin.xadd(oldIndexKey, '5-0', 'ref', '1');
    const fifth = { ...old, seq: 5, subject: 'p-5' };
    await admin.xadd(logKey, '5-0', 'record', JSON.stringify(fifth));
    expect(await all(stores.events, b)).toEqual([old, fifth]);
    // A reference whose record the log lacks (never written by the server) is left out, not invented.
    await admin.xadd(oldIndexKey, '9-0', 'ref', '1');
    expect(await all(stores.events, b)).toEqual([old, fifth]);
  });
});
