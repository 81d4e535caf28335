// Burst counts for one node (see RateStore in domain/stores.ts): a window per
// key, dropped when it ends; swept when the map grows large, so a stream of
// one-off keys cannot grow it without bound.
import type { RateStore } from '../../domain/stores.ts';
import { ttlToMs } from '../common.ts';
import { settle } from './settle.ts';

const SWEEP_AT = 100_000;

export function createMemoryRateStore(now: () => number): RateStore {
  const windows = new Map<string, { count: number; endsAt: number }>();
  const sweep = (t: number): void => {
    for (const [k, w] of windows) if (w.endsAt <= t) windows.delete(k);
  };
  return {
    hit: (key, windowSeconds) =>
      settle(() => {
        const ms = ttlToMs(windowSeconds);
        const t = now();
        let w = windows.get(key);
        if (!w || w.endsAt <= t) {
          w = { count: 0, endsAt: t + ms };
          windows.set(key, w);
          if (windows.size > SWEEP_AT) sweep(t);
        }
        w.count++;
        return { count: w.count, retryAfterSeconds: Math.max(1, Math.ceil((w.endsAt - t) / 1000)) };
      }),
  };
}
