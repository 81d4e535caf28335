// Sending a patient their link by SMS or email, through the trust's
// notification provider (integrations/notify speaks GOV.UK Notify's API).
// The number and the address are used for the one request and never stored,
// logged or audited; the appointment keeps only DeliveryRecords (the
// provider's id, the link id, the channel, the last known status). A provider
// that fails does not fail the request that made the link: the record says
// 'failed' and the link is still returned, to be given another way.
// An English appointment's messages use the provider's own templates, filled
// with the placeholders below; a Welsh one's are bilingual (Welsh first), the
// whole text written here from the server's catalogues (delivery-text.ts) and
// sent through a template that is only ((message)) (and ((subject))).
import { AppError } from '../core/errors.ts';
import { randomId } from '../core/ids.ts';
import type { Deliver } from '../wire/appointments.ts';
import { DEFAULT_LANGUAGE, type Language } from '../wire/language.ts';
import { emailText, messageLanguages, smsText, whenText, type MessageFacts } from './delivery-text.ts';
import type { EventRecorder } from './events.ts';
import type { Actor, Appointment, DeliveryRecord, Link } from './model.ts';
import type { Stores } from './stores.ts';

export type Channel = DeliveryRecord['channel'];
export type DeliveryStatus = DeliveryRecord['status'];
/** invite: "here is your link"; cancelled: "your appointment is cancelled". */
export type MessageKind = 'invite' | 'cancelled';

/** What a message template is filled with (GOV.UK Notify: its ((placeholders))). */
export interface LinkPersonalisation {
  /** The one-time link ('' in a cancellation: the link no longer works). */
  link: string;
  /** The clinic's name, or '' for an appointment of no clinic. */
  clinic: string;
  clinician: string;
  /** The appointment's time as plain text, e.g. "Tuesday 8 December at 2:30pm". */
  when: string;
  /** A bilingual message only: its whole text (SMS: with the link once; email: the body). */
  message?: string;
  /** A bilingual email only: its subject. */
  subject?: string;
}

export interface OutgoingMessage {
  kind: MessageKind;
  /** The appointment's language; absent: en-GB. cy: bilingual, through the bilingual template. */
  language?: Language;
  personalisation: LinkPersonalisation;
  /** Our reference for the message at the provider (the link id: no personal data). */
  reference: string;
}

/** Why a provider did not take (or answer about) a message. */
export type DeliveryFailure =
  | 'TIMEOUT' // no answer within the timeout
  | 'UNREACHABLE' // no connection (DNS, refused, TLS)
  | 'REFUSED' // 400: the provider would not send this (bad number, missing template field)
  | 'UNAUTHORISED' // 403: the API key was refused
  | 'RATE_LIMITED' // 429
  | 'NOT_FOUND' // 404: the provider has no such message (any more)
  | 'PROVIDER_ERROR' // 5xx
  | 'BAD_RESPONSE'; // an answer not in the expected form, or too large

/** A provider's failure, typed. Its message never holds a number, address, link or key. */
export class DeliveryError extends Error {
  readonly failure: DeliveryFailure;
  constructor(failure: DeliveryFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeliveryError';
    this.failure = failure;
  }
}

/** A notification provider, as the domain needs it. Implementations: integrations/notify/client.ts. */
export interface LinkSender {
  /** Whether a template is configured for this channel and kind of message (in this language; absent: en-GB). */
  supports(channel: Channel, kind: MessageKind, language?: Language): boolean;
  /** The provider's id for the accepted message; throws DeliveryError. */
  sendSms(phoneNumber: string, message: OutgoingMessage): Promise<{ id: string }>;
  sendEmail(emailAddress: string, message: OutgoingMessage): Promise<{ id: string }>;
  /** What the provider says about a message now; throws DeliveryError. */
  status(id: string): Promise<DeliveryStatus>;
}

export interface DeliveryLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Records kept per appointment (the newest): enough for a day of re-issues, bounded for the store. */
const KEPT_RECORDS = 50;
/** Messages asked about per refresh, so a GET stays one bounded round of requests. */
const REFRESH_AT_MOST = 5;

const CHANNELS: readonly Channel[] = ['sms', 'email'];

export class DeliveryService {
  readonly #sender: LinkSender | null;
  readonly #stores: Stores;
  readonly #events: EventRecorder;
  readonly #now: () => Date;
  readonly #log: DeliveryLog;

  /** `sender` null: no provider configured; a request that asks for delivery is refused NOT_CONFIGURED. */
  constructor(deps: { sender: LinkSender | null; stores: Stores; events: EventRecorder; now: () => Date; log: DeliveryLog }) {
    this.#sender = deps.sender;
    this.#stores = deps.stores;
    this.#events = deps.events;
    this.#now = deps.now;
    this.#log = deps.log;
  }

  get configured(): boolean {
    return this.#sender !== null;
  }

  /**
   * Call BEFORE making anything when a request asks for delivery: refuses
   * NOT_CONFIGURED when there is no provider, or no template for a channel
   * and kind asked for (for a Welsh appointment, the bilingual template), so
   * nothing is half done.
   */
  assertConfigured(to: Deliver | undefined, kind: MessageKind = 'invite', language: Language = DEFAULT_LANGUAGE): void {
    if (!to) return;
    const key = kind === 'cancelled' ? 'body.notify' : 'body.deliver';
    if (!this.#sender) {
      throw new AppError('NOT_CONFIGURED', 'Sending links by SMS or email is not configured on this server.', { details: [{ key, problem: 'not configured' }] });
    }
    for (const channel of channelsOf(to)) {
      if (!this.#sender.supports(channel, kind, language)) {
        const bilingual = language !== DEFAULT_LANGUAGE;
        throw new AppError('NOT_CONFIGURED', `No ${bilingual ? 'bilingual ' : ''}${channel === 'sms' ? 'text message' : 'email'} template is configured for this message.`, {
          details: [{ key: `${key}.${channel}`, problem: bilingual ? 'no bilingual template' : `no ${kind} template` }],
        });
      }
    }
  }

