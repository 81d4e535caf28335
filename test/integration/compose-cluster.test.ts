// docker-compose.cluster.yml as docker-compose itself resolves it (the same
// `docker-compose config` CI runs; the Docker engine is not needed): two app
// nodes of one image, each with its own id, media address and published media
// ports, and everything else the same (Redis, secrets, files volume, config);
// HAProxy the only service taking HTTP(S); and each node's environment a valid
// configuration for the server.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_VARS, loadConfig } from '../../config/load.ts';

const root = process.cwd();
const FILE = path.join(root, 'docker-compose.cluster.yml');
const VARS = { PUBLIC_URL: 'https://video.example.nhs.uk', ANNOUNCED_ADDRESS_A: '192.0.2.10', ANNOUNCED_ADDRESS_B: '192.0.2.11' };
const NODES = ['app-a', 'app-b'] as const;

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const composeAvailable = has('docker-compose') && has('python3');
if (!composeAvailable) console.warn('[compose-cluster] skipped: docker-compose (and its python3) not installed; apt-get install docker-compose');

interface Port { target: number; published: number; protocol?: string }
interface Service {
  image?: string;
  build?: { context: string };
  environment?: Record<string, string>;
  ports?: Port[];
  volumes?: string[];
  secrets?: { source: string }[];
  init?: boolean;
  stop_grace_period?: string;
  command?: string[];
}
interface Compose { services: Record<string, Service> }

function compose(vars: Record<string, string>, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...vars };
  return spawnSync('docker-compose', ['-f', FILE, ...args], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
}

/** The resolved file, through PyYAML (which docker-compose itself depends on). */
function resolved(): Compose {
  const r = compose(VARS, ['config']);
  if (r.status !== 0) throw new Error(`docker-compose config failed:\n${r.stderr}`);
  const json = spawnSync('python3', ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: r.stdout, encoding: 'utf8' });
  if (json.status !== 0) throw new Error(json.stderr);
  return JSON.parse(json.stdout) as Compose;
}

/** "90s", "1m30s" -> seconds. */
function seconds(d: string): number {
  let s = 0;
  for (const [, n, unit] of d.matchAll(/(\d+)(h|m|s)/g)) s += Number(n) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
  return s;
}

/** Ports a service publishes for one protocol, sorted. */
const published = (s: Service, protocol: string): number[] =>
  (s.ports ?? []).filter((p) => (p.protocol ?? 'tcp') === protocol).map((p) => p.published).sort((a, b) => a - b);

