// How a namespace answers its sockets' messages. Each message is checked
// against its runtime schema: bad input is answered with a typed BAD_REQUEST
// naming the keys at fault and changes nothing; handler errors are answered
// with their code; anything unexpected is logged and answered as INTERNAL, so
// no client can crash the process or see a stack trace. A missing ack (a
// malformed client) is tolerated.
//
// A namespace builds its handlers ONCE, as a table of functions taking the
// socket (whose `data` holds who it is) and the payload (MessageGate); each
// socket then costs one middleware holding its message budget, not a closure
// per message. onMessage/limitMessages are the same per socket, for sockets
// few and short-lived (the self-test).
import type { Socket } from 'socket.io';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { AppError, isAppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { keyProblems } from '../../config/schema-errors.ts';
import type { Ack } from '../wire/errors.ts';
import { ClientMessages, type ClientMessage, type ClientMessageName, type ClientReplies } from '../wire/socket.ts';

const validators = Object.fromEntries(Object.entries(ClientMessages).map(([k, s]) => [k, Compile(s)])) as {
  [K in ClientMessageName]: ReturnType<typeof Compile<(typeof ClientMessages)[K]>>;
};

export type Handler<K extends ClientMessageName> = (payload: ClientMessage<K>) => Promise<ClientReplies[K]> | ClientReplies[K];

export function toWireError(e: unknown, log: Logger, event: string, context?: Record<string, unknown>): Ack<never> {
  if (isAppError(e)) return { ok: false, error: e.toJSON() };
  log.error({ err: e, event, ...context }, 'socket handler failed');
  return { ok: false, error: new AppError('INTERNAL').toJSON() };
}

/** One message of a namespace's protocol: `schema` and `valid` (its compiled check) decide what reaches `run`. */
export interface MessageEntry<S> {
  schema: TSchema;
  valid(v: unknown): boolean;
  run(socket: S, payload: never): unknown;
}

/** A namespace's messages by name, made once. */
export type MessageTable<S> = ReadonlyMap<string, MessageEntry<S>>;

/** Handlers of the consultation's messages, each given the socket it came on. */
export type ClientHandlers<S> = { [K in ClientMessageName]?: (socket: S, payload: ClientMessage<K>) => Promise<ClientReplies[K]> | ClientReplies[K] };

/** A table from per-message schemas, their compiled checks and handlers. */
export function messageTable<S>(
  schemas: Readonly<Record<string, TSchema>>,
  checks: Readonly<Record<string, { Check(v: unknown): boolean }>>,
  handlers: Readonly<Record<string, ((socket: S, payload: never) => unknown) | undefined>>,
): MessageTable<S> {
  const table = new Map<string, MessageEntry<S>>();
  for (const [name, run] of Object.entries(handlers)) {
    const schema = schemas[name];
    const check = checks[name];
    if (!run || !schema || !check) throw new Error(`no schema for the socket message ${name}`);
    table.set(name, { schema, valid: (v) => check.Check(v), run });
  }
  return table;
}

export function clientMessageTable<S>(handlers: ClientHandlers<S>): MessageTable<S> {
  return messageTable<S>(ClientMessages, validators, handlers);
}

/** The typed refusal of a message not in its schema's form, naming at most ten problems. */
function notInForm(name: string, schema: TSchema, payload: unknown): Ack<never> {
  const details = keyProblems(schema, payload).slice(0, 10);
  return { ok: false, error: new AppError('BAD_REQUEST', `The ${name} message is not in the expected form.`, { details }).toJSON() };
}

/**
 * A client message's payload checked again where it is run, not where it
 * arrived (a media request relayed from another node over Redis): null when
 * it is in the form of its message, the same BAD_REQUEST as the socket's otherwise.
 */
export function refusalOf(name: ClientMessageName, payload: unknown): Ack<never> | null {
  return validators[name].Check(payload) ? null : notInForm(name, ClientMessages[name], payload);
}

/** Answers one message (its arguments after the name) through its ack. */
async function answer<S>(entry: MessageEntry<S>, socket: S, name: string, args: unknown[], log: Logger, describe?: (socket: S) => Record<string, unknown>): Promise<void> {
  const last = args.at(-1);
  const ack = typeof last === 'function' ? (last as (r: Ack<unknown>) => void) : () => undefined;
  const payload = args[0];
  if (args.length > 2 || !entry.valid(payload)) {
    ack(notInForm(name, entry.schema, payload));
    return;
  }
  try {
    ack({ ok: true, data: await entry.run(socket, payload as never) });
  } catch (e) {
    ack(toWireError(e, log, name, describe?.(socket)));
  }
}

/** A socket's message budget: `perSecond` on average, `burst` at once. */
export interface MessageRate {
  perSecond: number;
  burst: number;
}

export interface MessageGateOptions<S> {
  table: MessageTable<S>;
  rate: MessageRate;
  logger: Logger;
  /** Ids to log with an unexpected handler failure. */
  describe?: (socket: S) => Record<string, unknown>;
  now?: () => number;
}

/**
 * A namespace's messages behind one token bucket per socket. Over the budget
 * a message is answered RATE_LIMITED and not run; refusals count against the
 * budget too, so a socket that goes on sending `burst` more without waiting
 * is disconnected. Names not in the table pass on to socket.io's listeners.
 */
export class MessageGate<S extends Socket> {
  readonly #table: MessageTable<S>;
  readonly #rate: MessageRate;
  readonly #log: Logger;
  readonly #describe: ((socket: S) => Record<string, unknown>) | undefined;
  readonly #now: () => number;

  constructor(o: MessageGateOptions<S>) {
    this.#table = o.table;
    this.#rate = o.rate;
    this.#log = o.logger;
    this.#describe = o.describe;
    this.#now = o.now ?? (() => performance.now());
  }

  /** Puts a socket behind the gate (socket.use sees each incoming message first). Call once per socket, before its other middleware. */
  admit(socket: S): void {
    const { perSecond, burst } = this.#rate;
    // The socket's whole per-message state: its bucket, in this one closure.
    let tokens = burst;
    let at = this.#now();
    let cutOff = false;
    socket.use((packet, next) => {
      const t = this.#now();
      tokens = Math.min(burst, tokens + ((t - at) / 1000) * perSecond);
      at = t;
      tokens -= 1;
      if (tokens >= 0) {
        this.#dispatch(socket, packet, next);
        return;
      }
      refuse(packet, tokens, perSecond);
      if (tokens <= -burst && !cutOff) {
        cutOff = true;
        this.#log.warn({ socketId: socket.id }, 'socket disconnected for flooding');
        socket.disconnect(true);
      }
    });
  }

  #dispatch(socket: S, packet: unknown[], next: (err?: Error) => void): void {
    const name = packet[0];
    const entry = typeof name === 'string' ? this.#table.get(name) : undefined;
    if (!entry) {
      next();
      return;
    }
    // As socket.io's own dispatch: nothing runs for a socket already gone.
    if (!socket.connected) return;
    void answer(entry, socket, name as string, packet.slice(1), this.#log, this.#describe);
  }
}

function refuse(packet: unknown[], tokens: number, perSecond: number): void {
  const ack: unknown = packet.at(-1);
  if (typeof ack !== 'function') return;
  const wait = Math.max(1, Math.ceil(-tokens / perSecond));
  (ack as (r: Ack<never>) => void)({ ok: false, error: new AppError('RATE_LIMITED', `Too many messages; wait ${wait} s and try again.`).toJSON() });
}

/** One message on one socket (a listener of its own): for sockets few and short-lived. */
export function onMessage<P, R>(socket: Socket, log: Logger, name: string, schema: TSchema, valid: (v: unknown) => v is P, handler: (payload: P) => Promise<R> | R): void {
  const entry: MessageEntry<Socket> = { schema, valid, run: (_s, payload: P) => handler(payload) };
  socket.on(name, (...args: unknown[]) => void answer(entry, socket, name, args, log));
}

export function handle<K extends ClientMessageName>(socket: Socket, log: Logger, name: K, handler: Handler<K>): void {
  const validator = validators[name];
  onMessage(socket, log, name, ClientMessages[name], (v): v is ClientMessage<K> => validator.Check(v), handler);
}

/** The message budget on one socket, ahead of every handler (MessageGate without a table). Call once per socket, before its handlers. */
export function limitMessages(socket: Socket, rate: MessageRate, log: Logger, now?: () => number): void {
  new MessageGate<Socket>({ table: new Map(), rate, logger: log, ...(now ? { now } : {}) }).admit(socket);
}
