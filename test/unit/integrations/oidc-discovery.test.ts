// CachedDiscovery: the server boots while the identity provider is down; the
// first sign-in asks for its metadata, a failure is retried only after a
// back-off (doubling), a success is kept for an hour, and an old one is still
// used when a refresh fails.
import type { Configuration } from 'openid-client';
import { describe, expect, it } from 'vitest';
import { CachedDiscovery, ProviderUnavailable } from '../../../server/integrations/oidc/discovery.ts';

const POLICY = { maxAgeMs: 3_600_000, firstBackoffMs: 2_000, maxBackoffMs: 8_000 };

function rig(answers: Array<'ok' | 'down'>) {
  let now = 0;
  let calls = 0;
  const configs: object[] = [];
  const d = new CachedDiscovery(
    async () => {
      const a = answers[calls++] ?? 'ok';
      if (a === 'down') throw new TypeError('fetch failed');
      const c = { n: calls };
      configs.push(c);
      return c as unknown as Configuration;
    },
    POLICY,
    () => now,
  );
  return { d, calls: () => calls, advance: (ms: number) => (now += ms), configs };
}

describe('CachedDiscovery', () => {
  it('nothing is fetched until asked; then the one answer is kept', async () => {
    const r = rig(['ok']);
    expect(r.calls()).toBe(0);
    const [a, b] = await Promise.all([r.d.get(), r.d.get()]);
    expect(a).toBe(b);
    expect(r.calls()).toBe(1);
    r.advance(POLICY.maxAgeMs - 1);
    await r.d.get();
    expect(r.calls()).toBe(1);
  });

  it('after a failure, waits out a doubling back-off before asking again, then recovers', async () => {
    const r = rig(['down', 'down', 'ok']);
    await expect(r.d.get()).rejects.toBeInstanceOf(ProviderUnavailable);
    await expect(r.d.get()).rejects.toBeInstanceOf(ProviderUnavailable);
    expect(r.calls()).toBe(1); // within the back-off: not asked again
    r.advance(2_000);
    await expect(r.d.get()).rejects.toBeInstanceOf(ProviderUnavailable);
    expect(r.calls()).toBe(2);
    r.advance(3_999); // the second back-off is 4 s
    await expect(r.d.get()).rejects.toBeInstanceOf(ProviderUnavailable);
    expect(r.calls()).toBe(2);
    r.advance(1);
    await expect(r.d.get()).resolves.toBe(r.configs[0]);
    expect(r.calls()).toBe(3);
  });

  it('refreshes after an hour, and keeps using the old metadata while the provider is down', async () => {
    const r = rig(['ok', 'down', 'ok']);
    const first = await r.d.get();
    r.advance(POLICY.maxAgeMs);
    await expect(r.d.get()).resolves.toBe(first);
    expect(r.calls()).toBe(2);
    r.advance(POLICY.firstBackoffMs);
    const second = await r.d.get();
    expect(second).not.toBe(first);
    expect(r.calls()).toBe(3);
  });
});