describe.runIf(composeAvailable)('docker-compose.cluster.yml', () => {
  let c: Compose;
  let dir: string;
  beforeAll(() => {
    c = resolved();
    dir = mkdtempSync(path.join(tmpdir(), 'compose-cluster-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const node = (id: string): Service => c.services[id]!;
  const env = (id: string): Record<string, string> => node(id).environment ?? {};

  it('has two app nodes of one image, one Redis, coturn and HAProxy', () => {
    expect(Object.keys(c.services).sort()).toEqual(['app-a', 'app-b', 'coturn', 'haproxy', 'redis']);
    expect(node('app-a').image).toBe(node('app-b').image);
    expect(node('app-a').build?.context).toBe(node('app-b').build?.context);
    expect(c.services.redis!.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(c.services.haproxy!.volumes).toContainEqual(`${path.join(root, 'deploy', 'haproxy.cfg')}:/usr/local/etc/haproxy/haproxy.cfg:ro`);
  });

  it('lets browsers in over HTTP(S) through HAProxy only; the nodes publish their media ports alone', () => {
    const httpPublishers = Object.entries(c.services)
      .filter(([, s]) => (s.ports ?? []).some((p) => [8080, 8443].includes(p.target)))
      .map(([name]) => name);
    expect(httpPublishers).toEqual(['haproxy']);
    expect(published(c.services.haproxy!, 'tcp')).toEqual([80, 443]);
    expect(c.services.redis!.ports ?? []).toEqual([]);
  });

  it('gives each node its own id, announced address and media ports, published as the node listens on them', () => {
    const seen = new Set<number>();
    for (const [i, id] of NODES.entries()) {
      const e = env(id);
      expect(e.NODE_ID).toBe(id);
      expect(e.MEDIASOUP_ANNOUNCED_ADDRESS).toBe(i === 0 ? VARS.ANNOUNCED_ADDRESS_A : VARS.ANNOUNCED_ADDRESS_B);
      const first = Number(e.MEDIASOUP_PORT);
      const range = Array.from({ length: Number(e.MEDIASOUP_NUM_WORKERS) }, (_, k) => first + k);
      expect(range.length).toBeGreaterThan(0);
      // One UDP and one TCP port per worker, published on the same number (the ICE candidates carry it).
      expect(published(node(id), 'udp')).toEqual(range);
      expect(published(node(id), 'tcp')).toEqual(range);
      for (const p of node(id).ports ?? []) expect(p.target).toBe(p.published);
      for (const p of range) {
        expect(seen.has(p)).toBe(false);
        seen.add(p);
      }
    }
  });

  it('shares Redis, the secrets, the files volume and the rest of the configuration between the nodes', () => {
    const own = new Set(['NODE_ID', 'MEDIASOUP_ANNOUNCED_ADDRESS', 'MEDIASOUP_PORT']);
    const common = (id: string): Record<string, string> => Object.fromEntries(Object.entries(env(id)).filter(([k]) => !own.has(k)));
    expect(common('app-a')).toEqual(common('app-b'));
    expect(env('app-a')).toMatchObject({ REDIS_URL: 'redis://redis:6379', PUBLIC_URL: VARS.PUBLIC_URL, TRUST_PROXY: 'true' });
    for (const key of ['API_KEYS_FILE', 'JWT_SIGNING_KEY_FILE', 'FILES_DIR']) expect(env('app-a')[key]).toBeTruthy();
    expect(node('app-a').secrets).toEqual(node('app-b').secrets);
    expect(node('app-a').secrets?.map((s) => s.source).sort()).toEqual(['api_keys', 'jwt_signing_key']);
    const filesVolume = (id: string): string | undefined => node(id).volumes?.find((v) => v.split(':')[1] === env(id).FILES_DIR);
    expect(filesVolume('app-a')).toBeDefined();
    expect(filesVolume('app-a')).toBe(filesVolume('app-b'));
    // A named volume (one for both), not a path of each container's own.
    expect(filesVolume('app-a')!.startsWith('/')).toBe(false);
  });

  it('stops each node with SIGTERM to node alone and a grace above its drain', () => {
    for (const id of NODES) {
      expect(node(id).init).toBe(true);
      expect(seconds(node(id).stop_grace_period ?? '10s')).toBeGreaterThan(Number(env(id).DRAIN_SECONDS));
    }
  });

  it("sets only variables the server knows, and each node's environment is a valid configuration", () => {
    const keys = writeSecret(dir, 'api_keys', `${'k'.repeat(40)}\n`);
    for (const id of NODES) {
      const e = env(id);
      expect(Object.keys(e).filter((k) => !(k in ENV_VARS))).toEqual([]);
      const config = loadConfig({ ...e, API_KEYS_FILE: keys });
      expect(config.cluster.nodeId).toBe(id);
      expect(config.mediasoup.announcedAddress).toBe(e.MEDIASOUP_ANNOUNCED_ADDRESS);
      expect(config.server.trustProxy).toBe(true);
    }
  });

  it("refuses to resolve without each node's announced address", () => {
    const { ANNOUNCED_ADDRESS_B: _b, ...withoutB } = VARS;
    const r = compose(withoutB, ['config', '-q']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('set ANNOUNCED_ADDRESS_B');
  });
});

function writeSecret(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}
