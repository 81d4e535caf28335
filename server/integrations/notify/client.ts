// GOV.UK Notify's REST API (v2), or a provider that speaks it: send a patient
// their link by SMS (POST /v2/notifications/sms) or email (POST
// /v2/notifications/email), and ask how a message went (GET
// /v2/notifications/{id}). One request per call with no retry inside (a
// retried SMS may be a second SMS: the caller decides), a timeout, a bounded
// answer, and no redirects followed. The number, the address, the link and
// the key never reach an error message (and so never a log). A Welsh
// appointment's messages go through the bilingual templates, whose whole
// text is the ((message)) (and ((subject))) the domain writes.
import { DeliveryError, type Channel, type DeliveryFailure, type DeliveryStatus, type LinkSender, type MessageKind, type OutgoingMessage } from '../../domain/delivery.ts';
import { DEFAULT_LANGUAGE, type Language } from '../../wire/language.ts';
import { bearerToken, parseApiKey, type NotifyCredentials } from './api-key.ts';
import { deliveryStatusOf } from './statuses.ts';

export interface NotifyTemplates {
  sms: string;
  email: string;
  cancelSms?: string | undefined;
  cancelEmail?: string | undefined;
  /** Templates of one placeholder, ((message)) (email: subject ((subject))), for bilingual (Welsh and English) messages of every kind. */
  bilingualSms?: string | undefined;
  bilingualEmail?: string | undefined;
}

export interface NotifyClientOptions {
  /** e.g. https://api.notifications.service.gov.uk (no trailing /v2). */
  baseUrl: string;
  /** {key name}-{service id}-{secret key} */
  apiKey: string;
  templates: NotifyTemplates;
  timeoutSeconds: number;
  /** The largest answer read, in bytes (Notify's are about 1 KB). */
  maxResponseBytes?: number;
  now?: () => number;
}

/** Notify's ids are UUIDs; a compatible provider's need only be URL-safe. */
const NOTIFICATION_ID = /^[A-Za-z0-9-]{1,100}$/;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

interface Answer {
  status: number;
  body: unknown;
}

export class NotifyClient implements LinkSender {
  readonly #base: string;
  readonly #creds: NotifyCredentials;
  readonly #templates: NotifyTemplates;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #now: () => number;

  constructor(opts: NotifyClientOptions) {
    this.#base = opts.baseUrl.replace(/\/+$/, '');
    this.#creds = parseApiKey(opts.apiKey);
    this.#templates = opts.templates;
    this.#timeoutMs = opts.timeoutSeconds * 1000;
    this.#maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#now = opts.now ?? Date.now;
  }

  supports(channel: Channel, kind: MessageKind, language: Language = DEFAULT_LANGUAGE): boolean {
    return this.#template(channel, kind, language) !== undefined;
  }

  sendSms(phoneNumber: string, message: OutgoingMessage): Promise<{ id: string }> {
    return this.#send('sms', { phone_number: phoneNumber.trim() }, message);
  }

  sendEmail(emailAddress: string, message: OutgoingMessage): Promise<{ id: string }> {
    return this.#send('email', { email_address: emailAddress.trim() }, message);
  }

  async status(id: string): Promise<DeliveryStatus> {
    if (!NOTIFICATION_ID.test(id)) throw new DeliveryError('NOT_FOUND', 'not a notification id this provider gave');
    const answer = await this.#request('GET', `/v2/notifications/${id}`, undefined);
    if (answer.status !== 200) throw failureOf(answer, []);
    const status = (answer.body as { status?: unknown } | undefined)?.status;
    if (typeof status !== 'string') throw new DeliveryError('BAD_RESPONSE', 'the notification had no status');
    return deliveryStatusOf(status);
  }

