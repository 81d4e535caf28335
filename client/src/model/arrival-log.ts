// The arrivals this browser has already alerted for, so a patient's arrival
// chimes once, not once per console tab and again after a reload. Kept in
// localStorage (shared by this site's tabs) as arrival id -> when, trimmed to
// the most recent and the last day; ids only, never a name. Storage may be
// missing or refuse (private modes): then this page remembers by itself.
// Tabs may hear the same arrival at the same moment, and one tab's
// localStorage write reaches another a moment later (Chromium syncs it
// between renderers asynchronously): so the first tab also takes a Web Lock
// named for the arrival and holds it a while (claimAcrossTabs), which the
// browser arbitrates at once for every tab.

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
  request(name: string, options: { ifAvailable: true }, fn: (lock: unknown) => Promise<void>): Promise<void>;
}

/** How long the first tab holds an arrival's lock: far longer than storage takes to reach the other tabs. */
const HOLD_MS = 60_000;

/**
 * True in exactly one tab of this browser for an arrival (and false after a
 * reload, through the log). Without Web Locks, the log alone decides.
 */
export function claimAcrossTabs(arrivalId: string, log: ArrivalLog): Promise<boolean> {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  if (!locks) return Promise.resolve(log.claim(arrivalId));
  return new Promise<boolean>((resolve) => {
    locks
      .request(`consultroom.arrival.${arrivalId}`, { ifAvailable: true }, async (lock) => {
        if (!lock) {
          resolve(false); // another tab holds it: that tab alerts
          return;
        }
        resolve(log.claim(arrivalId));
        await new Promise((r) => setTimeout(r, HOLD_MS));
      })
      .catch(() => resolve(log.claim(arrivalId)));
  });
}
