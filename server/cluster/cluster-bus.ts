// The ClusterBus on one Redis stream (keys.bus): every node appends its events
// and every node reads everyone's, in the stream's one order, so each sender's
// events arrive in the order it published them. A stream rather than pub/sub
// because a reader that lost its connection for a moment resumes from the
// last id it saw and misses nothing Redis still holds (a blip or a restart
// with its AOF); ids only grow, so after a restart without data it simply
// reads what comes next.
//
// publish() never throws and never waits: events queued in one tick leave as
// ONE pipeline of XADDs (one round trip). While the main client is not
// connected (it refuses commands then: no offline queue) they wait here,
// bounded, until it is back. Reading uses its own connection, which may wait
// (XREAD BLOCK) and queue while reconnecting, unlike the main client.
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.ts';
import type { ClusterKeys } from './cluster-keys.ts';
import type { ClusterBus, ClusterEventName, ClusterEvents, NodeId } from './contract.ts';
import { dedicatedConnection } from '../core/redis-connection.ts';

/** How long the bus keeps an entry (a reader that was away longer than this has been declared dead). */
const KEEP_MS = 5 * 60_000;
const TRIM_EVERY_MS = 10_000;

export interface ClusterBusOptions {
  nodeId: NodeId;
  keys: ClusterKeys;
  logger: Logger;
  /** The stream's approximate length (XADD MAXLEN ~): how far back a reader that was away can catch up. */
  maxLen?: number;
  /** How long one XREAD waits for new entries before it is sent again (ms); bounds how long stop() takes. */
  blockMs?: number;
}

/** Every event name a node may receive: an entry with another name (a newer node's?) is skipped. */
const EVENT_NAMES: Record<ClusterEventName, true> = {
  changed: true,
  participantExpelled: true,
  consultationEnded: true,
  sessionEnded: true,
  threadItem: true,
  arrived: true,
  connectionChanged: true,
  reassigned: true,
  runningLate: true,
  viewsStale: true,
  presence: true,
  mediaFacts: true,
  staffWatch: true,
  staffWatchSync: true,
};
const isEventName = (e: string): e is ClusterEventName => Object.hasOwn(EVENT_NAMES, e);

/** Entries read per XREAD. */
const READ_COUNT = 500;
/** Events in one stream entry at most (a flood is split, so no entry grows without bound). */
const PER_ENTRY = 200;
/** The reader's command timeout beyond its BLOCK time: a dead connection fails the read, which is then sent again. */
const READ_TIMEOUT_GRACE_MS = 2000;
/** Pause after a failed read before the next (the reader's connection is reconnecting meanwhile). */
const READ_RETRY_MS = 250;

type Listener = (...args: unknown[]) => unknown;
interface Queued {
  e: ClusterEventName;
  a: string;
}

/** Optional trailing arguments left out: JSON would turn them into null. */
function withoutTrailingUndefined(args: readonly unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}

/** An entry's fields (a flat [field, value, ...] list) as a record; the first of a repeated field wins. */
function fieldsOf(list: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i]!;
    if (!Object.hasOwn(fields, name)) fields[name] = list[i + 1]!;
  }
  return fields;
}

export class RedisClusterBus implements ClusterBus {
  readonly #redis: Redis;
  readonly #nodeId: NodeId;
  readonly #stream: string;
  readonly #log: Logger;
  readonly #maxLen: number;
  #trimmedAt = 0;
  readonly #blockMs: number;
  readonly #listeners = new Map<ClusterEventName, Listener[]>();

  #queue: Queued[] = [];
  #tick: NodeJS.Immediate | undefined;
  #waitingForRedis = false;
  #droppedWhileAway = 0;
  readonly #inFlight = new Set<Promise<void>>();

  #reader: Redis | undefined;
  #loop: Promise<void> | undefined;
  #lastId = '0-0';
  #stopped = false;
  #readFailing = false;
  #wake: (() => void) | undefined;

  constructor(redis: Redis, opts: ClusterBusOptions) {
    this.#redis = redis;
    this.#nodeId = opts.nodeId;
    this.#stream = opts.keys.bus;
    this.#log = opts.logger;
    this.#maxLen = opts.maxLen ?? 10_000;
    this.#blockMs = opts.blockMs ?? 1000;
  }

