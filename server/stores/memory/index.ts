// The single-node stores: plain Maps in this process. Records are cloned on
// the way in and out, so no caller shares an object with the store; TTLs are
// enforced when a record is read (`now` is injectable for tests).
import { DEFAULT_TRUST_ID } from '../../domain/audit/record.ts';
import type { Stores } from '../../domain/stores.ts';
import { createMemoryApiKeyStore } from './api-keys.ts';
import { createMemoryAppointmentStore } from './appointments.ts';
import { createMemoryClinicStore } from './clinics.ts';
import { createMemoryEventStore } from './events.ts';
import { createMemoryJoinStore } from './join-store.ts';
import { createMemoryLinkStore } from './links.ts';
import { createMemoryParticipantStore } from './participants.ts';
import { createMemorySessionStore } from './sessions.ts';
import { createMemoryThreadStore } from './thread.ts';
import { createMemoryRateStore } from './rates.ts';
import { settle } from './settle.ts';

export interface MemoryStoresOptions {
  /** Epoch milliseconds; Date.now by default. */
  now?: () => number;
  /** The trust whose audit chain the event store holds; DEFAULT_TRUST_ID by default. */
  trustId?: string;
}

export function createMemoryStores(opts: MemoryStoresOptions = {}): Stores {
  const now = opts.now ?? Date.now;
  const links = createMemoryLinkStore(now);
  const appointments = createMemoryAppointmentStore(now);
  const participants = createMemoryParticipantStore(now, links);
  return {
    kind: 'memory',
    appointments,
    links,
    participants,
    joins: createMemoryJoinStore({ appointments, links, participants }),
    sessions: createMemorySessionStore(now),
    clinics: createMemoryClinicStore(now),
    apiKeys: createMemoryApiKeyStore(),
    events: createMemoryEventStore(opts.trustId ?? DEFAULT_TRUST_ID),
    thread: createMemoryThreadStore(now),
    rates: createMemoryRateStore(now),
    ping: () => settle(() => undefined),
    close: () => settle(() => undefined),
  };
}
