// The CLI's `nodes` and `drain` against a real server on a real Redis, beside
// a second node (a RedisNodeRegistry in this process, heartbeating into the
// same Redis): both are listed with their load; a drain asked of the server
// reaches the other node by name, on the audit trail; whether each node's
// FILES_DIR is the server's (its marker there) is shown, never its token; an unknown node is refused (exit 1) and a
// bad option stops the CLI before anything is sent (exit 2).
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../server/boot/redis.ts';
import { clusterKeysFor } from '../../server/cluster/cluster-keys.ts';
import { RedisNodeRegistry } from '../../server/cluster/node-registry.ts';
import { createLogger } from '../../server/core/logger.ts';
import type { NodeView } from '../../server/wire/nodes.ts';
import { startRedisServer, type RedisServerHandle } from '../../support/redis-server.ts';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'scripts', 'cli.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let redisServer: RedisServerHandle;
let s: TestServer;
let redis: Redis;
let other: RedisNodeRegistry;
/** node-cli-b's FILES_DIR marker token: it writes it into the server's FILES_DIR only in the test that shares it. */
const OTHER_FILES_TOKEN = 'bBbBbBbBbBbBbBbBbBbBbB';
const drains: number[] = [];

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', CONSULTROOM_URL: s.url, CONSULTROOM_API_KEY: TEST_API_KEY } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  redisServer = await startRedisServer({ appendOnly: false });
  s = await startTestServer({ REDIS_URL: redisServer.url, NODE_ID: 'node-cli-a', MEDIASOUP_ANNOUNCED_ADDRESS: '192.0.2.10' });
  const logger = createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));
  redis = await connectRedis(redisServer.url, logger);
  other = new RedisNodeRegistry(redis, {
    nodeId: 'node-cli-b',
    mediaAddress: '192.0.2.20',
    filesToken: OTHER_FILES_TOKEN,
    heartbeatMs: 500,
    deadAfterMs: 3000,
    load: () => ({ routers: 30, consumers: 4, cpu: 0.25, sockets: 7 }),
    draining: () => false,
    keys: clusterKeysFor(),
    logger,
  });
  other.on('drainRequested', (deadline) => drains.push(deadline));
  await other.start();
}, 60_000);
afterAll(async () => {
  await other?.stop();
  redis?.disconnect();
  await s?.stop();
  await redisServer?.stop();
});

describe('npm run cli -- nodes / drain', { timeout: 120_000 }, () => {
  it('nodes lists every live node, emptiest first, with its media address and load', async () => {
    const r = await cli(['nodes']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('nodes (2)');
    expect(lines[1]).toMatch(/^node\s+media address\s+draining\s+files\s+up\s+load$/);
    // The answering node says nothing of its own FILES_DIR; node-cli-b's marker is not in it.
    expect(lines[2]).toMatch(/^node-cli-a\s+192\.0\.2\.10\s+no\s+-\s+\d+[smhd]/);
    expect(lines[3]).toMatch(/^node-cli-b\s+192\.0\.2\.20\s+no\s+NOT SHARED\s+\d+[smhd].*\s+30 routers, 4 consumers, 7 sockets, cpu 0\.25 \(score 309\)$/);

    const json = JSON.parse((await cli(['nodes', '--json'])).stdout) as NodeView[];
    expect(json.map((n) => [n.id, n.mediaAddress, n.draining, n.filesShared])).toEqual([
      ['node-cli-a', '192.0.2.10', false, undefined],
      ['node-cli-b', '192.0.2.20', false, false],
    ]);
    // The token itself is never shown.
    expect(JSON.stringify(json)).not.toContain(OTHER_FILES_TOKEN);
  });

  it('a node whose FILES_DIR is not the server\'s is logged by its id; once its marker is there, it is shown shared', async () => {
    const logged = (text: string) => s.logs.filter((l) => l.includes(text) && l.includes('node-cli-b')).length;
    await expect.poll(() => logged('FILES_DIR is not the directory that node uses'), { timeout: 15_000 }).toBe(1);
    mkdirSync(path.join(s.config.files.dir, '.nodes'), { recursive: true });
    writeFileSync(path.join(s.config.files.dir, '.nodes', 'node-cli-b'), OTHER_FILES_TOKEN);
    const json = JSON.parse((await cli(['nodes', '--json'])).stdout) as NodeView[];
    expect(json.find((n) => n.id === 'node-cli-b')?.filesShared).toBe(true);
    expect((await cli(['nodes'])).stdout).toMatch(/^node-cli-b\s+192\.0\.2\.20\s+no\s+shared\s+/m);
    await expect.poll(() => logged('FILES_DIR is now shared with that node'), { timeout: 15_000 }).toBe(1);
    expect(logged('FILES_DIR is not the directory that node uses')).toBe(1);
  });

  it('drain NODE --seconds N reaches that node (through whichever node the CLI talks to)', async () => {
    const before = Date.now();
    const r = await cli(['drain', 'node-cli-b', '--seconds', '90']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const m = /^draining node-cli-b: no new consultations there; its live ones move at (\S+)\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    const deadline = Date.parse(m![1]!);
    expect(deadline).toBeGreaterThanOrEqual(before + 90_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 90_000);
    await expect.poll(() => drains, { timeout: 10_000 }).toEqual([deadline]);
    // On the audit trail: who asked (the CLI's API key) and which node.
    const asked = (await s.deps.stores.events.list()).filter((e) => e.type === 'node.drain_requested');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ subject: 'node-cli-b', outcome: 'ok', actor: { role: 'api' } });
    // The server's own node was not asked.
    expect((await cli(['status', '--json'])).stdout).toMatch(/"draining": false/);
  });

  it('an unknown node is refused by the server; bad arguments never reach it', async () => {
    const unknown = await cli(['drain', 'node-zz']);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toMatch(/^NOT_FOUND: No live node has that id/);
    for (const [args, message] of [
      [['drain'], /drain needs exactly one NODE/],
      [['drain', 'bad/id'], /NODE must be a node's id/],
      [['drain', 'node-cli-b', '--seconds', '9000'], /--seconds must be a whole number of seconds, 0 to 7200/],
      [['drain', 'node-cli-b', '--seconds', 'soon'], /--seconds must be/],
    ] as const) {
      const r = await cli([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(drains).toHaveLength(1);
    // A drain that did not happen is not recorded as one.
    expect((await s.deps.stores.events.list()).filter((e) => e.type === 'node.drain_requested')).toHaveLength(1);
  });
});
