// The failure limiter's rules, on the memory counter (the security tests run
// the same through real HTTP and sockets, on memory and on Redis): a place is
// taken on arrival, so a concurrent burst passes the limit never; a failure is
// counted as its place is given back, exactly once for any attempt's check; a
// success costs the address nothing; settling twice counts once.
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../server/core/errors.ts';
import { FailureLimiter, type FailureAttempt } from '../../../server/domain/access/failure-limiter.ts';
import type { FailureCounter } from '../../../server/domain/access/failure-limiter.ts';
import { MemoryFailureCounter } from '../../../server/stores/memory/failure-counter.ts';

/** A counter that answers as Redis does on one connection: later, in the order the commands were sent. */
class InOrderCounter implements FailureCounter {
  readonly #inner = new MemoryFailureCounter();
  #queue: (() => void)[] = [];
  #run<T>(op: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#queue.length === 0) setImmediate(() => this.#flush());
      this.#queue.push(() => void op().then(resolve, reject));
    });
  }
  #flush(): void {
    const ops = this.#queue;
    this.#queue = [];
    for (const op of ops) op();
  }
  count = (k: string) => this.#run(() => this.#inner.count(k));
  fail = (k: string, w: number) => this.#run(() => this.#inner.fail(k, w));
  retryAfter = (k: string, w: number) => this.#run(() => this.#inner.retryAfter(k, w));
}

const MAX = 5;
const limiterOf = (counter: FailureCounter = new MemoryFailureCounter()) => {
  const limited: string[] = [];
  return { counter, limited, limiter: new FailureLimiter(counter, { maxFailures: MAX, windowSeconds: 60 }, (a) => limited.push(a)) };
};
const settle = (ps: Promise<FailureAttempt>[]) => Promise.allSettled(ps);
const refusedOf = (rs: PromiseSettledResult<FailureAttempt>[]) =>
  rs.filter((r) => r.status === 'rejected' && isAppError(r.reason) && r.reason.code === 'RATE_LIMITED').length;

describe('FailureLimiter', () => {
  it(`lets exactly ${MAX} of a concurrent burst through, refuses the rest RATE_LIMITED, and reports the address once`, async () => {
    const { limiter, limited } = limiterOf();
    const rs = await settle(Array.from({ length: 3 * MAX }, () => limiter.attempt('10.0.0.1')));
    expect(rs.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX);
    expect(refusedOf(rs)).toBe(2 * MAX);
    expect(limited).toEqual(['10.0.0.1']);
    // Another address is untouched.
    await expect(limiter.attempt('10.0.0.2')).resolves.toBeDefined();
  });

  it('gives a success back at once and counts nothing for it: any number of sequential successes pass', async () => {
    const { limiter, counter } = limiterOf();
    for (let i = 0; i < 10 * MAX; i++) (await limiter.attempt('10.0.0.1')).succeeded();
    expect(await counter.count('10.0.0.1')).toBe(0);
  });

  it(`counts failures: after ${MAX}, the address is refused with a Retry-After within the window`, async () => {
    const { limiter, counter } = limiterOf();
    for (let i = 0; i < MAX; i++) await (await limiter.attempt('10.0.0.1')).failed();
    expect(await counter.count('10.0.0.1')).toBe(MAX);
    const e: unknown = await limiter.attempt('10.0.0.1').catch((x: unknown) => x);
    expect(isAppError(e) && e.code).toBe('RATE_LIMITED');
    const retry = isAppError(e) ? Number(e.retryAfterSeconds) : NaN;
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
  });

  it(`counts each failure once for every check: guesses arriving one after another while earlier ones fail, exactly the first ${MAX} get through`, async () => {
    const counter = new InOrderCounter();
    const { limiter } = limiterOf(counter);
    const outcomes: Promise<unknown>[] = [];
    for (let i = 0; i < 6 * MAX; i++) {
      // Each one let through fails as soon as it is (a wrong guess); the next arrives meanwhile.
      const outcome = limiter.attempt('10.0.0.9').then((a) => a.failed().then(() => 'through'));
      outcome.catch(() => undefined); // refusals are read below (allSettled), not left unhandled meanwhile
      outcomes.push(outcome);
      await new Promise((r) => setImmediate(r));
    }
    const rs = await Promise.allSettled(outcomes);
    // The first MAX in arrival order, then none: none refused early for a failure counted twice.
    expect(rs.map((r) => r.status)).toEqual([...Array<string>(MAX).fill('fulfilled'), ...Array<string>(5 * MAX).fill('rejected')]);
    expect(await counter.count('10.0.0.9')).toBe(MAX);
  });

  it('settles once: a second succeeded() or failed() changes nothing, and a failure is counted as its place is given back', async () => {
    const { limiter, counter } = limiterOf();
    const a = await limiter.attempt('10.0.0.1');
    const failing = a.failed();
    void a.failed();
    a.succeeded();
    await failing;
    expect(await counter.count('10.0.0.1')).toBe(1);
    // MAX - 1 failures' worth of room is left, whatever order the settles came in.
    const rs = await settle(Array.from({ length: MAX }, () => limiter.attempt('10.0.0.1')));
    expect(rs.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX - 1);
  });

  it('a refused attempt and one whose count could not be read give their place back', async () => {
    const broken = new MemoryFailureCounter();
    let down = true;
    const count = broken.count.bind(broken);
    broken.count = (k: string) => (down ? Promise.reject(new Error('store down')) : count(k));
    const { limiter } = limiterOf(broken);
    for (let i = 0; i < 3 * MAX; i++) await expect(limiter.attempt('10.0.0.1')).rejects.toThrow('store down');
    down = false;
    const rs = await settle(Array.from({ length: MAX }, () => limiter.attempt('10.0.0.1')));
    expect(rs.every((r) => r.status === 'fulfilled')).toBe(true);
  });
});
