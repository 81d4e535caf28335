// Domain events: every step is appended to the trust's audit chain (a
// tamper-evident hash chain, see audit/) and published on a typed in-process
// bus, which the transports listen to; the domain never knows who is listening.
import { EventEmitter } from 'node:events';
import type { AppointmentId, ParticipantId, SessionId } from '../core/ids.ts';
import { AuditChain } from './audit/chain.ts';
import type { AuditEntry } from './audit/record.ts';
import type { Actor, DomainEvent, DomainEventType, ThreadItem } from './model.ts';
import type { EventStore } from './stores.ts';

export type DomainBusEvents = {
  /** Something about this appointment changed; views of it are stale. */
  changed: [appointmentId: AppointmentId];
  /** A participant must lose media and/or be disconnected now. */
  participantExpelled: [appointmentId: AppointmentId, participantId: ParticipantId, reason: 'denied' | 'removed' | 'sent-back' | 'left'];
  consultationEnded: [appointmentId: AppointmentId];
  /** A device session ended (logout or revocation): its sockets must be disconnected now. */
  sessionEnded: [sessionId: SessionId];
  /** A new thread entry; transports deliver it to whoever may see it (ThreadService.visibleTo). */
  threadItem: [item: ThreadItem];
  recorded: [event: DomainEvent];
};

export class DomainBus extends EventEmitter<DomainBusEvents> {}

export interface EventRecorderOptions {
  /** Record the actor's IP address as the record's source (audit.recordSourceAddress); true by default. */
  recordSourceAddress?: boolean;
}

export class EventRecorder {
  readonly #chain: AuditChain;
  readonly #bus: DomainBus;
  readonly #now: () => Date;
  readonly #recordSource: boolean;

  constructor(store: EventStore, bus: DomainBus, now: () => Date, opts: EventRecorderOptions = {}) {
    this.#chain = new AuditChain(store);
    this.#bus = bus;
    this.#now = now;
    this.#recordSource = opts.recordSourceAddress ?? true;
  }

  async record(
    type: DomainEventType,
    appointmentId: AppointmentId | null,
    actor: Actor,
    extra: { subject?: string; outcome?: 'ok' | 'refused'; reason?: string; sha256?: string } = {},
  ): Promise<DomainEvent> {
    const source = this.#recordSource && actor.address ? actor.address : undefined;
    const event: DomainEvent = {
      type,
      at: this.#now().toISOString(),
      appointmentId,
      actor: { role: actor.role, id: actor.id, ...(source ? { address: source } : {}) },
      outcome: extra.outcome ?? 'ok',
      ...(extra.subject ? { subject: extra.subject } : {}),
      ...(extra.reason ? { reason: extra.reason } : {}),
      ...(extra.sha256 ? { sha256: extra.sha256 } : {}),
    };
    const entry: AuditEntry = {
      time: event.at,
      appointmentId,
      actor: { role: actor.role, id: actor.id },
      action: type,
      outcome: event.outcome,
      ...(event.subject ? { subject: event.subject } : {}),
      ...(event.reason ? { reason: event.reason } : {}),
      ...(event.sha256 ? { sha256: event.sha256 } : {}),
      ...(source ? { source } : {}),
    };
    await this.#chain.append(entry);
    this.#bus.emit('recorded', event);
    return event;
  }
}
