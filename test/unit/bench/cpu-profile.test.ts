// The bench's CPU profile summary: self and inclusive time per function,
// grouped by name + file, and rolled up by area, checked on a hand-made
// profile whose every figure is worked out by hand (10 samples of 1 ms each).
import { describe, expect, it } from 'vitest';
import { areasLine, placeOf, summarizeCpuProfile, type CpuProfile, type ProfileNode } from '../../../bench/lib/cpu-profile.ts';

const ROOT = '/repo';
const frame = (id: number, functionName: string, url: string, lineNumber: number, children: number[] = []): ProfileNode => ({
  id,
  callFrame: { functionName, url, lineNumber, columnNumber: 0, scriptId: String(id) },
  children,
});

// (root) -> join -> emit -> join (recursion), emit -> native write, join -> anonymous store
// callback, node internals with nothing of ours above them, and V8's own entries.
const PROFILE: CpuProfile = {
  nodes: [
    frame(1, '(root)', '', -1, [2, 5, 6, 8, 9, 10]),
    frame(2, 'join', 'file:///repo/server/signaling/join.ts', 9, [3, 4]),
    frame(3, 'emit', 'file:///repo/node_modules/socket.io/dist/socket.js', 19, [7, 11]),
    frame(11, 'writeUtf8String', '', -1),
    frame(7, 'join', 'file:///repo/server/signaling/join.ts', 9),
    frame(4, '', 'file:///repo/server/stores/redis/waiting.ts', 4),
    frame(5, '(garbage collector)', '', -1),
    frame(6, '(idle)', '', -1),
    frame(8, '', 'file:///repo/server/stores/redis/waiting.ts', 49),
    frame(9, 'xadd', 'file:///repo/node_modules/@socket.io/redis-streams-adapter/dist/index.js', 0),
    frame(10, 'write', 'node:internal/streams/writable', 300),
  ],
  startTime: 1000,
  endTime: 11_000,
  // One sample every 1,000 us from t = 1,000; the last runs to endTime.
  samples: [2, 3, 7, 4, 5, 6, 11, 8, 9, 10],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe('summarizeCpuProfile', () => {
  const s = summarizeCpuProfile(PROFILE, { root: ROOT });
  const self = (name: string, line?: number) => s.bySelf.find((f) => f.name === name && (line === undefined || f.line === line));

  it('weights each sample by the time to the next and counts idle apart', () => {
    expect(s.samples).toBe(10);
    expect(s.sampledMs).toBe(10);
    expect(s.busyPct).toBe(90);
  });

  it('gives self time to the leaf, one group per name + file, anonymous functions kept apart by line', () => {
    expect(self('join')).toMatchObject({ where: 'server/signaling/join.ts', line: 10, area: 'server/signaling', selfMs: 2, selfPct: 20 });
    expect(self('(idle)')).toMatchObject({ where: '', area: '(idle)', selfMs: 1 });
    expect(self('writeUtf8String')).toMatchObject({ where: '', area: '(native)', selfMs: 1 });
    expect(self('(anonymous)', 5)).toMatchObject({ where: 'server/stores/redis/waiting.ts', selfMs: 1 });
    expect(self('(anonymous)', 50)).toMatchObject({ where: 'server/stores/redis/waiting.ts', selfMs: 1 });
    expect(self('emit')).toMatchObject({ where: 'socket.io/dist/socket.js', area: 'socket.io', selfMs: 1, selfPct: 10 });
    expect(self('xadd')).toMatchObject({ where: '@socket.io/redis-streams-adapter/dist/index.js', area: '@socket.io/redis-streams-adapter' });
    expect(self('write')).toMatchObject({ where: 'node:internal/streams/writable', area: 'node internals', line: 301 });
    expect(self('(garbage collector)')).toMatchObject({ area: '(garbage collector)', selfMs: 1 });
    expect(s.bySelf.map((f) => f.selfMs).reduce((a, b) => a + b, 0)).toBe(10);
    expect(s.bySelf.some((f) => f.name === '(root)')).toBe(false);
  });

  it('counts a recursive function once per sample in its total, and sorts by it', () => {
    expect(s.byTotal[0]).toMatchObject({ name: 'join', totalMs: 5, totalPct: 50 });
    expect(s.byTotal.find((f) => f.name === 'emit')).toMatchObject({ totalMs: 3, totalPct: 30 });
    expect(s.byTotal.some((f) => f.name === '(root)')).toBe(false);
  });

  it('rolls self time up by area, largest first, adding up to 100%', () => {
    expect(s.areas[0]!.selfMs).toBe(2);
    expect(Object.fromEntries(s.areas.map((a) => [a.area, a.selfMs]))).toEqual({
      'server/signaling': 2,
      'server/stores': 2,
      '(idle)': 1,
      'socket.io': 1,
      '(native)': 1,
      '@socket.io/redis-streams-adapter': 1,
      'node internals': 1,
      '(garbage collector)': 1,
    });
    expect(s.areas.reduce((a, b) => a + b.selfPct, 0)).toBeCloseTo(100);
    expect(areasLine(s.areas, 15)).toBe('server/signaling 20.0%, server/stores 20.0%, others 60.0%');
  });

  it('charges native and node-internal time to the nearest caller outside them, else leaves it where it is', () => {
    const byCaller = Object.fromEntries(s.areasByCaller.map((a) => [a.area, a.selfMs]));
    expect(byCaller).toEqual({
      'server/signaling': 2,
      'server/stores': 2,
      'socket.io': 2,
      '(idle)': 1,
      '@socket.io/redis-streams-adapter': 1,
      'node internals': 1,
      '(garbage collector)': 1,
    });
    expect(s.areasByCaller.reduce((a, b) => a + b.selfMs, 0)).toBe(10);
  });

  it('keeps only the samples in the window, the last one cut at its end', () => {
    const w = summarizeCpuProfile(PROFILE, { root: ROOT, window: { fromUs: 3000, toUs: 5500 } });
    // Samples at 3,000 (join, in emit), 4,000 (anonymous under join) and 5,000 (GC, half of it).
    expect(w.samples).toBe(3);
    expect(w.sampledMs).toBe(2.5);
    expect(w.bySelf.find((f) => f.name === '(garbage collector)')).toMatchObject({ selfMs: 0.5, selfPct: 20 });
    expect(w.byTotal[0]).toMatchObject({ name: 'join', totalMs: 2, totalPct: 80 });
  });

  it('keeps the top N of each list', () => {
    const t = summarizeCpuProfile(PROFILE, { root: ROOT, top: 2 });
    expect(t.bySelf).toHaveLength(2);
    expect(t.byTotal.map((f) => f.name)).toEqual(['join', 'emit']);
  });
});

describe('placeOf', () => {
  it('names the innermost package of nested node_modules, and files outside the repo as other', () => {
    const f = (url: string) => placeOf({ functionName: 'f', url, lineNumber: 0 }, ROOT);
    expect(f('file:///repo/node_modules/engine.io/node_modules/ws/lib/websocket.js')).toEqual({ where: 'ws/lib/websocket.js', area: 'ws' });
    expect(f('file:///elsewhere/x.js')).toEqual({ where: '/elsewhere/x.js', area: 'other' });
    expect(f('file:///repo/server/main.ts')).toEqual({ where: 'server/main.ts', area: 'server' });
    expect(placeOf({ functionName: 'JSONParse', url: '', lineNumber: -1 }, ROOT)).toEqual({ where: '', area: '(native)' });
  });
});
