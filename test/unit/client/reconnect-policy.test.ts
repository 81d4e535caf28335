// The client's retry policy: which refusals are retried, and delays that grow,
// stay capped and are spread by jitter (so pages do not all come back at once).
import { describe, expect, it } from 'vitest';
import { RETRYABLE_CODES } from '../../../server/wire/retryable.ts';
import { Backoff, isRetryable } from '../../../client/src/model/reconnect-policy.ts';

describe('reconnect policy', () => {
  it("retries the server's retryable codes and the client's own timeout, nothing final", () => {
    for (const code of RETRYABLE_CODES) expect(isRetryable(code)).toBe(true);
    expect(isRetryable('TIMEOUT')).toBe(true);
    for (const code of ['NOT_ADMITTED', 'TOKEN_EXPIRED', 'CONSULTATION_ENDED', 'BAD_REQUEST', 'INTERNAL']) expect(isRetryable(code)).toBe(false);
  });

  it('doubles the delay up to the cap, shortened by up to half at random, and starts over after reset()', () => {
    const none = new Backoff(500, 4_000, () => 0);
    expect([1, 2, 3, 4, 5].map(() => none.next())).toEqual([500, 1_000, 2_000, 4_000, 4_000]);
    none.reset();
    expect(none.next()).toBe(500);
    const most = new Backoff(500, 4_000, () => 1);
    expect([1, 2, 3, 4].map(() => most.next())).toEqual([250, 500, 1_000, 2_000]);
  });
});
