// Shared bits for the security suite: a browser that can speak from any
// loopback address, hand-made JWTs, the "no state changed" snapshot, and the
// checks every refusal must pass (typed { code, message }, no stack, no file
// path, no patient data).
//
// Source addresses: the server limits requests per address (@fastify/rate-limit
// and the failure limiter). Tests that are about something else send each
// request from its own address in 127.0.0.0/8 (Linux routes the whole block to
// lo), so a limiter never masks the refusal under test; brute-force.test.ts
// tests the limiters themselves from fixed addresses. Every request still goes
// TO 127.0.0.1.
import { createSign, sign as cryptoSign, createHmac, type KeyObject } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { expect } from 'vitest';
import { absorbSetCookies, Client, createAppointment, Device, originFor, tokenOf, type CreatedAppointment } from '../support/api.ts';
import { TEST_API_KEY, type TestServer } from '../support/server.ts';
import { ERROR_CODES, type ErrorCode } from '../../server/core/errors.ts';
import { CLINICIAN_COOKIE, GUEST_COOKIE } from '../../server/edge/cookies.ts';
import type { ClientMessageName } from '../../server/wire/socket.ts';

/** Every code the server may send: the error table's. */
export const ErrorCodes: readonly ErrorCode[] = ERROR_CODES;

/** A patient name distinctive enough that any appearance of it is a leak. */
export const PATIENT = 'Zebedee Quintrell-Oyelaran';

// ---- source addresses ------------------------------------------------------

let nextHost = 0;
/** A loopback address no other request in this file has used (127.1.0.2 upwards). */
export function freshAddress(): string {
  const n = nextHost++;
  return `127.${1 + ((n >> 16) & 0x7f)}.${(n >> 8) & 0xff}.${2 + (n & 0xff) % 250}`;
}

// ---- HTTP ------------------------------------------------------------------

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json(): unknown;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Source address; a fresh one when omitted. */
  from?: string;
}

/** One HTTP request to the test server, from a chosen loopback address, on a new connection. */
export function http(base: string, path: string, o: HttpOptions = {}): Promise<HttpResult> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: o.method ?? 'GET',
        headers: { ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}), ...o.headers },
        localAddress: o.from ?? freshAddress(),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

/** The REST API as a booking system calls it (API key, JSON). */
export function apiCall(base: string, method: string, path: string, body?: unknown, o: { key?: string; from?: string } = {}): Promise<HttpResult> {
  const key = o.key ?? TEST_API_KEY;
  return http(base, path, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...(o.from ? { from: o.from } : {}),
  });
}

/** A fetch Response as an HttpResult (for the expect* helpers). */
export async function asResult(r: Response): Promise<HttpResult> {
  const text = await r.text();
  const headers: IncomingHttpHeaders = {};
  r.headers.forEach((v, k) => (headers[k] = v));
  return { status: r.status, headers, text, json: () => JSON.parse(text) as unknown };
}

/** POST /api/v1/session {token} from a fresh address, with no cookies. */
export function postSession(base: string, token: unknown, from?: string): Promise<HttpResult> {
  return http(base, '/api/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
    ...(from ? { from } : {}),
  });
}

/** The names of the session cookies a response sets (GUEST_COOKIE, CLINICIAN_COOKIE). */
export const sessionCookiesSet = (r: HttpResult): string[] =>
  ([] as string[]).concat(r.headers['set-cookie'] ?? []).map((c) => c.split('=')[0]!).filter((n) => n === GUEST_COOKIE || n === CLINICIAN_COOKIE);

/** A browser (cookie jar) whose requests come from its own loopback address. */
export class Browser extends Device {
  readonly from: string;
  constructor(base: string, userAgent?: string, from = freshAddress()) {
    super(base, userAgent);
    this.from = from;
  }

