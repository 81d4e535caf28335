// The reverse proxy files a deployment of several nodes uses (deploy/haproxy.cfg
// for docker-compose.cluster.yml and bare metal, deploy/nginx.conf for sites on
// nginx), checked by the real binaries and then run, in front of two stand-in
// nodes (test/support/proxy-stand-ins.ts), with only their addresses, ports,
// certificate and log paths changed: what browsers and nodes rely on. HTTP goes
// to HTTPS; requests spread over the nodes with the client's own address and
// https; websockets pass; a 20 MiB photo passes; a node that refuses
// connections (killed) is skipped; query strings (a sign-in callback's code)
// stay out of the proxy's log. HAProxy also keeps new connections off a node
// whose /readyz is 503 (draining) while its open websocket goes on, and still
// reaches the nodes when none is ready (Redis unreachable).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort } from '../support/ports.ts';
import { loopbackCertificate, openWebsocket, send, standInNode, type NodeAnswer, type StandInNode } from '../support/proxy-stand-ins.ts';

const root = process.cwd();
const HAPROXY = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';
const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
const haproxyAvailable = existsSync(HAPROXY);
const nginxAvailable = existsSync(NGINX);
if (!haproxyAvailable) console.warn(`[deploy-proxies] HAProxy tests skipped: no ${HAPROXY} (apt-get install haproxy)`);
if (!nginxAvailable) console.warn(`[deploy-proxies] nginx tests skipped: no ${NGINX} (apt-get install nginx-light)`);

const PHOTO_BYTES = 20 * 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Each `from` replaced by its `to`; a `from` no longer in the file fails the test (the file changed shape). */
function substitute(text: string, pairs: [string, string][]): string {
  for (const [from, to] of pairs) {
    if (!text.includes(from)) throw new Error(`expected ${JSON.stringify(from)} in the proxy file`);
    text = text.split(from).join(to);
  }
  return text;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The nodes that answered `n` requests, each on a new connection. */
async function nodesFor(url: string, ca: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await send(url, { ca });
    expect(r.status).toBe(200);
    out.push((JSON.parse(r.body) as NodeAnswer).node);
  }
  return out;
}

interface Running {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** A proxy in the foreground as the test's child; resolves once `probeUrl` answers anything. */
async function run(bin: string, args: string[], probeUrl: string): Promise<Running> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer): void => {
    out = (out + b.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  // Never outlives the test run, however it ends.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await until(`${path.basename(bin)} to listen`, async () => {
    if (gone()) throw new Error(`${bin} exited:\n${out}`);
    return send(probeUrl).then(() => true, () => false);
  });
  return {
    child,
    output: () => out,
    stop: async () => {
      process.off('exit', killOnExit);
      if (gone()) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (!gone()) child.kill('SIGKILL');
    },
  };
}

