// What the server keeps per waiting socket, from its heap: the real app in
// this process on a throwaway Redis (so the store's records are not in the
// heap), N patients in a child process (bench/load/patients.ts: redeem, then
// socket.io until 'waiting'). The heap is measured after a full GC before and
// after they join, and two heap snapshots are compared by constructor
// (closures, Maps, strings...), so what each socket costs, and why, is seen.
// Run: bash scripts/with-node.sh node --expose-gc bench/socket-heap.ts [N]
import { fork } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { createAppointment, tokenOf } from '../support/api.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { startTestServer } from '../support/server.ts';
import type { RunOrder, RunReport } from './load/patients.ts';

type Totals = Map<string, { count: number; bytes: number }>;

/** Self sizes of a heap snapshot summed by node type and constructor name. */
function byConstructor(file: string): Totals {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const out: Totals = new Map();
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const type = types[snap.nodes[i + iType]!]!;
    const key = type === 'object' || type === 'closure' ? `${type} ${snap.strings[snap.nodes[i + iName]!]}` : type;
    const t = out.get(key) ?? { count: 0, bytes: 0 };
    t.count++;
    t.bytes += snap.nodes[i + iSize]!;
    out.set(key, t);
  }
  return out;
}

function settledHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return getHeapStatistics().used_heap_size;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 2000);
  const redis = await startRedisServer({ appendOnly: false });
  const server = await startTestServer({ REDIS_URL: redis.url, SOCKETS_PER_ADDRESS: String(n * 2), LOG_LEVEL: 'warn' });
  const child = fork(path.join(import.meta.dirname, 'load', 'patients.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const snapshots: string[] = [];
  try {
    const tokens: string[] = [];
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => createAppointment(server.url, { clinicianId: `gp-${(i + j) % 200}` })));
      tokens.push(...batch.map((a) => tokenOf(a.patientUrl)));
    }
    // One patient first, so what is made once (compiled code, pools) is not counted per socket.
    const order = (from: number, to: number): RunOrder => ({
      type: 'run',
      target: 'ours',
      base: server.url,
      patients: tokens.slice(from, to).map((key, i) => ({ index: from + i, key })),
      mode: 'burst',
      ratePerSec: 0,
      startAt: Date.now(),
      timeoutMs: 120_000,
    });
    const run = (o: RunOrder) =>
      new Promise<RunReport>((resolve) => {
        const on = (m: { type: string }) => {
          if (m.type !== 'done') return;
          child.off('message', on);
          resolve(m as RunReport);
        };
        child.on('message', on);
        child.send(o);
      });
    await run(order(0, 1));
    await new Promise((r) => setTimeout(r, 1000));
    const before = settledHeap();
    snapshots.push(writeHeapSnapshot(path.join(tmpdir(), `socket-heap-before-${process.pid}.heapsnapshot`)));
    const report = await run(order(1, n));
    const failed = report.results.filter((r) => r.error);
    // The server may still be settling the last handshakes and view pushes.
    const nsp = server.app.io.of('/');
    for (let t = 0; t < 120 && nsp.sockets.size < n - failed.length; t++) await new Promise((r) => setTimeout(r, 500));
    await new Promise((r) => setTimeout(r, 2000));
    const held = server.deps.presence.count;
    const after = settledHeap();
    snapshots.push(writeHeapSnapshot(path.join(tmpdir(), `socket-heap-after-${process.pid}.heapsnapshot`)));
    const joined = n - 1 - failed.length;
    console.log(`${joined} waiting sockets joined (${failed.length} failed${failed[0] ? `: ${failed[0].error}` : ''}); ${held} sockets held`);
    console.log(`heap per waiting socket: ${((after - before) / joined).toFixed(0)} bytes (used heap ${(before / 1e6).toFixed(1)} -> ${(after / 1e6).toFixed(1)} MB)`);
    const [a, b] = snapshots.map(byConstructor) as [Totals, Totals];
    const rows = [...b]
      .map(([k, v]) => ({ k, count: v.count - (a.get(k)?.count ?? 0), bytes: v.bytes - (a.get(k)?.bytes ?? 0) }))
      .sort((x, y) => y.bytes - x.bytes)
      .slice(0, 25);
    console.log('biggest growth by constructor, per socket (objects, bytes):');
    for (const r of rows) console.log(`  ${(r.count / joined).toFixed(1).padStart(6)} ${(r.bytes / joined).toFixed(0).padStart(7)} B  ${r.k}`);
  } finally {
    child.kill();
    for (const s of snapshots) rmSync(s, { force: true });
    await server.stop();
    await redis.stop();
  }
}

await main();
