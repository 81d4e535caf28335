// What a reverse proxy in front of the nodes sees of them, for testing the
// deployment's proxy files (deploy/haproxy.cfg, deploy/nginx.conf) without the
// whole server: a stand-in node answers /healthz and /readyz as the server
// does (readiness switched by the test, 503 as while draining), says which node
// took each request and what forwarding headers it got, counts an upload's
// bytes, and accepts a websocket upgrade and echoes what comes after. And a
// client that speaks HTTPS to the proxy with the test's own certificate.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** What a stand-in node answers to anything but the health endpoints. */
export interface NodeAnswer {
  node: string;
  path: string;
  xff: string | undefined;
  xfp: string | undefined;
  bytes: number;
}

export interface StandInNode {
  readonly id: string;
  readonly port: number;
  /** /readyz answers 200 when true, 503 (as a draining node) when false. */
  ready: boolean;
  /** /readyz probes answered since `ready` last changed. */
  probesSinceChange(): number;
  /** Stops listening and drops every connection (a killed node). */
  close(): Promise<void>;
}

export async function standInNode(id: string): Promise<StandInNode> {
  let ready = true;
  let probes = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (url === '/readyz') {
      probes++;
      return void res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ready ? 'ready' : 'draining' }));
    }
    let bytes = 0;
    req.on('data', (b: Buffer) => (bytes += b.length));
    req.on('end', () => {
      const answer: NodeAnswer = { node: id, path: url, xff: header(req.headers, 'x-forwarded-for'), xfp: header(req.headers, 'x-forwarded-proto'), bytes };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  // A websocket handshake (RFC 6455 accept key), then every byte echoed back.
  server.on('upgrade', (req, socket: Socket) => {
    const key = header(req.headers, 'sec-websocket-key') ?? '';
    const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Node: ${id}\r\n\r\n`,
    );
    socket.on('data', (b: Buffer) => socket.write(b));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    id,
    port,
    get ready() {
      return ready;
    },
    set ready(v: boolean) {
      ready = v;
      probes = 0;
    },
    probesSinceChange: () => probes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** A self-signed certificate for 127.0.0.1: files for the proxy, the PEM for the client. */
export function loopbackCertificate(dir: string): { certFile: string; keyFile: string; bundleFile: string; pem: string } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  const pem = readFileSync(certFile, 'utf8');
  const bundleFile = path.join(dir, 'bundle.pem');
  writeFileSync(bundleFile, pem + readFileSync(keyFile, 'utf8'), { mode: 0o600 });
  return { certFile, keyFile, bundleFile, pem };
}

export interface ProxyAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a new connection (so a balancer chooses a node each time); `ca` makes it HTTPS. */
export function send(
  url: string,
  opts: { ca?: string; method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<ProxyAnswer> {
  const u = new URL(url);
  const make = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: opts.method ?? 'GET', headers: opts.headers, agent: false, ca: opts.ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface OpenWebsocket {
  /** The node that accepted the upgrade. */
  node: string;
  /** Sends bytes and resolves with the same number of bytes echoed back. */
  echo(text: string): Promise<string>;
  close(): void;
}

/** A websocket upgrade through the proxy (HTTPS); rejects unless it gets 101. */
export function openWebsocket(url: string, ca: string): Promise<OpenWebsocket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      agent: false,
      ca,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': createHash('sha1').update(String(Math.random())).digest('base64').slice(0, 22) + '==',
      },
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no upgrade from ${url}`)));
    req.on('response', (res) => reject(new Error(`upgrade refused: ${res.statusCode ?? 0}`)));
    req.on('error', reject);
    req.on('upgrade', (res, socket: Socket) => {
      resolve({
        node: header(res.headers, 'x-node') ?? '',
        echo: (text) =>
          new Promise((done, fail) => {
            let got = '';
            const onData = (b: Buffer): void => {
              got += b.toString('utf8');
              if (got.length >= text.length) {
                socket.off('data', onData);
                done(got);
              }
            };
            socket.on('data', onData);
            socket.once('close', () => fail(new Error('the websocket closed')));
            socket.write(text);
          }),
        close: () => socket.destroy(),
      });
    });
    req.end();
  });
}
