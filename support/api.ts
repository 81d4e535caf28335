// Drives the product the way a booking system and a browser do, over real
// HTTP and real socket.io connections (socket.io-client in Node).
import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../server/wire/errors.ts';
import type { ConsultationView } from '../server/wire/participants.ts';
import type { ClientMessage, ClientMessageName, ClientReplies } from '../server/wire/socket.ts';
import { TEST_API_KEY } from './server.ts';

export interface CreatedAppointment {
  id: string;
  clinicianUrl: string;
  patientUrl: string;
  patientLinkId: string;
}

export const tokenOf = (url: string): string => new URL(url).hash.replace(/^#t=/, '').split('&')[0]!;

export async function api(base: string, method: string, path: string, body?: unknown, key = TEST_API_KEY): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

export async function createAppointment(base: string, over: Partial<{ clinicianId: string; patientName: string; startsAt: string }> = {}): Promise<CreatedAppointment> {
  const res = await api(base, 'POST', '/api/v1/appointments', {
    clinician: { id: over.clinicianId ?? 'gp-1', name: 'Dr Asha Patel' },
    patient: { name: over.patientName ?? 'Jane Doe' },
    startsAt: over.startsAt ?? new Date().toISOString(),
    durationMinutes: 15,
  });
  if (res.status !== 201) throw new Error(`create appointment: ${res.status} ${await res.text()}`);
  return (await res.json()) as CreatedAppointment;
}

/** The Origin header a browser sends with a request from the server's own page (on every unsafe method). */
export function originFor(method: string, base: string): { origin?: string } {
  return ['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase()) ? {} : { origin: new URL(base).origin };
}

/** Follows Set-Cookie headers into a jar, as a browser would: set, replace, or clear (Max-Age=0 / 1970). */
export function absorbSetCookies(jar: Map<string, string>, setCookies: readonly string[]): void {
  for (const c of setCookies) {
    const pair = c.split(';')[0]!;
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(name);
    else jar.set(name, pair.slice(eq + 1));
  }
}

/** A browser: a cookie jar that follows Set-Cookie, as Chromium would. */
export class Device {
  readonly cookies = new Map<string, string>();
  readonly base: string;
  readonly userAgent: string;
  constructor(base: string, userAgent = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1') {
    this.base = base;
    this.userAgent = userAgent;
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        cookie: this.cookieHeader,
        'user-agent': this.userAgent,
        ...originFor(method, this.base),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    absorbSetCookies(this.cookies, res.headers.getSetCookie());
    return res;
  }

  /** Sends raw bytes, as the page's file upload does. */
  async upload(path: string, bytes: Uint8Array, contentType = 'application/octet-stream'): Promise<Response> {
    return fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: { cookie: this.cookieHeader, 'user-agent': this.userAgent, origin: new URL(this.base).origin, 'content-type': contentType },
      body: new Uint8Array(bytes),
    });
  }

  redeem(url: string): Promise<Response> {
    return this.fetch('POST', '/api/v1/session', { token: tokenOf(url) });
  }

  connect(auth?: Record<string, unknown>, origin = this.base): Promise<Client> {
    const socket = io(this.base, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie: this.cookieHeader, origin, 'user-agent': this.userAgent },
      ...(auth ? { auth } : {}),
    });
    return new Promise((resolve, reject) => {
      const client = new Client(socket);
      socket.once('connect', () => resolve(client));
      socket.once('connect_error', (e: Error & { data?: unknown }) => reject(Object.assign(e, { data: e.data })));
    });
  }
}

export class Client {
  readonly socket: Socket;
  readonly views: ConsultationView[] = [];
  readonly events: { name: string; payload: unknown }[] = [];
  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('consultation:state', (v: ConsultationView) => this.views.push(v));
    socket.onAny((name: string, payload: unknown) => this.events.push({ name, payload }));
  }

  get view(): ConsultationView | undefined {
    return this.views.at(-1);
  }

  request<K extends ClientMessageName>(name: K, payload: ClientMessage<K>): Promise<Ack<ClientReplies[K]>> {
    return this.socket.timeout(5000).emitWithAck(name, payload) as Promise<Ack<ClientReplies[K]>>;
  }

  /** Sends anything at all (for malformed-input tests). */
  raw(name: string, ...args: unknown[]): Promise<unknown> {
    return this.socket.timeout(5000).emitWithAck(name, ...args);
  }

  async until(pred: (v: ConsultationView) => boolean, ms = 5000): Promise<ConsultationView> {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      const v = this.view;
      if (v && pred(v)) return v;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`view never matched; last: ${JSON.stringify(this.view)}`);
  }

  async event(name: string, ms = 5000): Promise<unknown> {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      const e = this.events.find((x) => x.name === name);
      if (e) return e.payload;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${name} event`);
  }

  close(): void {
    this.socket.close();
  }
}
