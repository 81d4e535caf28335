// The waiting areas of this node's staff sockets, kept live. One cache of who
// waits per appointment serves every watching socket: a change to an
// appointment costs one read of it and its participants (and only when some
// socket's scope includes it), then each socket whose scope includes it gets
// its whole view again, only if it differs from the one last sent. An arrival
// (someone who began to wait, not a reconnect) is announced once, before the
// view that shows it, to the sockets alerted for it.
import type { Logger } from '../core/logger.ts';
import type { AppointmentId } from '../core/ids.ts';
import type { DomainBus } from '../domain/events.ts';
import type { Appointment, RunningLateRecord, StaffSession } from '../domain/model.ts';
import {
  alertedFor,
  arrivalIdOf,
  buildView,
  entriesOf,
  inScope,
  scopeFor,
  type ConnectionInfo,
  type WaitingAreaReader,
  type WaitingScope,
} from '../domain/waiting-area.ts';
import type { AlertSettings, StaffServerToClientEvents, WaitingAreaView, WaitingEntry } from '../wire/staff-socket.ts';
import type { StaffPresence } from './staff-presence.ts';

/** What the board needs of a socket: its id and a way to send it a push. */
export interface BoardSocket {
  id: string;
  connected: boolean;
  emit<K extends keyof StaffServerToClientEvents>(event: K, ...args: Parameters<StaffServerToClientEvents[K]>): boolean;
}

interface Viewer {
  socket: BoardSocket;
  session: StaffSession;
  scope: WaitingScope;
  clinics: WaitingAreaView['clinics'];
  clinicians: WaitingAreaView['clinicians'];
  settings: AlertSettings;
  /** The view last sent (serialized). */
  sent: string;
}

interface Cached {
  appointment: Appointment;
  entries: WaitingEntry[];
}

/** Arrivals remembered as announced (a reconnect or a repeated event never alerts twice); the oldest are forgotten past this. */
const ANNOUNCED_MAX = 10_000;

export interface WaitingBoardDeps {
  reader: WaitingAreaReader;
  presence: StaffPresence;
  connection: ConnectionInfo;
  bus: DomainBus;
  logger: Logger;
  /** How long a running-late notice lasts (the store's TTL), so a cached one lapses on time. */
  runningLateSeconds: number;
  now: () => number;
}

export class WaitingBoard {
  readonly #d: WaitingBoardDeps;
  readonly #viewers = new Map<string, Viewer>();
  readonly #cache = new Map<string, Cached>();
  /** clinician id -> their notice (null: none), as last read. */
  readonly #late = new Map<string, RunningLateRecord | null>();
  /** arrival id -> appointment id: told by the domain, announced once the appointment's re-read shows them. */
  readonly #pending = new Map<string, string>();
  readonly #announced = new Set<string>();
  readonly #dirty = new Set<string>();
  #flushing = false;

  constructor(deps: WaitingBoardDeps) {
    this.#d = deps;
  }

