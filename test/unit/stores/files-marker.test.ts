// The FILES_DIR marker: nodes on one directory read each other's tokens; on
// two directories, or with a token that is not the one announced, they do
// not; a node id from Redis never becomes a path outside the markers; the
// watcher says so once per node, and once again when it recovers.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/core/logger.ts';
import { markFilesDir, watchFilesShare } from '../../../server/stores/disk/files-marker.ts';

const root = mkdtempSync(path.join(tmpdir(), 'consultroom-files-marker-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dirOf = (name: string): string => path.join(root, name);

describe('the FILES_DIR marker', () => {
  it('is read by a node on the same directory, and not by one on another', async () => {
    const a = await markFilesDir(dirOf('shared'), 'node-a');
    const b = await markFilesDir(dirOf('shared'), 'node-b');
    const c = await markFilesDir(dirOf('elsewhere'), 'node-c');
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await a.shares('node-b', b.token)).toBe(true);
    expect(await b.shares('node-a', a.token)).toBe(true);
    expect(await a.shares('node-c', c.token)).toBe(false);
    expect(await c.shares('node-a', a.token)).toBe(false);
    // A token other than the one announced (a node restarted elsewhere under the same name) is not shared.
    expect(await a.shares('node-b', c.token)).toBe(false);
    // Only the marker's owner reads it, and nothing but the markers lands in the directory's top.
    expect(statSync(path.join(dirOf('shared'), '.nodes', 'node-a')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dirOf('shared'))).toEqual(['.nodes']);
  });

  it('is new at each start, and removed at a clean stop only by the node that wrote it', async () => {
    const first = await markFilesDir(dirOf('restart'), 'node-r');
    const again = await markFilesDir(dirOf('restart'), 'node-r');
    expect(again.token).not.toBe(first.token);
    expect(await again.shares('node-r', first.token)).toBe(false);
    expect(await again.shares('node-r', again.token)).toBe(true);
    // The older process stopping late does not take the newer one's marker.
    await first.remove();
    expect(await again.shares('node-r', again.token)).toBe(true);
    await again.remove();
    expect(readdirSync(path.join(dirOf('restart'), '.nodes'))).toEqual([]);
    await again.remove();
  });

  it('never reads outside its directory for a node id or token from Redis', async () => {
    const m = await markFilesDir(dirOf('strict'), 'node-s');
    writeFileSync(path.join(dirOf('strict'), 'planted'), m.token);
    for (const id of ['../planted', '..', '.', '/etc/passwd', 'a/../../planted', '', 'x'.repeat(64)]) expect(await m.shares(id, m.token), id).toBe(false);
    for (const token of ['', 'short', `${m.token}\n`, 'x'.repeat(4096)]) expect(await m.shares('node-s', token)).toBe(false);
    await expect(markFilesDir(dirOf('strict'), '../escape')).rejects.toThrow(RangeError);
  });
});

describe('the FILES_DIR watcher', () => {
  it('logs a node whose FILES_DIR is not this one once, then once when it is again, and leaves itself and nodes without a token alone', async () => {
    const lines: { level: number; msg: string; node?: string }[] = [];
    const logger = createLogger('info', new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as never), cb()) }));
    const here = await markFilesDir(dirOf('watch-a'), 'node-a');
    const apart = await markFilesDir(dirOf('watch-b'), 'node-b');
    let nodes = [{ id: 'node-a', filesToken: here.token }, { id: 'node-b', filesToken: apart.token }, { id: 'node-old' }];
    const stop = watchFilesShare({ marker: here, self: 'node-a', live: () => Promise.resolve(nodes), logger, everyMs: 20 });
    try {
      await expect.poll(() => lines.filter((l) => l.node === 'node-b').length).toBe(1);
      await new Promise((r) => setTimeout(r, 100));
      expect(lines.filter((l) => l.node === 'node-b')).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 50, node: 'node-b', msg: expect.stringContaining('FILES_DIR is not the directory that node uses') as string });

      // node-b moves onto this directory (restarted with the shared mount): said once.
      const moved = await markFilesDir(dirOf('watch-a'), 'node-b');
      nodes = [{ id: 'node-a', filesToken: here.token }, { id: 'node-b', filesToken: moved.token }, { id: 'node-old' }];
      await expect.poll(() => lines.filter((l) => l.node === 'node-b').length).toBe(2);
      await new Promise((r) => setTimeout(r, 100));
      expect(lines.filter((l) => l.node === 'node-b')).toHaveLength(2);
      expect(lines[1]).toMatchObject({ level: 30, msg: 'FILES_DIR is now shared with that node' });
      expect(lines.some((l) => l.node === 'node-a' || l.node === 'node-old')).toBe(false);
    } finally {
      stop();
    }
  });
});
