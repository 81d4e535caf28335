// A stand-in for GOV.UK Notify on loopback: a real HTTP server that checks
// each request as Notify does (a Bearer JWT, HS256 with the service's secret
// key, iss = the service id, iat within 30 seconds; the body's fields and
// templates), records what it was sent, answers Notify's shapes (201 {id,
// reference, content, uri, template}; errors {errors: [{error, message}],
// status_code}), and can be told to fail: 500, 429, 400, or too slow.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface NotifyRequest {
  method: string;
  path: string;
  /** The JWT's header and claims, as verified. */
  jwtHeader: Record<string, unknown>;
  claims: { iss: string; iat: number };
  body?: Record<string, unknown>;
  /** The id it answered with, when it accepted the message. */
  acceptedId?: string;
}

/** What the next requests get instead of a success (until set back to null). */
export type Failure = { status: 400 | 403 | 429 | 500; error?: string; message?: string } | { slowMs: number } | { oversizedBytes: number } | { redirect: string };

export class FakeNotify {
  readonly serviceId = randomUUID();
  readonly secretKey = randomUUID();
  readonly templates = { sms: randomUUID(), email: randomUUID(), cancelSms: randomUUID(), cancelEmail: randomUUID(), bilingualSms: randomUUID(), bilingualEmail: randomUUID() };
  readonly #server: Server;
  /** Requests that passed authentication, in order. */
  readonly requests: NotifyRequest[] = [];
  /** Requests refused before their body was looked at (bad or missing JWT), with why. */
  readonly refused: string[] = [];
  /** Notification id -> the status GET /v2/notifications/{id} reports (default 'sending'). */
  readonly statuses = new Map<string, string>();
  fail: Failure | null = null;
  baseUrl = '';

  constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res).catch((e: unknown) => send(res, 500, { errors: [{ error: 'Exception', message: String(e) }], status_code: 500 })));
  }

  /** {key name}-{service id}-{secret key}, as Notify gives it. */
  get apiKey(): string {
    return `consultroom_test-${this.serviceId}-${this.secretKey}`;
  }

  /** The NOTIFY_* variables for a server using this fake (the key given directly). */
  env(): Record<string, string> {
    return {
      NOTIFY_BASE_URL: this.baseUrl,
      NOTIFY_API_KEY: this.apiKey,
      NOTIFY_SMS_TEMPLATE_ID: this.templates.sms,
      NOTIFY_EMAIL_TEMPLATE_ID: this.templates.email,
      NOTIFY_CANCEL_SMS_TEMPLATE_ID: this.templates.cancelSms,
      NOTIFY_CANCEL_EMAIL_TEMPLATE_ID: this.templates.cancelEmail,
      NOTIFY_BILINGUAL_SMS_TEMPLATE_ID: this.templates.bilingualSms,
      NOTIFY_BILINGUAL_EMAIL_TEMPLATE_ID: this.templates.bilingualEmail,
    };
  }

  /** Sent notifications (POSTs that were accepted), in order. */
  get sent(): NotifyRequest[] {
    return this.requests.filter((r) => r.acceptedId !== undefined);
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const auth = this.#authenticate(req.headers.authorization);
    if (typeof auth === 'string') {
      this.refused.push(auth);
      return send(res, 403, { errors: [{ error: 'AuthError', message: auth }], status_code: 403 });
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const entry: NotifyRequest = { method: req.method ?? '', path, jwtHeader: auth.header, claims: auth.claims };
    this.requests.push(entry);
    const fail = this.fail;
    if (fail && 'slowMs' in fail) await new Promise((r) => setTimeout(r, fail.slowMs));
    if (fail && 'redirect' in fail) {
      res.writeHead(302, { location: fail.redirect });
      res.end();
      return;
    }
    if (fail && 'oversizedBytes' in fail) return send(res, 201, { id: randomUUID(), padding: 'x'.repeat(fail.oversizedBytes) });
    if (fail && 'status' in fail) {
      const error = fail.error ?? ({ 400: 'BadRequestError', 403: 'AuthError', 429: 'RateLimitError', 500: 'Exception' } as const)[fail.status];
      return send(res, fail.status, { errors: [{ error, message: fail.message ?? 'Internal server error' }], status_code: fail.status });
    }

    const get = /^\/v2\/notifications\/([0-9a-f-]{36})$/.exec(path);
    if (req.method === 'GET' && get) {
      const id = get[1]!;
      if (!this.statuses.has(id)) return send(res, 404, { errors: [{ error: 'NoResultFound', message: 'No result found' }], status_code: 404 });
      return send(res, 200, { id, status: this.statuses.get(id), type: 'sms' });
    }
    const post = /^\/v2\/notifications\/(sms|email)$/.exec(path);
    if (req.method !== 'POST' || !post) return send(res, 404, { errors: [{ error: 'NotFound', message: 'Not found' }], status_code: 404 });
    const channel = post[1] as 'sms' | 'email';
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return badRequest(res, 'Content-Type must be application/json');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return badRequest(res, 'Invalid JSON supplied in POST data');
    }
    entry.body = body;
    const problem = this.#validate(channel, body);
    if (problem) return badRequest(res, problem);
    const id = randomUUID();
    entry.acceptedId = id;
    this.statuses.set(id, 'sending');
    return send(res, 201, {
      id,
      reference: body.reference ?? null,
      content: channel === 'sms' ? { body: 'Your video appointment link', from_number: 'GOVUK' } : { body: 'Your video appointment link', subject: 'Your appointment', from_email: 'clinic@notifications.service.gov.uk' },
      uri: `${this.baseUrl}/v2/notifications/${id}`,
      template: { id: body.template_id, version: 1, uri: `${this.baseUrl}/v2/template/${String(body.template_id)}` },
    });
  }

  /** The JWT's header and claims, or why it is refused (Notify's own words, roughly). */
  #authenticate(header: string | undefined): { header: Record<string, unknown>; claims: { iss: string; iat: number } } | string {
    const m = /^Bearer (\S+)$/.exec(header ?? '');
    if (!m) return 'Unauthorized: authentication token must be provided';
    const token = m[1]!;
    let decoded: jwt.Jwt;
    try {
      decoded = jwt.verify(token, this.secretKey, { algorithms: ['HS256'], complete: true });
    } catch (e) {
      return `Invalid token: ${(e as Error).message}`;
    }
    const claims = decoded.payload as { iss?: unknown; iat?: unknown };
    if (decoded.header.typ !== 'JWT') return 'Invalid token: header typ must be JWT';
    if (claims.iss !== this.serviceId) return 'Invalid token: service not found';
    if (typeof claims.iat !== 'number') return 'Invalid token: iat missing';
    if (Math.abs(Date.now() / 1000 - claims.iat) > 30) return 'Error: Your system clock must be accurate to within 30 seconds';
    return { header: decoded.header as unknown as Record<string, unknown>, claims: { iss: claims.iss, iat: claims.iat } };
  }

  #validate(channel: 'sms' | 'email', body: Record<string, unknown>): string | null {
    const recipient = channel === 'sms' ? 'phone_number' : 'email_address';
    const allowed = new Set([recipient, 'template_id', 'personalisation', 'reference']);
    for (const k of Object.keys(body)) if (!allowed.has(k)) return `Additional properties are not allowed (${k} was unexpected)`;
    const to = body[recipient];
    if (typeof to !== 'string' || to.length === 0) return `${recipient} is a required property`;
    if (channel === 'sms' && !/^\+?[0-9 ()-]{7,20}$/.test(to)) return 'phone_number Not a valid phone number';
    if (channel === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(to)) return 'email_address Not a valid email address';
    if (typeof body.template_id !== 'string' || !UUID.test(body.template_id)) return 'template_id is not a valid UUID';
    const known: string[] =
      channel === 'sms' ? [this.templates.sms, this.templates.cancelSms, this.templates.bilingualSms] : [this.templates.email, this.templates.cancelEmail, this.templates.bilingualEmail];
    if (!known.includes(body.template_id)) return 'Template not found';
    const p = body.personalisation;
    if (p !== undefined && (typeof p !== 'object' || p === null || Array.isArray(p) || Object.values(p).some((v) => typeof v !== 'string'))) return 'personalisation must be an object of strings';
    // The bilingual templates are ((message)) (email: subject ((subject))): Notify refuses a message missing one.
    const needs = body.template_id === this.templates.bilingualSms ? ['message'] : body.template_id === this.templates.bilingualEmail ? ['subject', 'message'] : [];
    const missing = needs.filter((k) => typeof (p as Record<string, unknown> | undefined)?.[k] !== 'string');
    if (missing.length > 0) return `Missing personalisation: ${missing.join(', ')}`;
    if (body.reference !== undefined && (typeof body.reference !== 'string' || body.reference.length > 1000)) return 'reference must be a string of at most 1000 characters';
    return null;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function badRequest(res: ServerResponse, message: string): void {
  send(res, 400, { errors: [{ error: 'BadRequestError', message }], status_code: 400 });
}
