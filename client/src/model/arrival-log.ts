// The arrivals this browser has already alerted for, so a patient's arrival
// chimes once, not once per console tab and again after a reload. Kept in
// localStorage (shared by this site's tabs) as arrival id -> when, trimmed to
// the most recent and the last day; ids only, never a name. Storage may be
// missing or refuse (private modes): then this page remembers by itself.
// Tabs may hear the same arrival at the same moment: the page claims under a
// Web Lock where the browser has them (see withArrivalLock).

const KEY = 'consultroom.console.arrivals';

export type SmallStorage = Pick<Storage, 'getItem' | 'setItem'>;
export const ARRIVAL_LOG_LIMITS = { max: 200, keepMs: 24 * 60 * 60_000 };

export interface ArrivalLog {
  /** True the first time this browser sees `arrivalId` (it is remembered from then on); false after. */
  claim(arrivalId: string, now?: number): boolean;
}

export function arrivalLog(storage: SmallStorage | null, limits = ARRIVAL_LOG_LIMITS): ArrivalLog {
  const local = new Map<string, number>();
  const read = (): Map<string, number> => {
    try {
      const raw = storage?.getItem(KEY);
      if (!raw) return new Map(local);
      const parsed: unknown = JSON.parse(raw);
      if (!parsed || typeof parsed !== 'object') return new Map(local);
      const m = new Map<string, number>(local);
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') m.set(k, v);
      return m;
    } catch {
      return new Map(local);
    }
  };
  const write = (m: Map<string, number>) => {
    try {
      storage?.setItem(KEY, JSON.stringify(Object.fromEntries(m)));
    } catch {
      // full or refused: this page still remembers (local)
    }
  };
  return {
    claim(arrivalId, now = Date.now()) {
      const seen = read();
      if (seen.has(arrivalId)) return false;
      seen.set(arrivalId, now);
      const kept = [...seen].filter(([, at]) => now - at < limits.keepMs).sort((a, b) => b[1] - a[1]).slice(0, limits.max);
      local.clear();
      for (const [k, v] of kept) local.set(k, v);
      write(local);
      return true;
    },
  };
}

/** The page's localStorage, or null where it is blocked. */
export function sharedStorage(): SmallStorage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage blocked: reading the property itself throws
  }
}

interface LockManagerLike {
  request<T>(name: string, fn: () => T | Promise<T>): Promise<T>;
}

/** Runs `fn` under this site's arrivals lock (Web Locks), so two tabs never both claim one arrival; without locks, at once. */
export function withArrivalLock<T>(fn: () => T): Promise<T> {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  if (!locks) return Promise.resolve(fn());
  return locks.request('consultroom.console.arrivals', fn);
}