  publish<K extends ClusterEventName>(event: K, ...args: ClusterEvents[K]): void {
    if (this.#stopped) return;
    let a: string;
    try {
      a = JSON.stringify(withoutTrailingUndefined(args));
    } catch (err) {
      this.#log.error({ err, event }, 'cluster bus: an event could not be serialised; other nodes miss it');
      return;
    }
    this.#queue.push({ e: event, a });
    // While Redis is away the queue holds at most what the stream itself keeps.
    if (this.#queue.length > this.#maxLen) {
      this.#queue.shift();
      if (this.#droppedWhileAway++ === 0) this.#log.warn('cluster bus: Redis is away and too many events are waiting; the oldest are dropped');
    }
    this.#schedule();
  }

  on<K extends ClusterEventName>(event: K, listener: (...args: ClusterEvents[K]) => void): void {
    const list = this.#listeners.get(event) ?? [];
    list.push(listener as Listener);
    this.#listeners.set(event, list);
  }

  /** Starts reading other nodes' events published from now on. */
  async start(): Promise<void> {
    if (this.#loop) return;
    this.#stopped = false;
    // '$' resolved now: an XREAD BLOCK sent later with '$' would miss what is published in between.
    const last = await this.#redis.xrevrange(this.#stream, '+', '-', 'COUNT', 1);
    this.#lastId = last[0]?.[0] ?? '0-0';
    const reader = dedicatedConnection(this.#redis, {
      lazyConnect: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      autoResendUnfulfilledCommands: false,
      commandTimeout: this.#blockMs + READ_TIMEOUT_GRACE_MS,
    });
    // Failures surface as failed reads (logged once per outage in #read); the event itself is expected.
    reader.on('error', () => undefined);
    this.#reader = reader;
    this.#loop = this.#read(reader);
  }

  /** Sends what is queued, then stops reading; publish() does nothing afterwards. */
  async stop(): Promise<void> {
    if (this.#tick) {
      clearImmediate(this.#tick);
      this.#tick = undefined;
    }
    this.#flush();
    await Promise.all([...this.#inFlight]);
    this.#stopped = true;
    this.#queue = [];
    this.#redis.off('ready', this.#redisBack);
    this.#waitingForRedis = false;
    this.#reader?.disconnect();
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
    this.#reader = undefined;
  }

  #schedule(): void {
    if (this.#tick || this.#waitingForRedis) return;
    this.#tick = setImmediate(() => {
      this.#tick = undefined;
      this.#flush();
    });
  }

  readonly #redisBack = (): void => {
    this.#waitingForRedis = false;
    this.#schedule();
  };

  #flush(): void {
    if (this.#queue.length === 0) return;
    if (this.#redis.status !== 'ready') {
      if (!this.#waitingForRedis) {
        this.#waitingForRedis = true;
        this.#redis.once('ready', this.#redisBack);
      }
      return;
    }
    const batch = this.#queue;
    this.#queue = [];
    this.#droppedWhileAway = 0;
    const pipeline = this.#redis.pipeline();
    // One entry per tick, whatever it holds (a join publishes several events at once): one stream entry
    // instead of one per event; a lone event keeps the plain form.
    for (let i = 0; i < batch.length; i += PER_ENTRY) {
      const part = batch.slice(i, i + PER_ENTRY);
      if (part.length === 1) {
        pipeline.xadd(this.#stream, 'MAXLEN', '~', this.#maxLen, '*', 'n', this.#nodeId, 'e', part[0]!.e, 'a', part[0]!.a);
      } else {
        pipeline.xadd(this.#stream, 'MAXLEN', '~', this.#maxLen, '*', 'n', this.#nodeId, 'b', `[${part.map(({ e, a }) => `[${JSON.stringify(e)},${a}]`).join(',')}]`);
      }
    }
    // Entries carry chat text (threadItem): on a quiet day MAXLEN alone would keep them for days,
    // beyond the chat's retention. Older than KEEP_MS, no reader needs them (a node away longer is dead).
    const now = Date.now();
    if (now - this.#trimmedAt >= TRIM_EVERY_MS) {
      this.#trimmedAt = now;
      pipeline.xtrim(this.#stream, 'MINID', '~', `${now - KEEP_MS}-0`);
    }
    const sent = pipeline.exec().then(
      (results) => {
        const failed = (results ?? []).filter(([err]) => err);
        if (failed.length > 0) {
          this.#log.warn({ err: failed[0]![0], failed: failed.length, sent: batch.length }, 'cluster bus: some events were not published; other nodes miss them');
        }
      },
      // Cut off mid-flight: whether Redis took them is unknown; sending again could repeat them.
      (err: unknown) => this.#log.warn({ err, lost: batch.length }, 'cluster bus: events were not published (Redis unreachable); other nodes miss them'),
    );
    this.#inFlight.add(sent);
    void sent.finally(() => this.#inFlight.delete(sent));
  }

  async #read(reader: Redis): Promise<void> {
    while (!this.#stopped) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = await reader.xread('COUNT', READ_COUNT, 'BLOCK', this.#blockMs, 'STREAMS', this.#stream, this.#lastId);
      } catch (err) {
        if (this.#stopped) break;
        if (!this.#readFailing) {
          this.#readFailing = true;
          this.#log.warn({ err }, 'cluster bus: cannot read other nodes\' events (Redis unreachable); reading again when it is back');
        }
        await this.#pause(READ_RETRY_MS);
        continue;
      }
      if (this.#readFailing) {
        this.#readFailing = false;
        this.#log.info({ from: this.#lastId }, 'cluster bus: reading other nodes\' events again');
      }
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          if (this.#stopped) return;
          this.#lastId = id;
          this.#deliver(id, fields);
        }
      }
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  /** One entry, checked: a malformed one is logged (its id only) and skipped. */
  #deliver(id: string, list: readonly string[]): void {
    const { n, e, a, b } = fieldsOf(list);
    if (n === this.#nodeId) return;
    if (n !== undefined && b !== undefined) {
      this.#deliverBatch(id, n, b);
      return;
    }
    if (n === undefined || e === undefined || a === undefined) {
      this.#log.warn({ entryId: id }, 'cluster bus: an entry without its fields was skipped');
      return;
    }
    if (!isEventName(e)) {
      this.#log.warn({ entryId: id, node: n }, 'cluster bus: an entry with an unknown event was skipped');
      return;
    }
    let args: unknown;
    try {
      args = JSON.parse(a);
    } catch {
      args = undefined;
    }
    this.#dispatch(id, n, e, args);
  }

  /** An entry holding a tick's events, [[event, args], ...], each checked and delivered in order. */
  #deliverBatch(id: string, n: string, b: string): void {
    let pairs: unknown;
    try {
      pairs = JSON.parse(b);
    } catch {
      pairs = undefined;
    }
    if (!Array.isArray(pairs) || pairs.length > PER_ENTRY) {
      this.#log.warn({ entryId: id, node: n }, 'cluster bus: an entry whose events are not a JSON list was skipped');
      return;
    }
    for (const pair of pairs as unknown[]) {
      const [e, args] = Array.isArray(pair) && pair.length === 2 ? (pair as [unknown, unknown]) : [undefined, undefined];
      if (typeof e !== 'string' || !isEventName(e)) {
        this.#log.warn({ entryId: id, node: n }, 'cluster bus: an event with an unknown name was skipped');
        continue;
      }
      this.#dispatch(id, n, e, args);
    }
  }

  #dispatch(id: string, n: string, e: ClusterEventName, args: unknown): void {
    if (!Array.isArray(args)) {
      this.#log.warn({ entryId: id, node: n, event: e }, 'cluster bus: an entry whose arguments are not a JSON list was skipped');
      return;
    }
    for (const listener of this.#listeners.get(e) ?? []) {
      try {
        const result = listener(...(args as unknown[]));
        if (result instanceof Promise) result.catch((err: unknown) => this.#listenerFailed(e, err));
      } catch (err) {
        this.#listenerFailed(e, err);
      }
    }
  }

  #listenerFailed(event: string, err: unknown): void {
    this.#log.error({ err, event }, 'cluster bus: a listener failed; the bus goes on');
  }
}
