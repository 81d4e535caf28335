// Registers one socket.io message handler behind its runtime schema. Bad input
// is answered with a typed BAD_REQUEST naming the keys at fault and changes
// nothing; handler errors are answered with their code; anything unexpected is
// logged and answered as INTERNAL, so no client can crash the process or see a
// stack trace. A missing ack (a malformed client) is tolerated.
import type { Socket } from 'socket.io';
import { Compile } from 'typebox/compile';
import { AppError, isAppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { keyProblems } from '../core/schema-errors.ts';
import { ClientMessages, type Ack, type ClientMessage, type ClientMessageName, type ClientReplies } from './protocol.ts';

const validators = Object.fromEntries(Object.entries(ClientMessages).map(([k, s]) => [k, Compile(s)])) as {
  [K in ClientMessageName]: ReturnType<typeof Compile<(typeof ClientMessages)[K]>>;
};

export type Handler<K extends ClientMessageName> = (payload: ClientMessage<K>) => Promise<ClientReplies[K]> | ClientReplies[K];

export function toWireError(e: unknown, log: Logger, event: string): Ack<never> {
  if (isAppError(e)) return { ok: false, error: e.toJSON() };
  log.error({ err: e, event }, 'socket handler failed');
  return { ok: false, error: new AppError('INTERNAL', 'Something went wrong on the server.').toJSON() };
}

export function handle<K extends ClientMessageName>(socket: Socket, log: Logger, name: K, handler: Handler<K>): void {
  const validator = validators[name];
  // The name is a key of the protocol map; socket.io's overloads only accept it as a plain string.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc needs it (see above)
  socket.on(name as string, async (...args: unknown[]) => {
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as (r: Ack<ClientReplies[K]>) => void) : () => undefined;
    const payload = typeof last === 'function' ? args[0] : args[0];
    if (args.length > 2 || !validator.Check(payload)) {
      const details = keyProblems(ClientMessages[name], payload).slice(0, 10);
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