  override async fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const r = await http(this.base, path, {
      method,
      from: this.from,
      headers: {
        cookie: this.cookieHeader,
        'user-agent': this.userAgent,
        ...originFor(method, this.base),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(r.headers)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) headers.append(k, one);
    absorbSetCookies(this.cookies, headers.getSetCookie());
    return new Response(r.status === 204 || r.status === 304 ? null : r.text, { status: r.status, headers });
  }

  /** Opens the socket as Device.connect does, but from this browser's own address. */
  override connect(auth?: Record<string, unknown>, origin = this.base): Promise<Client> {
    const socket = openSocket(this.base, { cookie: this.cookieHeader, origin, userAgent: this.userAgent, from: this.from, ...(auth ? { auth } : {}) });
    return new Promise((resolve, reject) => {
      const client = new Client(socket);
      socket.once('connect', () => resolve(client));
      socket.once('connect_error', (e: Error & { data?: unknown }) => reject(Object.assign(e, { data: e.data })));
    });
  }

  /** POST /api/v1/session with a raw token string. */
  redeemToken(token: string): Promise<Response> {
    return this.fetch('POST', '/api/v1/session', { token });
  }
}

// ---- sockets ---------------------------------------------------------------

/**
 * A socket.io-client socket with exactly these headers (no Origin unless
 * given), from a chosen loopback address (websocket only: engine.io-client
 * passes localAddress to ws; long-polling always comes from 127.0.0.1).
 */
function openSocket(
  base: string,
  o: { cookie?: string; origin?: string; auth?: Record<string, unknown>; transports?: ('websocket' | 'polling')[]; from?: string; userAgent?: string },
): Socket {
  const opts: Partial<ManagerOptions & SocketOptions> & { localAddress?: string } = {
    transports: o.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
    localAddress: o.from ?? freshAddress(),
    extraHeaders: {
      ...(o.cookie !== undefined ? { cookie: o.cookie } : {}),
      ...(o.origin !== undefined ? { origin: o.origin } : {}),
      ...(o.userAgent !== undefined ? { 'user-agent': o.userAgent } : {}),
    },
    ...(o.auth ? { auth: o.auth } : {}),
  };
  return io(base, opts);
}

/** A socket on the self-test namespace (no login) from a fresh address; rejects with the refusal's code. */
export function selfTestSocket(s: TestServer): Promise<Socket> {
  const socket = io(`${s.url}/selftest`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
    extraHeaders: { origin: s.url },
    localAddress: freshAddress(),
  } as Parameters<typeof io>[1]);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (e: Error & { data?: { code?: string } }) => {
      socket.close();
      reject(Object.assign(e, { code: e.data?.code }));
    });
  });
}

export interface ConnectRefusal {
  message: string;
  code: string | undefined;
}

/** Connects with exactly these headers (no Origin unless given); resolves the Client or the refusal. */
export function rawConnect(
  base: string,
  o: { cookie?: string; origin?: string; auth?: Record<string, unknown>; transports?: ('websocket' | 'polling')[]; from?: string; userAgent?: string } = {},
): Promise<{ client: Client } | { refused: ConnectRefusal }> {
  const socket = openSocket(base, o);
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ client: new Client(socket) }));
    socket.once('connect_error', (e: Error & { data?: { code?: string } }) => {
      socket.close();
      resolve({ refused: { message: e.message, code: e.data?.code } });
    });
  });
}

/** Expects the socket connection to be refused with this code; returns the refusal. */
export async function expectConnectRefused(device: Device, auth: Record<string, unknown> | undefined, code: string): Promise<ConnectRefusal> {
  const r = await rawConnect(device.base, {
    cookie: device.cookieHeader,
    origin: device.base,
    userAgent: device.userAgent,
    ...(device instanceof Browser ? { from: device.from } : {}),
    ...(auth ? { auth } : {}),
  });
  if ('client' in r) {
    r.client.close();
    throw new Error(`connection was accepted; expected ${code}`);
  }
  expect(r.refused.code, r.refused.message).toBe(code);
  expectSafeText(JSON.stringify(r.refused));
  return r.refused;
}

