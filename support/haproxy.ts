// Debian's HAProxy in front of a test's server processes, as a deployment
// has it: one websocket-aware frontend balancing every node (roundrobin,
// health-checked on /readyz, so a draining or dead node takes no new
// connection), and one frontend per node pinned to it, so a test can put a
// page on node A or B and still go through the proxy. The balanced frontend
// pins too when asked (header `x-rig-node` or cookie `rig-node` = the node's
// id) while that node is up, and falls back to the others when it is not:
// a page "on node A" whose node dies reconnects through the proxy elsewhere.
// HAProxy runs in the foreground (-db) as a child process of the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const HAPROXY = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';
export const PIN_HEADER = 'x-rig-node';
export const PIN_COOKIE = 'rig-node';
/** Set on every answer: the id of the node that served it. */
export const SERVED_BY_HEADER = 'x-rig-served-by';

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
/** Health checks often enough that a node's death or drain shows within about half a second. */
const CHECK = 'inter 250 fall 2 rise 1';

export function haproxyAvailable(): boolean {
  return existsSync(HAPROXY);
}

export interface ProxyBackend {
  id: string;
  /** host:port of the node's HTTP listener. */
  address: string;
}

export interface ProxyLayout {
  host: string;
  /** Port of the balanced frontend. */
  port: number;
  /** Port of each backend's pinned frontend, in the same order. */
  pinnedPorts: number[];
  backends: ProxyBackend[];
  /** A PEM with certificate and key: the frontends speak HTTPS (the nodes behind stay HTTP). */
  tlsPem?: string;
}

/** The configuration text for this layout. */
export function haproxyConfig(l: ProxyLayout): string {
  const bind = (port: number): string => `  bind ${l.host}:${port}${l.tlsPem ? ` ssl crt ${l.tlsPem}` : ''}`;
  const out = [
    'global',
    '  maxconn 4096',
    '  hard-stop-after 5s',
    'defaults',
    '  mode http',
    '  option forwardfor',
    '  option redispatch',
    '  retries 3',
    '  timeout connect 1s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout tunnel 1h',
    '  timeout http-request 10s',
    '  timeout queue 5s',
    'frontend balanced',
    bind(l.port),
    ...(l.tlsPem ? ['  http-request set-header X-Forwarded-Proto https'] : []),
  ];
  for (const b of l.backends) {
    out.push(`  acl pin_${b.id} req.hdr(${PIN_HEADER}) -m str ${b.id}`, `  acl pin_${b.id} req.cook(${PIN_COOKIE}) -m str ${b.id}`);
    out.push(`  use_backend only_${b.id} if pin_${b.id} { srv_is_up(nodes/${b.id}) }`);
  }
  out.push('  default_backend nodes');
  l.backends.forEach((b, i) => {
    out.push(`frontend pinned_${b.id}`, bind(l.pinnedPorts[i]!), ...(l.tlsPem ? ['  http-request set-header X-Forwarded-Proto https'] : []), `  default_backend only_${b.id}`);
  });
  // %s: the server (node id) that answered.
  const servedBy = `  http-response set-header ${SERVED_BY_HEADER} %s`;
  out.push('backend nodes', '  balance roundrobin', '  option httpchk GET /readyz', '  http-check expect status 200', servedBy);
  for (const b of l.backends) out.push(`  server ${b.id} ${b.address} check ${CHECK}`);
  // Pinned: no health check, so a draining node's existing and new connections still reach it.
  for (const b of l.backends) out.push(`backend only_${b.id}`, servedBy, `  server ${b.id} ${b.address}`);
  return `${out.join('\n')}\n`;
}

export interface Proxy {
  running(): boolean;
  /** Starts HAProxy (again) on the same ports; resolves when every frontend answers. */
  start(): Promise<void>;
  /** Hard stop: every connection through it drops at once. */
  stop(): Promise<void>;
  /** Its output so far (warnings, alerts). */
  output(): string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function waitForExit(c: ChildProcess, ms: number): Promise<boolean> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    c.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** HAProxy with this layout, its config written into `dir`; not started until start(). */
export function haproxy(layout: ProxyLayout, dir: string): Proxy {
  const cfg = path.join(dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(layout));
  const scheme = layout.tlsPem ? 'https' : 'http';
  const frontends = [layout.port, ...layout.pinnedPorts].map((p) => `${scheme}://${layout.host}:${p}`);
  let child: ChildProcess | undefined;
  let output = '';
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  const live = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;

  return {
    running: live,
    output: () => output,
    async start() {
      if (live()) throw new Error('haproxy is already running');
      const c = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      process.once('exit', killOnExit);
      const keep = (b: Buffer): void => {
        output = (output + b.toString('utf8')).slice(-8000);
      };
      c.stdout.on('data', keep);
      c.stderr.on('data', keep);
      const t0 = Date.now();
      for (const url of frontends) {
        for (;;) {
          if (!live()) throw new Error(`haproxy exited (${String(c.exitCode ?? c.signalCode)}):\n${output}`);
          // Any HTTP answer means the frontend listens (a backend may still be starting).
          if (await fetch(`${url}/healthz`).then(() => true, () => false)) break;
          if (Date.now() - t0 > READY_TIMEOUT_MS) {
            c.kill('SIGKILL');
            throw new Error(`haproxy did not listen on ${url} within ${READY_TIMEOUT_MS} ms:\n${output}`);
          }
          await sleep(50);
        }
      }
    },
    async stop() {
      process.off('exit', killOnExit);
      const c = child;
      if (!c || !live()) return;
      c.kill('SIGTERM');
      if (!(await waitForExit(c, STOP_TIMEOUT_MS))) {
        c.kill('SIGKILL');
        await waitForExit(c, STOP_TIMEOUT_MS);
      }
    },
  };
}
