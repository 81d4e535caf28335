// The one place a Redis outage becomes UNAVAILABLE: ioredis's connection
// failures are translated (with Retry-After), every other error passes
// through untouched, whatever shape the store method has.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../server/core/errors.ts';
import { guardUnavailable, isRedisUnavailable } from '../../../server/stores/redis/unavailable.ts';

const offline = () => new Error("Stream isn't writeable and enableOfflineQueue options is false");

describe('isRedisUnavailable', () => {
  it('knows the errors of an unreachable Redis', () => {
    for (const e of [
      offline(),
      new Error('Command timed out'),
      new Error('Connection is closed.'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' }),
      new Error('LOADING Redis is loading the dataset in memory'),
    ]) {
      expect(isRedisUnavailable(e)).toBe(true);
    }
  });

  it('leaves errors that are not about reaching Redis alone', () => {
    for (const e of [new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), new Error('participant vanished during putIfAbsent'), new AppError('NOT_FOUND'), 'text', null]) {
      expect(isRedisUnavailable(e)).toBe(false);
    }
  });
});

describe('guardUnavailable', () => {
  class Counter {
    readonly #n = 1;
    readonly label = 'counter';
    async fails(): Promise<number> {
      await Promise.resolve();
      throw offline();
    }
    async ok(): Promise<number> {
      return this.#n;
    }
    throwsAtOnce(): Promise<void> {
      throw offline();
    }
    async wrong(): Promise<void> {
      throw new Error('WRONGTYPE nope');
    }
    async *records(): AsyncIterable<number> {
      yield this.#n;
      throw offline();
    }
  }
  const store = guardUnavailable(new Counter(), 4);

  it('turns an outage into UNAVAILABLE with Retry-After, from a rejection or a throw', async () => {
    const calls: (() => Promise<unknown>)[] = [() => store.fails(), () => store.throwsAtOnce()];
    for (const call of calls) {
      const e = await Promise.resolve()
        .then(call)
        .catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AppError);
      expect(e).toMatchObject({ code: 'UNAVAILABLE', status: 503, retryAfterSeconds: 4 });
    }
  });

  it('passes results, properties and other errors through (methods keep their private state)', async () => {
    expect(await store.ok()).toBe(1);
    expect(store.label).toBe('counter');
    await expect(store.wrong()).rejects.toThrow('WRONGTYPE nope');
  });

  it('translates an outage met while iterating', async () => {
    const seen: number[] = [];
    const e = await (async () => {
      for await (const n of store.records()) seen.push(n);
    })().catch((x: unknown) => x);
    expect(seen).toEqual([1]);
    expect(e).toMatchObject({ code: 'UNAVAILABLE' });
  });
});