  /** The socket watches `asked` from now on; answers its view (later ones are pushed). */
  async watch(socket: BoardSocket, session: StaffSession, asked: WaitingScope): Promise<WaitingAreaView> {
    const { reader } = this.#d;
    const scope = scopeFor(session, asked);
    const clinics = await reader.clinicsOf(session);
    const [clinicians, settings, appointments] = await Promise.all([reader.cliniciansFor(session, clinics), reader.alerts(session.clinicianId), reader.appointmentsFor(session, scope)]);
    await Promise.all(appointments.map(async (a) => this.#store(a, await reader.participants(a.id))));
    const viewer: Viewer = { socket, session, scope, clinics, clinicians, settings, sent: '' };
    await this.#readLate(this.#clinicianIdsOf(viewer, this.#entriesFor(viewer)));
    const before = this.#viewers.get(socket.id);
    // Gone while this was read: it watches nothing.
    if (!socket.connected) return this.#viewOf(viewer);
    this.#viewers.set(socket.id, viewer);
    this.#d.presence.watch(socket.id, { session, scope });
    this.#awarenessChanged(before, viewer);
    const view = this.#viewOf(viewer);
    viewer.sent = JSON.stringify(view);
    return view;
  }

  /** The socket went: it stops counting as someone who knows who waits. */
  unwatch(socketId: string): void {
    const before = this.#viewers.get(socketId);
    if (!before) return;
    this.#viewers.delete(socketId);
    this.#d.presence.unwatch(socketId);
    this.#awarenessChanged(before, undefined);
    // Forget appointments nobody watches any more (the cache lives only for its viewers).
    for (const [id, c] of this.#cache) if (![...this.#viewers.values()].some((v) => inScope(v.session, v.scope, c.appointment))) this.#cache.delete(id);
  }

  /** Something about the appointment changed (who waits, their connection, its clinician): re-read it soon. */
  changed(appointmentId: string): void {
    if (this.#viewers.size === 0) return;
    this.#dirty.add(appointmentId);
    if (this.#flushing) return;
    this.#flushing = true;
    // A burst of changes (a page's socket and its entry into the room) is read once.
    setImmediate(() => void this.#flush());
  }

  /** Someone began to wait: announce it once the re-read shows them. */
  arrived(appointmentId: string, participantId: string, waitingSince: string): void {
    if (this.#viewers.size === 0) return;
    this.#pending.set(arrivalIdOf(participantId, waitingSince), appointmentId);
    this.changed(appointmentId);
  }

  /** A clinician's running-late notice changed. */
  async runningLate(clinicianId: string): Promise<void> {
    this.#late.delete(clinicianId);
    await this.#readLate([clinicianId]);
    for (const v of this.#viewers.values()) this.#push(v);
  }

  /** A staff member saved their alert settings: every socket of theirs shows them. */
  settingsChanged(userId: string, settings: AlertSettings): void {
    for (const v of this.#viewers.values()) {
      if (v.session.clinicianId !== userId) continue;
      v.settings = settings;
      this.#push(v);
    }
  }

  async #flush(): Promise<void> {
    try {
      while (this.#dirty.size > 0) {
        const ids = [...this.#dirty];
        this.#dirty.clear();
        await Promise.all(ids.map((id) => this.#refresh(id as AppointmentId).catch((e: unknown) => this.#d.logger.warn({ err: e, appointmentId: id }, 'could not refresh the waiting area'))));
      }
    } finally {
      this.#flushing = false;
      if (this.#dirty.size > 0) this.changed([...this.#dirty][0]!);
    }
  }

  async #refresh(id: AppointmentId): Promise<void> {
    const before = this.#cache.get(id);
    const appointment = await this.#d.reader.appointment(id);
    const watched = (a: Appointment) => [...this.#viewers.values()].some((v) => inScope(v.session, v.scope, a));
    if (!appointment || !watched(appointment)) {
      this.#cache.delete(id);
      for (const [arrival, apt] of this.#pending) if (apt === id) this.#pending.delete(arrival);
      if (before) this.#pushWhere(before.appointment);
      return;
    }
    const entries = this.#store(appointment, await this.#d.reader.participants(id));
    if (!this.#late.has(appointment.clinician.id)) await this.#readLate([appointment.clinician.id]);
    this.#announce(appointment, entries);
    this.#pushWhere(appointment, before?.appointment);
  }

  #store(appointment: Appointment, participants: Parameters<typeof entriesOf>[1]): WaitingEntry[] {
    const entries = entriesOf(appointment, participants, this.#d.connection);
    this.#cache.set(appointment.id, { appointment, entries });
    return entries;
  }

  #announce(appointment: Appointment, entries: readonly WaitingEntry[]): void {
    for (const [arrivalId, apt] of this.#pending) {
      if (apt !== appointment.id) continue;
      this.#pending.delete(arrivalId);
      const entry = entries.find((e) => e.arrivalId === arrivalId);
      if (!entry || this.#announced.has(arrivalId)) continue;
      this.#announced.add(arrivalId);
      if (this.#announced.size > ANNOUNCED_MAX) this.#announced.delete(this.#announced.values().next().value!);
      const payload = { arrivalId, appointmentId: entry.appointmentId, participantId: entry.participantId, name: entry.name, clinicianId: entry.clinicianId };
      for (const v of this.#viewers.values()) if (alertedFor(v.session, v.scope, appointment)) v.socket.emit('waiting:arrived', payload);
    }
  }

  /** Pushes to every socket whose scope includes the appointment (as it is, or as it was: a re-assigned one leaves a view). */
  #pushWhere(now: Appointment, was?: Appointment): void {
    for (const v of this.#viewers.values()) {
      if (inScope(v.session, v.scope, now) || (was && inScope(v.session, v.scope, was))) this.#push(v);
    }
  }

  #push(v: Viewer): void {
    const view = this.#viewOf(v);
    const text = JSON.stringify(view);
    if (text === v.sent) return;
    v.sent = text;
    v.socket.emit('waiting:view', view);
  }

  #entriesFor(v: Viewer): WaitingEntry[] {
    const entries: WaitingEntry[] = [];
    for (const c of this.#cache.values()) if (inScope(v.session, v.scope, c.appointment)) entries.push(...c.entries);
    return entries;
  }

  #viewOf(v: Viewer): WaitingAreaView {
    const entries = this.#entriesFor(v);
    const now = this.#d.now();
    const late = this.#clinicianIdsOf(v, entries).flatMap((id) => {
      const r = this.#late.get(id);
      return r && Date.parse(r.since) + this.#d.runningLateSeconds * 1000 > now ? [r] : [];
    });
    return buildView({ scope: v.scope, clinics: v.clinics, entries, runningLate: late, settings: v.settings, clinicians: v.clinicians });
  }

  /** The clinicians whose running late a viewer is shown: themselves, those they may re-assign to, those of the people waiting. */
  #clinicianIdsOf(v: Viewer, entries: readonly WaitingEntry[] = []): string[] {
    return [...new Set([v.session.clinicianId, ...v.clinicians.map((c) => c.id), ...entries.map((e) => e.clinicianId)])];
  }

  async #readLate(ids: readonly string[]): Promise<void> {
    const missing = ids.filter((id) => !this.#late.has(id));
    if (missing.length === 0) return;
    const found = await this.#d.reader.runningLate(missing);
    for (const id of missing) this.#late.set(id, found.find((r) => r.clinicianId === id) ?? null);
  }

  /** The patients of appointments a socket is (or was) alerted for are told whether someone knows they wait. */
  #awarenessChanged(before: Viewer | undefined, after: Viewer | undefined): void {
    for (const c of this.#cache.values()) {
      if (c.entries.length === 0) continue;
      const was = before ? alertedFor(before.session, before.scope, c.appointment) : false;
      const is = after ? alertedFor(after.session, after.scope, c.appointment) : false;
      if (was || is) this.#d.bus.safeEmit('viewsStale', c.appointment.id);
    }
  }
}