  /**
   * Sends the link (or, for 'cancelled', the cancellation) on each channel in
   * `to`, saves the records on the appointment and audits each as link.sent.
   * A provider failure is a 'failed' record, never a throw.
   */
  async send(a: Appointment, link: Link, url: string, to: Deliver, kind: MessageKind, actor: Actor): Promise<DeliveryRecord[]> {
    const language = a.language ?? DEFAULT_LANGUAGE;
    this.assertConfigured(to, kind, language);
    const sender = this.#sender!;
    const personalisation = await this.#personalisation(a, kind === 'invite' ? url : '');
    const records = await Promise.all(
      channelsOf(to).map(async (channel): Promise<DeliveryRecord> => {
        const at = this.#now().toISOString();
        const message = messageFor(channel, { kind, language, personalisation, reference: link.id }, a.startsAt);
        try {
          const { id } = channel === 'sms' ? await sender.sendSms(to.sms!, message) : await sender.sendEmail(to.email!, message);
          return { id, linkId: link.id, channel, status: 'sending', at };
        } catch (e) {
          // Ids and the failure's type only: the recipient and the link stay out of the log.
          this.#log.warn(
            { appointmentId: a.id, linkId: link.id, channel, failure: e instanceof DeliveryError ? e.failure : 'INTERNAL', detail: e instanceof DeliveryError ? e.message : undefined },
            'a link message was not accepted by the notification provider',
          );
          return { id: randomId(), linkId: link.id, channel, status: 'failed', at };
        }
      }),
    );
    const fresh = await this.#stores.appointments.get(a.id);
    await this.#stores.appointments.update(a.id, { deliveries: [...(fresh?.deliveries ?? a.deliveries ?? []), ...records].slice(-KEPT_RECORDS) });
    for (const r of records) {
      await this.#events.record(
        'link.sent',
        a.id,
        actor,
        r.status === 'failed' ? { subject: link.id, outcome: 'refused', reason: 'DELIVERY_UNAVAILABLE' } : { subject: link.id, reason: r.channel },
      );
    }
    return records;
  }

  /**
   * The appointment's delivery records, asking the provider about (at most
   * REFRESH_AT_MOST of) those still 'sending' and saving what changed. A
   * message the provider cannot be asked about now shows 'unknown' here and
   * stays 'sending' in the store, to be asked about next time; one the
   * provider no longer knows is 'unknown' for good.
   */
  async refresh(a: Appointment): Promise<DeliveryRecord[]> {
    const all = a.deliveries ?? [];
    const sender = this.#sender;
    const due = all.filter((d) => d.status === 'sending').slice(-REFRESH_AT_MOST);
    if (!sender || due.length === 0) return all;
    const saved = new Map<string, DeliveryStatus>();
    const shown = new Map<string, DeliveryStatus>();
    await Promise.all(
      due.map(async (d) => {
        try {
          const status = await sender.status(d.id);
          if (status !== d.status) saved.set(d.id, status);
        } catch (e) {
          const failure = e instanceof DeliveryError ? e.failure : 'INTERNAL';
          if (failure === 'NOT_FOUND') saved.set(d.id, 'unknown');
          else shown.set(d.id, 'unknown');
          if (failure !== 'NOT_FOUND') this.#log.warn({ appointmentId: a.id, linkId: d.linkId, failure }, 'the notification provider could not say how a link message went');
        }
      }),
    );
    if (saved.size > 0) {
      const fresh = await this.#stores.appointments.get(a.id);
      const current = fresh?.deliveries ?? all;
      await this.#stores.appointments.update(a.id, { deliveries: current.map((d) => (saved.has(d.id) ? { ...d, status: saved.get(d.id)! } : d)) });
    }
    return all.map((d) => {
      const status = saved.get(d.id) ?? shown.get(d.id);
      return status ? { ...d, status } : d;
    });
  }

  async #personalisation(a: Appointment, link: string): Promise<LinkPersonalisation> {
    const clinic = a.clinicId ? await this.#stores.clinics.get(a.clinicId) : null;
    return { link, clinic: clinic?.name ?? '', clinician: a.clinician.name, when: whenText(a.startsAt) };
  }
}

/**
 * The message on one channel: an English one as it is (the provider's
 * template says the words); a bilingual one with its text written here.
 */
function messageFor(channel: Channel, base: OutgoingMessage & { language: Language }, startsAt: string): OutgoingMessage {
  if (base.language === DEFAULT_LANGUAGE) return base;
  const p = base.personalisation;
  const facts: MessageFacts = { kind: base.kind, link: p.link, clinic: p.clinic, clinician: p.clinician, startsAt };
  const languages = messageLanguages(base.language);
  if (channel === 'sms') return { ...base, personalisation: { ...p, message: smsText(facts, languages) } };
  const { subject, body } = emailText(facts, languages);
  return { ...base, personalisation: { ...p, subject, message: body } };
}

function channelsOf(to: Deliver): Channel[] {
  return CHANNELS.filter((c) => to[c] !== undefined);
}
