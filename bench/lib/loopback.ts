// A browser for the benchmarks that speaks from a loopback address of its own
// (Linux routes all of 127.0.0.0/8 to lo): the server's per-address limits then
// see the attacker and each victim as different people, as they would be.
// A cookie jar that follows Set-Cookie, the page's Origin on every request.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { absorbSetCookies, tokenOf } from '../../support/api.ts';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Give up (and destroy the connection) after this many ms; resolves status 0. */
  timeoutMs?: number;
}

export class LoopbackBrowser {
  readonly cookies = new Map<string, string>();
  readonly base: string;
  readonly from: string;
  constructor(base: string, from: string) {
    this.base = base;
    this.from = from;
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  send(path: string, o: SendOptions = {}): Promise<Reply> {
    const url = new URL(this.base);
    const headers: Record<string, string> = {
      origin: url.origin,
      ...(this.cookies.size ? { cookie: this.cookieHeader } : {}),
      ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}),
      ...o.headers,
    };
    return new Promise((resolve) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path, method: o.method ?? 'GET', headers, localAddress: this.from, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          absorbSetCookies(this.cookies, res.headers['set-cookie'] ?? []);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', () => resolve({ status: 0, headers: {}, text: '' }));
      });
      req.on('error', () => resolve({ status: 0, headers: {}, text: '' }));
      if (o.timeoutMs) req.setTimeout(o.timeoutMs, () => req.destroy());
      if (o.body !== undefined) req.write(o.body);
      req.end();
    });
  }

  redeem(linkUrl: string): Promise<Reply> {
    return this.send('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: tokenOf(linkUrl) }) });
  }

  upload(appointmentId: string, bytes: Buffer, name = 'photo.jpg'): Promise<Reply> {
    return this.send(`/api/v1/consultations/${appointmentId}/files?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
  }

  /** A websocket-only socket.io connection from this address; resolves the socket, or null when refused. */
  connect(auth?: Record<string, unknown>, nsp = '/'): Promise<Socket | null> {
    const opts: Partial<ManagerOptions & SocketOptions> & { localAddress?: string } = {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 5000,
      localAddress: this.from,
      extraHeaders: { origin: new URL(this.base).origin, ...(this.cookies.size ? { cookie: this.cookieHeader } : {}) },
      ...(auth ? { auth } : {}),
    };
    const socket = io(new URL(nsp, this.base).toString(), opts);
    return new Promise((resolve) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', () => {
        socket.close();
        resolve(null);
      });
    });
  }
}

/** An ack'd request; resolves { ok, ms } (ok false on an error reply or a timeout). */
export async function ack(socket: Socket, name: string, payload: unknown, timeoutMs = 5000): Promise<{ ok: boolean; code?: string; ms: number }> {
  const t0 = performance.now();
  try {
    const r = (await socket.timeout(timeoutMs).emitWithAck(name, payload)) as { ok: boolean; error?: { code: string } };
    return { ok: r.ok, ...(r.error ? { code: r.error.code } : {}), ms: performance.now() - t0 };
  } catch {
    return { ok: false, code: 'TIMEOUT', ms: performance.now() - t0 };
  }
}
