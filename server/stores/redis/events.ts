// The audit trail as Redis streams: one per appointment and one for all
// events, written together in a MULTI so both agree on the order. Events
// carry no TTL: the store never edits or removes one.
import type { Redis } from 'ioredis';
import type { AppointmentId } from '../../core/ids.ts';
import type { DomainEvent } from '../../domain/model.ts';
import type { EventStore } from '../../domain/stores.ts';
import type { Keys } from './keys.ts';

const FIELD = 'event';
const PAGE = 500;

export function createRedisEventStore(redis: Redis, keys: Keys): EventStore {
  return {
    async append(event: DomainEvent): Promise<void> {
      const json = JSON.stringify(event);
      const tx = redis.multi();
      if (event.appointmentId !== null) tx.xadd(keys.appointmentEvents(event.appointmentId), '*', FIELD, json);
      tx.xadd(keys.allEvents(), '*', FIELD, json);
      const results = await tx.exec();
      if (results === null) throw new Error('event append was aborted');
      for (const [err] of results) if (err) throw err;
    },

    async list(appointmentId?: AppointmentId): Promise<DomainEvent[]> {
      const key = appointmentId === undefined ? keys.allEvents() : keys.appointmentEvents(appointmentId);
      const events: DomainEvent[] = [];
      let start = '-';
      for (;;) {
        const page = await redis.xrange(key, start, '+', 'COUNT', PAGE);
        for (const [, fields] of page) {
          const at = fields.indexOf(FIELD);
          const json = at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
          if (json !== undefined) events.push(JSON.parse(json) as DomainEvent);
        }
        const last = page.at(-1);
        if (page.length < PAGE || last === undefined) return events;
        start = `(${last[0]}`;
      }
    },
  };
}