/** Resolves when the socket is disconnected (or after ms, with false). */
export function disconnected(c: Client, ms = 5000): Promise<boolean> {
  if (!c.socket.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    c.socket.once('disconnect', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

// ---- what a refusal may contain --------------------------------------------

/** No stack trace and no server file path (for any answer, successful or not). */
export function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/"stack"|\n\s+at /);
  expect(text).not.toMatch(/\bat \//);
  expect(text).not.toMatch(/\bat (async )?[\w$.<>]+ \(/);
  expect(text).not.toMatch(/(\/(work|root|home|usr|tmp|opt|srv|var)\/|[\w-]+\.(ts|js|cjs|mjs):\d|node:internal|node_modules)/);
}

/** For refusals: no stack, no file path, no patient data, none of the given secrets. */
export function expectSafeText(text: string, secrets: readonly string[] = []): void {
  expect(text).not.toMatch(/stack/i);
  expectNoInternals(text);
  expect(text).not.toContain(PATIENT);
  expect(text).not.toContain('Quintrell');
  for (const s of secrets) if (s) expect(text).not.toContain(s);
}

export interface TypedError {
  code: string;
  message: string;
  details?: { key: string; problem: string }[];
}

/** A typed error body: { code, message[, details] } with a known code and nothing unsafe in it. */
export function expectTypedError(body: unknown, code?: string | readonly string[], secrets: readonly string[] = []): TypedError {
  expect(body).toBeTypeOf('object');
  expect(body).not.toBeNull();
  const b = body as Record<string, unknown>;
  expect(Object.keys(b).every((k) => ['code', 'message', 'details'].includes(k)), JSON.stringify(b)).toBe(true);
  expect(b.code).toBeTypeOf('string');
  expect(ErrorCodes).toContain(b.code);
  expect(b.message).toBeTypeOf('string');
  expect((b.message as string).length).toBeGreaterThan(0);
  if (code !== undefined) expect(typeof code === 'string' ? [code] : code, JSON.stringify(b)).toContain(b.code);
  expectSafeText(JSON.stringify(b), secrets);
  return b as unknown as TypedError;
}

/** An HTTP refusal: this status, JSON, a typed body. */
export function expectHttpError(r: HttpResult, status: number | readonly number[], code?: string | readonly string[], secrets: readonly string[] = []): TypedError {
  expect(typeof status === 'number' ? [status] : status, `${r.status} ${r.text}`).toContain(r.status);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  expectSafeText(r.text, secrets);
  return expectTypedError(r.json(), code, secrets);
}

/** A socket.io ack that refuses with one of these codes. */
export function expectAckError(ack: unknown, code: string | readonly string[], secrets: readonly string[] = []): TypedError {
  expect(ack).toMatchObject({ ok: false });
  return expectTypedError((ack as { error: unknown }).error, code, secrets);
}

/** What must never be in a log line: the patient's name, tokens, keys, cookies. */
export function expectLogsClean(s: TestServer, secrets: readonly string[]): void {
  const all = s.logs.join('\n');
  expect(all).not.toContain(PATIENT);
  expect(all).not.toContain('Quintrell');
  for (const x of secrets) if (x) expect(all.includes(x), `a secret (${x.slice(0, 6)}...) is in the logs`).toBe(false);
}

// ---- state -----------------------------------------------------------------

export interface Snapshot {
  detail: unknown;
  rooms: { id: string; peers: number; transports: number; producers: number; consumers: number }[];
}

/** Everything an attack must not change: the appointment as the API shows it, and every live Router. */
export async function snapshot(s: TestServer, ...appointmentIds: string[]): Promise<Snapshot[]> {
  return Promise.all(
    appointmentIds.map(async (id) => {
      const r = await apiCall(s.url, 'GET', `/api/v1/appointments/${id}`);
      expect(r.status).toBe(200);
      return {
        detail: r.json(),
        rooms: s.deps.rooms
          .all()
          .map((room) => ({ id: room.id, ...room.counts() }))
          .sort((a, b) => a.id.localeCompare(b.id)),
      };
    }),
  );
}

// ---- consultations ---------------------------------------------------------

export class Tracker {
  readonly clients: Client[] = [];
  track<T extends Client>(c: T): T {
    this.clients.push(c);
    return c;
  }
  closeAll(): void {
    for (const c of this.clients) c.close();
    this.clients.length = 0;
  }
}

export interface Consultation {
  apt: CreatedAppointment;
  gpDevice: Browser;
  gp: Client;
  patientDevice: Browser;
  patient: Client;
  patientId: string;
}

/** A live consultation: the clinician's console open, the patient waiting or (admit) admitted. */
export async function openConsultation(
  s: TestServer,
  t: Tracker,
  o: { clinicianId?: string; patientName?: string; admit?: boolean } = {},
): Promise<Consultation> {
  const apt = await createAppointment(s.url, { clinicianId: o.clinicianId ?? 'gp-1', patientName: o.patientName ?? PATIENT });
  const gpDevice = new Browser(s.url, 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36');
  expect((await gpDevice.redeem(apt.clinicianUrl)).status).toBe(200);
  const gp = t.track(await gpDevice.connect({ appointmentId: apt.id }));
  const patientDevice = new Browser(s.url);
  expect((await patientDevice.redeem(apt.patientUrl)).status).toBe(200);
  const patient = t.track(await patientDevice.connect());
  const waiting = await patient.until((v) => v.self.state === 'waiting');
  if (o.admit) {
    expect(await gp.request('lobby:admit', { participantId: waiting.self.id })).toEqual({ ok: true, data: {} });
    await patient.until((v) => v.self.state === 'admitted');
  }
  return { apt, gpDevice, gp, patientDevice, patient, patientId: waiting.self.id };
}

/** A guest device that has redeemed this link and opened its socket (waiting). */
export async function joinAsGuest(s: TestServer, t: Tracker, url: string): Promise<{ device: Browser; client: Client; id: string }> {
  const device = new Browser(s.url);
  expect((await device.redeem(url)).status).toBe(200);
  const client = t.track(await device.connect());
  const v = await client.until((x) => x.self.state === 'waiting');
  return { device, client, id: v.self.id };
}

// ---- media -----------------------------------------------------------------

export const DTLS = { role: 'client' as const, fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] };
/** Opus, as a browser would send it: enough for mediasoup to accept a Producer. */
export const OPUS = {
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: { minptime: 10, useinbandfec: 1 } }],
  encodings: [{ ssrc: 11111111 }],
  rtcp: { cname: 'fuzz' },
};
export const RECV_CAPS = {
  codecs: [
    { kind: 'audio' as const, mimeType: 'audio/opus', preferredPayloadType: 100, clockRate: 48000, channels: 2 },
    { kind: 'video' as const, mimeType: 'video/VP8', preferredPayloadType: 101, clockRate: 90000 },
  ],
  headerExtensions: [],
};

export interface MediaIds {
  sendTransportId: string;
  recvTransportId: string;
  producerId: string;
  consumerId: string;
}
export const MADE_UP_IDS: MediaIds = { sendTransportId: 'transport-1', recvTransportId: 'transport-2', producerId: 'producer-1', consumerId: 'consumer-1' };

/** A schema-valid payload for every media message, aimed at these (real or made-up) ids. */
export function mediaPayloads(ids: MediaIds = MADE_UP_IDS): Record<Extract<ClientMessageName, `media:${string}`>, unknown> {
  return {
    'media:capabilities': {},
    'media:iceServers': {},
    'media:producers': {},
    'media:createTransport': { direction: 'send' },
    'media:connectTransport': { transportId: ids.sendTransportId, dtlsParameters: DTLS },
    'media:restartIce': { transportId: ids.sendTransportId },
    'media:resume': { transportIds: [ids.sendTransportId, ids.recvTransportId] },
    'media:produce': { transportId: ids.sendTransportId, kind: 'audio', source: 'microphone', rtpParameters: OPUS },
    'media:consume': { transportId: ids.recvTransportId, producerId: ids.producerId, rtpCapabilities: RECV_CAPS },
    'media:resumeConsumer': { consumerId: ids.consumerId },
    'media:setPreferredLayers': { consumerId: ids.consumerId, spatialLayer: 1 },
    'media:setProducerPaused': { producerId: ids.producerId, paused: true },
    'media:setConsumerPaused': { consumerId: ids.consumerId, paused: true },
    'media:closeProducer': { producerId: ids.producerId },
  };
}

/** A schema-valid payload for every message of the protocol. */
export function validPayloads(participantId = 'AAAAAAAAAAAAAAAAAAAAAA', ids: MediaIds = MADE_UP_IDS): Record<ClientMessageName, unknown> {
  return {
    ...mediaPayloads(ids),
    'lobby:admit': { participantId },
    'lobby:deny': { participantId },
    'lobby:sendBack': { participantId },
    'lobby:remove': { participantId },
    'consultation:lock': { locked: true },
    'consultation:end': {},
    'consultation:leave': {},
    'consultation:state': {},
    'self:check': { camera: true, microphone: true },
    'self:videoPaused': { sending: false, receiving: true },
    'thread:list': {},
    'thread:send': { text: 'hello' },
    'thread:requestPhoto': { participantId },
    'files:url': { fileId: participantId },
    'files:viewed': { fileId: participantId },
    'files:save': { fileId: participantId },
    'files:deliver': { fileId: participantId },
  };
}

/** An admitted participant sends audio for real: a send transport and an Opus Producer. */
export async function produceAudio(c: Client, ssrc = 11111111): Promise<{ transportId: string; producerId: string }> {
  const t = await c.request('media:createTransport', { direction: 'send' });
  if (!t.ok) throw new Error(`createTransport: ${JSON.stringify(t)}`);
  const p = await c.request('media:produce', {
    transportId: t.data.id,
    kind: 'audio',
    source: 'microphone',
    rtpParameters: { ...OPUS, encodings: [{ ssrc }] },
  });
  if (!p.ok) throw new Error(`produce: ${JSON.stringify(p)}`);
  return { transportId: t.data.id, producerId: p.data.id };
}

/** An admitted participant receives a producer: a recv transport and a Consumer. */
export async function consume(c: Client, producerId: string): Promise<{ transportId: string; consumerId: string }> {
  const t = await c.request('media:createTransport', { direction: 'recv' });
  if (!t.ok) throw new Error(`createTransport: ${JSON.stringify(t)}`);
  const r = await c.request('media:consume', { transportId: t.data.id, producerId, rtpCapabilities: RECV_CAPS });
  if (!r.ok) throw new Error(`consume: ${JSON.stringify(r)}`);
  return { transportId: t.data.id, consumerId: r.data.id };
}

// ---- JWTs by hand ----------------------------------------------------------

export const b64url = (x: string | Buffer): string => Buffer.from(x).toString('base64url');

export function decodePart(token: string, i: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[i]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export type Signer = (signingInput: string) => string;

export const es256 =
  (key: KeyObject): Signer =>
  (input) =>
    b64url(cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }));
export const hs256 =
  (secret: string | Buffer): Signer =>
  (input) =>
    b64url(createHmac('sha256', secret).update(input).digest());
export const rs256 =
  (key: KeyObject): Signer =>
  (input) =>
    b64url(createSign('RSA-SHA256').update(input).sign(key));
export const unsigned: Signer = () => '';

export function craftJwt(header: Record<string, unknown>, payload: Record<string, unknown>, signer: Signer): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${signer(input)}`;
}

/** The same token with its payload replaced (the original signature kept). */
export function tamper(token: string, change: (p: Record<string, unknown>) => Record<string, unknown>): string {
  const [h, , sig] = token.split('.');
  return `${h}.${b64url(JSON.stringify(change(decodePart(token, 1))))}.${sig}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export { tokenOf };
