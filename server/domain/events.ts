// Domain events: every step is appended to the event store (the audit trail a
// later step makes tamper-evident) and published on a typed in-process bus,
// which the transports listen to; the domain never knows who is listening.
import { EventEmitter } from 'node:events';
import type { AppointmentId, ParticipantId } from '../core/ids.ts';
import type { Actor, DomainEvent, DomainEventType } from './model.ts';
import type { EventStore } from './stores.ts';

export type DomainBusEvents = {
  /** Something about this appointment changed; views of it are stale. */
  changed: [appointmentId: AppointmentId];
  /** A participant must lose media and/or be disconnected now. */
  participantExpelled: [appointmentId: AppointmentId, participantId: ParticipantId, reason: 'denied' | 'removed' | 'sent-back' | 'left'];
  consultationEnded: [appointmentId: AppointmentId];
  recorded: [event: DomainEvent];
};

export class DomainBus extends EventEmitter<DomainBusEvents> {}

export class EventRecorder {
  readonly #store: EventStore;
  readonly #bus: DomainBus;
  readonly #now: () => Date;

  constructor(store: EventStore, bus: DomainBus, now: () => Date) {
    this.#store = store;
    this.#bus = bus;
    this.#now = now;
  }

  async record(
    type: DomainEventType,
    appointmentId: AppointmentId | null,
    actor: Actor,
    extra: { subject?: string; outcome?: 'ok' | 'refused'; reason?: string } = {},
  ): Promise<DomainEvent> {
    const event: DomainEvent = {
      type,
      at: this.#now().toISOString(),
      appointmentId,
      actor,
      outcome: extra.outcome ?? 'ok',
      ...(extra.subject ? { subject: extra.subject } : {}),
      ...(extra.reason ? { reason: extra.reason } : {}),
    };
    await this.#store.append(event);
    this.#bus.emit('recorded', event);
    return event;
  }
}
