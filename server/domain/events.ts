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
  /** link-reissued: the link they came in through was replaced by a new one (AppointmentService.reissueLink). */
  participantExpelled: [appointmentId: AppointmentId, participantId: ParticipantId, reason: 'denied' | 'removed' | 'sent-back' | 'left' | 'link-reissued'];
  /** Over for everyone: ended by the clinician, or the appointment cancelled (absent: ended). */
  consultationEnded: [appointmentId: AppointmentId, reason?: 'ended' | 'cancelled'];
  /** A device session ended (logout or revocation): its sockets must be disconnected now. */
  sessionEnded: [sessionId: SessionId];
  /** A new thread entry; transports deliver it to whoever may see it (ThreadService.visibleTo). */
  threadItem: [item: ThreadItem];
  recorded: [event: DomainEvent];
  /** Someone began to wait (not a reconnect): the clinic's waiting area alerts once per arrival. */
  arrived: [appointmentId: AppointmentId, participantId: ParticipantId, waitingSince: string];
  /** A participant's sockets on this node came or went (the waiting area shows their connection). */
  connectionChanged: [appointmentId: AppointmentId];
  /** The appointment was given to another clinician; `participantId`: the old clinician's place in it, if they had one. */
  reassigned: [appointmentId: AppointmentId, participantId: ParticipantId | null];
  /** A clinician's running-late notice was set or cleared. */
  runningLate: [clinicianId: string];
  /** What the appointment's people are shown changed outside the appointment (someone began or stopped watching the waiting area, running late): push their views again. */
  viewsStale: [appointmentId: AppointmentId];
};

/** Where a listener's failure is reported (the server's logger, from deps.ts). */
export interface ListenerFailureLog {
  error(obj: { err: unknown; event: string }, msg: string): void;
}

const stderrLog: ListenerFailureLog = { error: (obj, msg) => console.error(msg, obj) };

/**
 * The domain's events. Services publish with `safeEmit` (as mediasoup's
 * enhancedEvents does): by the time an event is published the store write and
 * the audit record are done, so a listener that throws or rejects is logged
 * and the remaining listeners still run; the caller's operation never fails
 * because of who is listening.
 */
export class DomainBus extends EventEmitter<DomainBusEvents> {
  readonly #log: ListenerFailureLog;
  #replaying = false;

  /** Without a logger (unit tests), listener failures go to stderr. */
  constructor(log: ListenerFailureLog = stderrLog) {
    super();
    this.#log = log;
  }

  safeEmit<K extends keyof DomainBusEvents>(event: K, ...args: DomainBusEvents[K]): boolean {
    return this.#dispatch(false, event, args);
  }

  /**
   * True while listeners run for an event another node published (replay()),
   * so the bridge to the other nodes does not send it back; an event a
   * listener emits meanwhile is this node's own again.
   */
  get replaying(): boolean {
    return this.#replaying;
  }

  /** Emits, as safeEmit does, an event another node published (see replaying). */
  replay<K extends keyof DomainBusEvents>(event: K, ...args: DomainBusEvents[K]): boolean {
    return this.#dispatch(true, event, args);
  }

  #dispatch<K extends keyof DomainBusEvents>(replaying: boolean, event: K, args: DomainBusEvents[K]): boolean {
    const outer = this.#replaying;
    this.#replaying = replaying;
    try {
      // rawListeners keeps `once` wrappers, so a once-listener still removes itself.
      const listeners = this.rawListeners(event) as ((...a: DomainBusEvents[K]) => unknown)[];
      for (const listener of listeners) {
        try {
          const result = listener.apply(this, args);
          if (result instanceof Promise) result.catch((err: unknown) => this.#failed(event, err));
        } catch (err) {
          this.#failed(event, err);
        }
      }
      return listeners.length > 0;
    } finally {
      this.#replaying = outer;
    }
  }

  #failed(event: string, err: unknown): void {
    this.#log.error({ err, event }, 'a domain event listener failed; the operation that emitted it stands');
  }
}

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
    this.#bus.safeEmit('recorded', event);
    return event;
  }
}
