// Registers one socket.io message handler behind its runtime schema. Bad input
// is answered with a typed BAD_REQUEST naming the keys at fault and changes
// nothing; handler errors are answered with their code; anything unexpected is
// logged and answered as INTERNAL, so no client can crash the process or see a
// stack trace. A missing ack (a malformed client) is tolerated. limitMessages
// puts a rate limit per socket in front of all of a socket's handlers.
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

export function toWireError(e: unknown, log: Logger, event: string): Ack<never> {
  if (isAppError(e)) return { ok: false, error: e.toJSON() };
  log.error({ err: e, event }, 'socket handler failed');
  return { ok: false, error: new AppError('INTERNAL').toJSON() };
}

/**
 * One message of any namespace's protocol: `schema` and `valid` (its compiled
 * check) decide what reaches `handler`; the ack carries the reply or a typed error.
 */
export function onMessage<P, R>(socket: Socket, log: Logger, name: string, schema: TSchema, valid: (v: unknown) => v is P, handler: (payload: P) => Promise<R> | R): void {
  socket.on(name, async (...args: unknown[]) => {
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as (r: Ack<R>) => void) : () => undefined;
    const payload = args[0];
    if (args.length > 2 || !valid(payload)) {
      const details = keyProblems(schema, payload).slice(0, 10);
      ack({ ok: false, error: new AppError('BAD_REQUEST', `The ${name} message is not in the expected form.`, { details }).toJSON() });
      return;
    }
    try {
      ack({ ok: true, data: await handler(payload) });
    } catch (e) {
      ack(toWireError(e, log, name));
    }
  });
}

export function handle<K extends ClientMessageName>(socket: Socket, log: Logger, name: K, handler: Handler<K>): void {
  const validator = validators[name];
  onMessage(socket, log, name, ClientMessages[name], (v): v is ClientMessage<K> => validator.Check(v), handler);
}

/** A socket's message budget: `perSecond` on average, `burst` at once. */
export interface MessageRate {
  perSecond: number;
  burst: number;
}

/**
 * A token bucket per socket, ahead of every handler (socket.use sees each
 * incoming message first, whatever its name, media ones included). Over the
 * budget a message is answered RATE_LIMITED and not run; refusals count
 * against the budget too, so a socket that goes on sending `burst` more
 * without waiting is disconnected. Call once per socket, before its handlers.
 */
export function limitMessages(socket: Socket, rate: MessageRate, log: Logger, now: () => number = () => performance.now()): void {
  let tokens = rate.burst;
  let at = now();
  let cutOff = false;
  socket.use((packet, next) => {
    const t = now();
    tokens = Math.min(rate.burst, tokens + ((t - at) / 1000) * rate.perSecond);
    at = t;
    tokens -= 1;
    if (tokens >= 0) {
      next();
      return;
    }
    const ack: unknown = packet.at(-1);
    if (typeof ack === 'function') {
      const wait = Math.max(1, Math.ceil(-tokens / rate.perSecond));
      (ack as (r: Ack<never>) => void)({ ok: false, error: new AppError('RATE_LIMITED', `Too many messages; wait ${wait} s and try again.`).toJSON() });
    }
    if (tokens <= -rate.burst && !cutOff) {
      cutOff = true;
      log.warn({ socketId: socket.id }, 'socket disconnected for flooding');
      socket.disconnect(true);
    }
  });
}