  #template(channel: Channel, kind: MessageKind, language: Language): string | undefined {
    if (language !== DEFAULT_LANGUAGE) return channel === 'sms' ? this.#templates.bilingualSms : this.#templates.bilingualEmail;
    if (kind === 'invite') return channel === 'sms' ? this.#templates.sms : this.#templates.email;
    return channel === 'sms' ? this.#templates.cancelSms : this.#templates.cancelEmail;
  }

  async #send(channel: Channel, recipient: Record<string, string>, message: OutgoingMessage): Promise<{ id: string }> {
    const templateId = this.#template(channel, message.kind, message.language ?? DEFAULT_LANGUAGE);
    if (!templateId) throw new DeliveryError('REFUSED', `no ${message.language === 'cy' ? 'bilingual' : message.kind} template is configured for ${channel}`);
    const body = JSON.stringify({ ...recipient, template_id: templateId, personalisation: { ...message.personalisation }, reference: message.reference });
    const answer = await this.#request('POST', `/v2/notifications/${channel}`, body);
    // What the provider says back may quote what it was sent: never let that through.
    if (answer.status !== 201) throw failureOf(answer, [...Object.values(recipient), message.personalisation.link]);
    const id = (answer.body as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || !NOTIFICATION_ID.test(id)) throw new DeliveryError('BAD_RESPONSE', 'the provider accepted the message but gave no usable id');
    return { id };
  }

  async #request(method: 'GET' | 'POST', path: string, body: string | undefined): Promise<Answer> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const res = await fetch(`${this.#base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${bearerToken(this.#creds, this.#now())}`,
          accept: 'application/json',
          'user-agent': 'consultroom',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body } : {}),
        redirect: 'error',
        signal,
      });
      const text = await readBounded(res, this.#maxBytes);
      return { status: res.status, body: parseJson(text) };
    } catch (e) {
      if (e instanceof DeliveryError) throw e;
      if (signal.aborted) throw new DeliveryError('TIMEOUT', `no answer within ${this.#timeoutMs / 1000} s`, { cause: e });
      throw new DeliveryError('UNREACHABLE', `could not reach the provider (${networkCode(e)})`, { cause: e });
    }
  }
}

/** The body as text, refusing (and cutting off) one larger than `max` bytes. */
async function readBounded(res: Response, max: number): Promise<string> {
  const tooLarge = () => new DeliveryError('BAD_RESPONSE', `the answer was larger than ${max} bytes`);
  if (Number(res.headers.get('content-length') ?? 0) > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return '';
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/** "ECONNREFUSED", "ENOTFOUND"...: the network's reason, which names no person. */
function networkCode(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code.slice(0, 40);
  return typeof cause?.message === 'string' ? cause.message.replace(/[^\w .:-]/g, '').slice(0, 80) : 'network error';
}

const FAILURE_BY_STATUS: Record<number, DeliveryFailure> = { 400: 'REFUSED', 401: 'UNAUTHORISED', 403: 'UNAUTHORISED', 404: 'NOT_FOUND', 429: 'RATE_LIMITED' };

/**
 * A typed error for an answer that is not a success, with Notify's own
 * explanation ({errors: [{error, message}]}: "BadRequestError: Missing
 * personalisation: when") for whoever reads the log, minus anything we sent.
 */
function failureOf(answer: Answer, hide: readonly string[]): DeliveryError {
  const failure = FAILURE_BY_STATUS[answer.status] ?? (answer.status >= 500 ? 'PROVIDER_ERROR' : 'BAD_RESPONSE');
  const errors = (answer.body as { errors?: unknown } | undefined)?.errors;
  let said = '';
  if (Array.isArray(errors)) {
    said = errors
      .slice(0, 5)
      .map((e: { error?: unknown; message?: unknown }) => [e?.error, e?.message].filter((s) => typeof s === 'string').join(': '))
      .filter(Boolean)
      .join('; ');
    for (const secret of hide) if (secret) said = said.split(secret).join('[redacted]');
    // And anything shaped like a number, an address or a link, however the provider rewrote it.
    said = said
      .replace(/https?:\/\/\S+/g, '[link]')
      .replace(/\S+@\S+/g, '[address]')
      .replace(/\+?\d[\d ()-]{5,}\d/g, '[number]')
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\u0000-\u001f\u007f]/g, ' ')
      .slice(0, 300);
  }
  return new DeliveryError(failure, `the provider answered ${answer.status}${said ? ` (${said})` : ''}`);
}