describe.runIf(haproxyAvailable)('deploy/haproxy.cfg', () => {
  const source = readFileSync(path.join(root, 'deploy', 'haproxy.cfg'), 'utf8');
  let dir: string;
  let cert: ReturnType<typeof loopbackCertificate>;
  let a: StandInNode;
  let b: StandInNode;
  let proxy: Running | undefined;
  let http: string;
  let https: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'deploy-haproxy-'));
    cert = loopbackCertificate(dir);
    [a, b] = await Promise.all([standInNode('app-a'), standInNode('app-b')]);
    const [httpPort, httpsPort] = [await freeTcpPort(), await freeTcpPort()];
    http = `http://127.0.0.1:${httpPort}`;
    https = `https://127.0.0.1:${httpsPort}`;
    const cfg = path.join(dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      substitute(source, [
        ['bind :8080', `bind 127.0.0.1:${httpPort}`],
        ['bind :8443 ssl crt /usr/local/etc/haproxy/tls.pem', `bind 127.0.0.1:${httpsPort} ssl crt ${cert.bundleFile}`],
        ['app-a:8080', `127.0.0.1:${a.port}`],
        ['app-b:8080', `127.0.0.1:${b.port}`],
      ]),
    );
    const check = spawnSync(HAPROXY, ['-c', '-f', cfg], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    proxy = await run(HAPROXY, ['-db', '-f', cfg], `${http}/`);
    // Both nodes seen ready by HAProxy (rise 2) before anything is measured.
    await until('two readiness probes of each node', () => a.probesSinceChange() >= 2 && b.probesSinceChange() >= 2);
  });

  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([a?.close(), b?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is valid as shipped: HAProxy checks it with only the certificate path changed', () => {
    const cfg = path.join(dir, 'as-shipped.cfg');
    writeFileSync(cfg, substitute(source, [['/usr/local/etc/haproxy/tls.pem', cert.bundleFile]]));
    const r = spawnSync(HAPROXY, ['-c', '-f', cfg], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('Configuration file is valid');
    // app-a and app-b resolve only inside compose; HAProxy starts without them (init-addr none) and looks
    // again through the resolvers of /etc/resolv.conf, which a test's network namespace cannot reach.
    const warnings = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('[WARNING]'));
    for (const w of warnings) expect(w).toMatch(/could not resolve address 'app-[ab]'|can't connect socket for nameserver/);
  });

  it('sends plain HTTP to HTTPS', async () => {
    const r = await send(`${http}/join?lang=cy`);
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe(`https://127.0.0.1:${new URL(http).port}/join?lang=cy`);
  });

  it("spreads requests over both nodes, each with the client's own address and https, whatever the client claims", async () => {
    const seen: NodeAnswer[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await send(`${https}/api/v1/x`, { ca: cert.pem, headers: { 'X-Forwarded-For': '203.0.113.66', 'X-Forwarded-Proto': 'http' } });
      expect(r.status).toBe(200);
      seen.push(JSON.parse(r.body) as NodeAnswer);
    }
    expect(new Set(seen.map((s) => s.node))).toEqual(new Set(['app-a', 'app-b']));
    for (const s of seen) expect({ xff: s.xff, xfp: s.xfp }).toEqual({ xff: '127.0.0.1', xfp: 'https' });
  });

  it('passes a 20 MiB photo upload to a node whole', async () => {
    const r = await send(`${https}/api/v1/consultations/a1/files`, { ca: cert.pem, method: 'POST', body: Buffer.alloc(PHOTO_BYTES, 7) });
    expect(r.status).toBe(200);
    expect((JSON.parse(r.body) as NodeAnswer).bytes).toBe(PHOTO_BYTES);
  });

  it('keeps the query string of a request out of its log', async () => {
    await send(`${https}/auth/callback?code=SECRET-CODE-4711&state=abc`, { ca: cert.pem });
    await until('the log line', () => proxy!.output().includes('/auth/callback'));
    expect(proxy!.output()).not.toContain('SECRET-CODE-4711');
  });

  it("gives a draining node (/readyz 503) no new connections, while its open websocket goes on", { timeout: 60_000 }, async () => {
    // Two websockets: leastconn puts one on each node.
    const sockets = [await openWebsocket(`${https}/socket.io/?EIO=4&transport=websocket`, cert.pem), await openWebsocket(`${https}/socket.io/?EIO=4&transport=websocket`, cert.pem)];
    try {
      expect(sockets.map((s) => s.node).sort()).toEqual(['app-a', 'app-b']);
      const onA = sockets.find((s) => s.node === 'app-a')!;
      a.ready = false;
      await until('HAProxy to see app-a draining (fall 2)', () => a.probesSinceChange() >= 3);
      expect(new Set(await nodesFor(`${https}/api/v1/x`, cert.pem, 6))).toEqual(new Set(['app-b']));
      const ws = await openWebsocket(`${https}/socket.io/?EIO=4&transport=websocket`, cert.pem);
      expect(ws.node).toBe('app-b');
      ws.close();
      expect(await onA.echo('still here')).toBe('still here');
    } finally {
      for (const s of sockets) s.close();
      a.ready = true;
      await until('app-a ready again (rise 2)', () => a.probesSinceChange() >= 3);
    }
  });

  it('still reaches the live nodes while none is ready (Redis unreachable), instead of answering 503 itself', { timeout: 60_000 }, async () => {
    a.ready = false;
    b.ready = false;
    try {
      await until('HAProxy to see both nodes not ready', () => a.probesSinceChange() >= 3 && b.probesSinceChange() >= 3);
      expect(new Set(await nodesFor(`${https}/api/v1/x`, cert.pem, 6))).toEqual(new Set(['app-a', 'app-b']));
    } finally {
      a.ready = true;
      b.ready = true;
      await until('both ready again', () => a.probesSinceChange() >= 3 && b.probesSinceChange() >= 3);
    }
  });

  it('sends everything to the other node at once when one is killed (connection refused)', async () => {
    await b.close();
    expect(new Set(await nodesFor(`${https}/api/v1/x`, cert.pem, 6))).toEqual(new Set(['app-a']));
    const ws = await openWebsocket(`${https}/socket.io/?EIO=4&transport=websocket`, cert.pem);
    expect(ws.node).toBe('app-a');
    ws.close();
  });
});

