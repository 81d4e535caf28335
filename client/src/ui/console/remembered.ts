// Which consultation the console has open, kept in this tab's sessionStorage
// so a reload (or the browser restoring the tab) goes straight back to it.
// Only the appointment's id is kept, never a name: sessionStorage is readable
// by any script on the page and outlives the view. Cleared on Leave, End and
// sign-out. Storage may be missing or refuse (private modes): then nothing is
// remembered and the console opens on the day list as before.

const KEY = 'consultroom.console.open';
/** The shape of our ids (server/core/id-pattern.ts); anything else in storage is ignored. */
const ID = /^[A-Za-z0-9_-]{22}$/;

export type SmallStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface RememberedConsultation {
  /** The appointment id the tab had open, if any (and well formed). */
  get(): string | null;
  set(appointmentId: string): void;
  clear(): void;
}

export function rememberedConsultation(storage: SmallStorage | null = tabStorage()): RememberedConsultation {
  const quietly = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch {
      return fallback;
    }
  };
  return {
    get: () => {
      const v = storage ? quietly(() => storage.getItem(KEY), null) : null;
      return v !== null && ID.test(v) ? v : null;
    },
    set: (id) => {
      if (storage && ID.test(id)) quietly(() => storage.setItem(KEY, id), undefined);
    },
    clear: () => {
      if (storage) quietly(() => storage.removeItem(KEY), undefined);
    },
  };
}

function tabStorage(): SmallStorage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // storage blocked: reading the property itself throws
  }
}
