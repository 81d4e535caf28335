// The MediaRelay on Redis pub/sub: a media request that arrived on one node
// for a consultation whose Router is on another is published to that node's
// request channel; the owner runs it (serve) and publishes the ack to the
// asker's reply channel, matched by a request id. Pub/sub rather than a
// stream: a request nobody answers within relayTimeoutMs is refused MEDIA_ERROR
// (retryable) and the page asks again, by then of the new owner, so nothing
// is worth keeping. A request to this node never touches Redis.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError, ERRORS, isAppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Ack } from '../wire/errors.ts';
import type { ClusterKeys } from './cluster-keys.ts';
import type { MediaRelay, NodeId, RelayRequest } from './contract.ts';
import { dedicatedConnection } from '../core/redis-connection.ts';

export interface MediaRelayOptions {
  nodeId: NodeId;
  keys: ClusterKeys;
  /** How long a relayed request may wait for the owner's answer (cluster.relayTimeoutMs). */
  timeoutMs: number;
  logger: Logger;
}

type Serve = (req: RelayRequest) => Promise<Ack<unknown>>;

/** A request or reply larger than this is not parsed (nor sent): media messages are a few KB. */
export const MAX_RELAY_MESSAGE_BYTES = 256 * 1024;
/** Request ids are ours (UUIDs) and node ids at most 63 characters; anything longer is not from a node. */
const MAX_ID_LENGTH = 128;

const noAnswer = (): Ack<unknown> => ({
  ok: false,
  error: new AppError('MEDIA_ERROR', 'The media server did not answer; please try again.').toJSON(),
});
const failure = (e: AppError): Ack<unknown> => ({ ok: false, error: e.toJSON() });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isShortString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;

function asRelayRequest(v: unknown): RelayRequest | null {
  if (!isObject(v)) return null;
  const { appointmentId, participantId, op, payload } = v;
  if (!isShortString(appointmentId) || !isShortString(participantId) || typeof op !== 'string') return null;
  if (!op.startsWith('media:') && op !== 'self:videoPaused') return null;
  return { appointmentId, participantId, op, payload } as RelayRequest;
}

/** The owner's ack as it came, if it is one: data, or an error with a known code and a message. */
function asAck(v: unknown): Ack<unknown> | null {
  if (!isObject(v)) return null;
  if (v.ok === true) return { ok: true, data: v.data };
  if (v.ok !== false || !isObject(v.error)) return null;
  const { code, message, details } = v.error;
  if (typeof code !== 'string' || !Object.hasOwn(ERRORS, code) || typeof message !== 'string') return null;
  const error = { code: code as keyof typeof ERRORS, message };
  return { ok: false, error: Array.isArray(details) ? { ...error, details: details as { key: string; problem: string }[] } : error };
}

interface Pending {
  resolve: (ack: Ack<unknown>) => void;
  timer: NodeJS.Timeout;
}

export class RedisMediaRelay implements MediaRelay {
  readonly #redis: Redis;
  readonly #nodeId: NodeId;
  readonly #keys: ClusterKeys;
  readonly #timeoutMs: number;
  readonly #log: Logger;
  readonly #pending = new Map<string, Pending>();
  #serve: Serve | undefined;
  #sub: Redis | undefined;

  constructor(redis: Redis, opts: MediaRelayOptions) {
    this.#redis = redis;
    this.#nodeId = opts.nodeId;
    this.#keys = opts.keys;
    this.#timeoutMs = opts.timeoutMs;
    this.#log = opts.logger;
  }

