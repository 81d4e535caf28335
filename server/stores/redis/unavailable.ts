// Redis being unreachable is "not now", not "no": the one place where ioredis's
// connection failures become AppError UNAVAILABLE (retryable; 503 with
// Retry-After on HTTP, the same code in socket acks and handshake errors).
// Every store the Redis implementation hands out is wrapped here, so neither
// the domain nor http/signaling ever sees (or imports) an ioredis error.
//
// The client fails fast (boot/redis.ts: no offline queue, a command timeout,
// no resend of commands cut off mid-flight), so these errors arrive within
// about a second or two of a request, never after an unbounded wait.
import { AppError } from '../../core/errors.ts';

// ioredis's own messages for a command that could not reach Redis.
const CLIENT_MESSAGES = [
  "Stream isn't writeable", // enableOfflineQueue: false while disconnected
  'Command timed out', // commandTimeout: sent, no answer
  'Connection is closed.', // the client ended, or a command was cut off
  'Reached the max retries per request limit', // MaxRetriesPerRequestError
];
// Socket errors, should one reach a command.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// Replies of a Redis that is up but cannot serve yet (loading its AOF, replica without a master).
const REPLY_PREFIXES = ['LOADING ', 'MASTERDOWN ', 'TRYAGAIN ', 'READONLY '];

/** Whether `e` says Redis could not be reached (rather than that a command was wrong). */
export function isRedisUnavailable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return CLIENT_MESSAGES.some((m) => e.message.startsWith(m)) || REPLY_PREFIXES.some((p) => e.message.startsWith(p));
}

/** UNAVAILABLE for a Redis outage (the original kept as the cause, for the log); anything else unchanged. */
export function translateRedisError(e: unknown, retryAfterSeconds: number): unknown {
  return isRedisUnavailable(e) ? new AppError('UNAVAILABLE', { cause: e, retryAfterSeconds }) : e;
}

function guardIterable<T>(iterable: AsyncIterable<T>, retryAfterSeconds: number): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      const it = iterable[Symbol.asyncIterator]();
      return {
        next: (...args: [] | [unknown]) =>
          it.next(...args).catch((e: unknown) => {
            throw translateRedisError(e, retryAfterSeconds);
          }),
        return: (value?: unknown) => (it.return ? it.return(value) : Promise.resolve({ done: true as const, value: value as T })),
      } as AsyncIterator<T>;
    },
  };
}

/**
 * The store with every method's Redis outage errors turned into UNAVAILABLE:
 * rejected promises, thrown errors, and errors from async iterables a method
 * returns. Non-function properties pass through.
 */
export function guardUnavailable<T extends object>(store: T, retryAfterSeconds: number): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      if (!wrapped.has(key)) {
        const fn = value as (...args: unknown[]) => unknown;
        wrapped.set(key, (...args: unknown[]) => {
          let out: unknown;
          try {
            out = fn.apply(target, args);
          } catch (e) {
            throw translateRedisError(e, retryAfterSeconds);
          }
          if (out instanceof Promise) {
            return out.catch((e: unknown) => {
              throw translateRedisError(e, retryAfterSeconds);
            });
          }
          if (out !== null && typeof out === 'object' && Symbol.asyncIterator in out) return guardIterable(out as AsyncIterable<unknown>, retryAfterSeconds);
          return out;
        });
      }
      return wrapped.get(key);
    },
  });
}
