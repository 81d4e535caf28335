// The page's one rule for "not now" failures: which ones are retried, how long
// it waits between tries, and that it never gives up on them by itself.
import { describe, expect, it } from 'vitest';
import { ApiError, isRetryable, parseRetryAfter, retryDelay, RETRY_TIMING, withRetry } from '../../../client/src/net/api.ts';
import { ClientError } from '../../../client/src/net/rpc.ts';
import { RETRYABLE_CODES } from '../../../server/wire/retryable.ts';

describe('isRetryable', () => {
  it("retries the server's retryable codes, an unreachable network and an unanswered request", () => {
    for (const code of RETRYABLE_CODES) expect(isRetryable(new ApiError(code, '', 503))).toBe(true);
    expect(isRetryable(new ApiError('NETWORK', '', 0))).toBe(true);
    expect(isRetryable(new ClientError('TIMEOUT', ''))).toBe(true);
    expect(isRetryable(new ClientError('UNAVAILABLE', ''))).toBe(true);
  });

  it("retries a proxy's bare 502/503/504 while the server restarts", () => {
    expect(isRetryable(new ApiError('HTTP_502', '', 502))).toBe(true);
    expect(isRetryable(new ApiError('HTTP_504', '', 504))).toBe(true);
  });

  it('does not retry a refusal: the answer would be the same', () => {
    expect(isRetryable(new ApiError('UNAUTHENTICATED', '', 401))).toBe(false);
    expect(isRetryable(new ApiError('TOKEN_EXPIRED', '', 401))).toBe(false);
    expect(isRetryable(new ApiError('INTERNAL', '', 500))).toBe(false);
    expect(isRetryable(new Error('boom'))).toBe(false);
    expect(isRetryable('NETWORK')).toBe(false);
  });
});

describe('retryDelay', () => {
  it('backs off exponentially with jitter, up to a ceiling', () => {
    const top = () => 1;
    const bottom = () => 0;
    expect(retryDelay(0, null, top)).toBe(RETRY_TIMING.baseMs);
    expect(retryDelay(1, null, top)).toBe(RETRY_TIMING.baseMs * 2);
    expect(retryDelay(1, null, bottom)).toBe(RETRY_TIMING.baseMs);
    expect(retryDelay(50, null, top)).toBe(RETRY_TIMING.maxMs);
    expect(retryDelay(50, null, bottom)).toBe(RETRY_TIMING.maxMs / 2);
  });

  it("honours the server's Retry-After, within bounds", () => {
    expect(retryDelay(0, 5000)).toBe(5000);
    expect(retryDelay(7, 0)).toBe(RETRY_TIMING.baseMs);
    expect(retryDelay(0, 3_600_000)).toBe(RETRY_TIMING.retryAfterMaxMs);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds or an HTTP date, and ignores anything else', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('2026-12-03T10:00:00Z');
    expect(parseRetryAfter('Thu, 03 Dec 2026 10:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Thu, 03 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});

describe('withRetry', () => {
  it('tries again after each retryable failure until it works, telling the page each time', async () => {
    const failures = [new ApiError('UNAVAILABLE', '', 503, 2000), new ApiError('NETWORK', '', 0), new ClientError('TIMEOUT', '')];
    const waits: number[] = [];
    const told: number[] = [];
    let calls = 0;
    const r = await withRetry(
      async () => {
        calls++;
        const f = failures.shift();
        if (f) throw f;
        return 'ok';
      },
      { sleep: async (ms) => void waits.push(ms), onRetry: (n) => told.push(n), random: () => 1 },
    );
    expect(r).toBe('ok');
    expect(calls).toBe(4);
    expect(told).toEqual([0, 1, 2]);
    expect(waits).toEqual([2000, 1000, 2000]); // Retry-After first, then backoff
  });

  it('passes a final error straight through, without waiting', async () => {
    const waits: number[] = [];
    await expect(withRetry(() => Promise.reject(new ApiError('TOKEN_INVALID', 'no', 401)), { sleep: async (ms) => void waits.push(ms) })).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
    expect(waits).toEqual([]);
  });

  it('stops when told to, with the last error', async () => {
    let wanted = true;
    let calls = 0;
    const p = withRetry(
      () => {
        calls++;
        return Promise.reject(new ApiError('UNAVAILABLE', '', 503));
      },
      {
        sleep: async () => {
          wanted = false;
        },
        stopped: () => !wanted,
      },
    );
    await expect(p).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(calls).toBe(1);
  });
});