describe.runIf(nginxAvailable)('deploy/nginx.conf', () => {
  const source = readFileSync(path.join(root, 'deploy', 'nginx.conf'), 'utf8');
  let dir: string;
  let cert: ReturnType<typeof loopbackCertificate>;
  let a: StandInNode;
  let b: StandInNode;
  let proxy: Running | undefined;
  let http: string;
  let https: string;
  let conf: string;

  /** The file with the certificate, pid and log paths in this test's directory. */
  const paths = (): [string, string][] => [
    ['/etc/ssl/consultroom/fullchain.pem', cert.certFile],
    ['/etc/ssl/consultroom/privkey.pem', cert.keyFile],
    ['/run/nginx.pid', path.join(dir, 'nginx.pid')],
    ['/var/log/nginx/', `${dir}/`],
  ];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'deploy-nginx-'));
    // Its workers run as www-data: they must reach the log files here.
    chmodSync(dir, 0o755);
    cert = loopbackCertificate(dir);
    [a, b] = await Promise.all([standInNode('app-a'), standInNode('app-b')]);
    const [httpPort, httpsPort] = [await freeTcpPort(), await freeTcpPort()];
    http = `http://127.0.0.1:${httpPort}`;
    https = `https://127.0.0.1:${httpsPort}`;
    conf = path.join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      substitute(source, [
        ...paths(),
        ['listen 80;', `listen 127.0.0.1:${httpPort};`],
        ['listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`],
        ['10.0.0.11:8080', `127.0.0.1:${a.port}`],
        ['10.0.0.12:8080', `127.0.0.1:${b.port}`],
      ]),
    );
    proxy = await run(NGINX, ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'], `${http}/`);
  });

  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([a?.close(), b?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is valid as shipped: nginx -t passes with only the certificate, pid and log paths changed', () => {
    const shipped = path.join(dir, 'as-shipped.conf');
    writeFileSync(shipped, substitute(source, paths()));
    const r = spawnSync(NGINX, ['-t', '-p', dir, '-c', shipped, '-e', path.join(dir, 'error.log')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('test is successful');
  });

  it('sends plain HTTP to HTTPS', async () => {
    const r = await send(`${http}/join?lang=cy`);
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('https://127.0.0.1/join?lang=cy');
  });

  it("spreads requests over both nodes, each with the client's own address and https, whatever the client claims", async () => {
    const seen: NodeAnswer[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await send(`${https}/api/v1/x`, { ca: cert.pem, headers: { 'X-Forwarded-For': '203.0.113.66', 'X-Forwarded-Proto': 'http' } });
      expect(r.status).toBe(200);
      seen.push(JSON.parse(r.body) as NodeAnswer);
    }
    expect(new Set(seen.map((s) => s.node))).toEqual(new Set(['app-a', 'app-b']));
    for (const s of seen) expect({ xff: s.xff, xfp: s.xfp }).toEqual({ xff: '127.0.0.1', xfp: 'https' });
  });

  it('passes websockets, and a 20 MiB photo upload whole', async () => {
    const ws = await openWebsocket(`${https}/socket.io/?EIO=4&transport=websocket`, cert.pem);
    expect(['app-a', 'app-b']).toContain(ws.node);
    expect(await ws.echo('hello through nginx')).toBe('hello through nginx');
    ws.close();
    const r = await send(`${https}/api/v1/consultations/a1/files`, { ca: cert.pem, method: 'POST', body: Buffer.alloc(PHOTO_BYTES, 7) });
    expect(r.status).toBe(200);
    expect((JSON.parse(r.body) as NodeAnswer).bytes).toBe(PHOTO_BYTES);
  });

  it('keeps the query string of a request out of its access log', async () => {
    await send(`${https}/auth/callback?code=SECRET-CODE-4711&state=abc`, { ca: cert.pem });
    const log = path.join(dir, 'access.log');
    await until('the log line', () => existsSync(log) && readFileSync(log, 'utf8').includes('/auth/callback'));
    expect(readFileSync(log, 'utf8')).not.toContain('SECRET-CODE-4711');
  });

  it('sends everything to the other node when one is killed (connection refused)', async () => {
    await b.close();
    expect(new Set(await nodesFor(`${https}/api/v1/x`, cert.pem, 6))).toEqual(new Set(['app-a']));
  });
});