  async start(serve: Serve): Promise<void> {
    this.#serve = serve;
    if (this.#sub) return;
    // Its own connection (a subscriber takes no other command); it resubscribes by itself after a reconnect.
    const sub = dedicatedConnection(this.#redis, { lazyConnect: true, enableOfflineQueue: true, maxRetriesPerRequest: null, autoResendUnfulfilledCommands: false });
    sub.on('error', () => undefined); // the main client logs Redis outages
    sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.#received(channel.toString('utf8'), message));
    this.#sub = sub;
    await sub.subscribe(this.#keys.relayRequests(this.#nodeId), this.#keys.relayReplies(this.#nodeId));
  }

  call(to: NodeId, req: RelayRequest): Promise<Ack<unknown>> {
    if (to === this.#nodeId) return this.#run(req);
    if (!this.#sub) return Promise.resolve(noAnswer());
    const id = randomUUID();
    const message = JSON.stringify({ id, from: this.#nodeId, req });
    if (Buffer.byteLength(message) > MAX_RELAY_MESSAGE_BYTES) {
      this.#log.warn({ op: req.op, appointmentId: req.appointmentId }, 'media relay: a request too large to relay was refused');
      return Promise.resolve(failure(new AppError('BAD_REQUEST')));
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#settle(id, noAnswer()), this.#timeoutMs);
      this.#pending.set(id, { resolve, timer });
      this.#redis.publish(this.#keys.relayRequests(to), message).then(
        // Nobody subscribed: that node's relay is gone; say so now rather than at the timeout.
        (receivers) => receivers === 0 && this.#settle(id, noAnswer()),
        () => this.#settle(id, noAnswer()),
      );
    });
  }

  stop(): Promise<void> {
    this.#serve = undefined;
    for (const id of [...this.#pending.keys()]) this.#settle(id, noAnswer());
    const sub = this.#sub;
    this.#sub = undefined;
    sub?.disconnect();
    return Promise.resolve();
  }

  /** Runs a request here: serve's ack as it is; a typed throw as its error; anything else INTERNAL. */
  async #run(req: RelayRequest): Promise<Ack<unknown>> {
    const serve = this.#serve;
    if (!serve) return noAnswer();
    try {
      return await serve(req);
    } catch (err) {
      if (isAppError(err)) return failure(err);
      this.#log.error({ err, op: req.op, appointmentId: req.appointmentId }, 'media relay: a media request failed unexpectedly');
      return failure(new AppError('INTERNAL'));
    }
  }

  #settle(id: string, ack: Ack<unknown>): boolean {
    const pending = this.#pending.get(id);
    if (!pending) return false;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(ack);
    return true;
  }

  #received(channel: string, message: Buffer): void {
    if (message.length > MAX_RELAY_MESSAGE_BYTES) {
      this.#log.warn({ channel, bytes: message.length }, 'media relay: a message over 256 KB was dropped');
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(message.toString('utf8'));
    } catch {
      this.#log.warn({ channel }, 'media relay: a message that is not JSON was dropped');
      return;
    }
    if (channel === this.#keys.relayRequests(this.#nodeId)) void this.#answer(body);
    else if (channel === this.#keys.relayReplies(this.#nodeId)) this.#replied(body);
  }

  async #answer(body: unknown): Promise<void> {
    const req = isObject(body) ? asRelayRequest(body.req) : null;
    if (!isObject(body) || !isShortString(body.id) || !isShortString(body.from) || !req) {
      this.#log.warn('media relay: a request not in the expected form was dropped');
      return;
    }
    const { id, from } = body;
    let reply = JSON.stringify({ id, ack: await this.#run(req) });
    if (Buffer.byteLength(reply) > MAX_RELAY_MESSAGE_BYTES) {
      this.#log.error({ op: req.op, appointmentId: req.appointmentId }, 'media relay: an answer too large to relay was replaced by an error');
      reply = JSON.stringify({ id, ack: failure(new AppError('INTERNAL')) });
    }
    // Lost with Redis: the asker's timeout answers for it.
    this.#redis.publish(this.#keys.relayReplies(from), reply).catch((err: unknown) => this.#log.warn({ err, op: req.op }, 'media relay: an answer could not be sent'));
  }

  #replied(body: unknown): void {
    const ack = isObject(body) ? asAck(body.ack) : null;
    if (!isObject(body) || !isShortString(body.id) || !ack) {
      this.#log.warn('media relay: an answer not in the expected form was dropped');
      return;
    }
    // Not pending: it came after the timeout (or stop()), and the page has been answered already.
    this.#settle(body.id, ack);
  }
}
