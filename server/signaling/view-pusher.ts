// Pushes each participant their consultation:state when it changes. Every
// node hears of every change (the cluster bus) and pushes to its own sockets
// only. A change costs one read of the appointment and its participants and
// one view per participant with a socket on this node (not per socket); when
// everyone of the appointment on this node is a guest not admitted (as last
// pushed), it reads only their records (ConsultationService.waitingViews), since
// such a guest is shown nobody else. A view goes out only to the participant
// whose view differs from the one last sent, so many sockets, or sockets
// opened and closed in a loop, do not multiply the work or the messages.
// Pushes for one appointment never overlap (an older view cannot arrive after
// a newer one), and presence changes settle briefly first, so a device
// flickering on and off is not broadcast at every flicker.
import { createHash } from 'node:crypto';
import type { Server } from 'socket.io';
import type { Logger } from '../core/logger.ts';
import type { AppointmentId } from '../core/ids.ts';
import type { ConsultationService } from '../domain/consultation.ts';
import type { ConsultationView, ParticipantView } from '../wire/participants.ts';
import type { Presence } from './presence.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../wire/socket.ts';

type ViewServer = Server<ClientToServerEvents, ServerToClientEvents>;

export const liveRoom = (appointmentId: string): string => `live:${appointmentId}`;
export const selfRoom = (participantId: string): string => `p:${participantId}`;

/** A participant's connection as the others see it (online, reconnecting, offline). */
export type ConnectionOf = (appointmentId: string, participantId: string) => ParticipantView['connection'];
/** Video a participant paused to keep their sound clear (their media peer on this node says). */
export type VideoPausedOf = (appointmentId: string, participantId: string) => ParticipantView['videoPaused'] | null | undefined;

/** Milliseconds a presence change waits for others before it is pushed. */
const PRESENCE_SETTLE_MS = 250;
/** Above this many participants remembered as seeing others, the memory is dropped (a bound; forgetting only costs a read). */
const MAX_SEEING_OTHERS = 100_000;

interface Schedule {
  timer: ReturnType<typeof setTimeout> | undefined;
  due: number;
  running: boolean;
  again: boolean;
  /** New sockets that need the current view even if it has not changed. */
  fresh: Map<string, string>;
}

export class ViewPusher {
  readonly #io: ViewServer;
  readonly #consultations: ConsultationService;
  readonly #presence: Presence;
  readonly #log: Logger;
  readonly #connectionOf: ConnectionOf | undefined;
  readonly #videoPausedOf: VideoPausedOf | undefined;
  readonly #schedules = new Map<string, Schedule>();
  /** participant id -> a digest of the view last sent to their sockets on this node (a digest, not the view: one short string each). */
  readonly #sent = new Map<string, string>();
  readonly #waiting = new Set<string>();
  /** Participants whose view last sent here shows others (a clinician, or admitted): their pushes need every participant's record. */
  readonly #seesOthers = new Set<string>();

  constructor(deps: { io: ViewServer; consultations: ConsultationService; presence: Presence; logger: Logger; connectionOf?: ConnectionOf; videoPausedOf?: VideoPausedOf }) {
    this.#io = deps.io;
    this.#videoPausedOf = deps.videoPausedOf;
    this.#connectionOf = deps.connectionOf;
    this.#consultations = deps.consultations;
    this.#presence = deps.presence;
    this.#log = deps.logger;
  }

  /** Something about the appointment changed: push soon. */
  changed(appointmentId: string): void {
    this.#schedule(appointmentId, 0);
  }

  /** A new socket of `participantId`: it gets the current view (soon), whatever was sent before. */
  connected(appointmentId: string, participantId: string, socketId: string): void {
    this.#state(appointmentId).fresh.set(socketId, participantId);
    this.#schedule(appointmentId, 0);
  }

  /** A socket went; `last`: it was the participant's last one on this node. */
  disconnected(appointmentId: string, participantId: string, last: boolean): void {
    if (last) {
      this.#sent.delete(participantId);
      this.#waiting.delete(participantId);
      this.#seesOthers.delete(participantId);
    }
    this.#schedule(appointmentId, PRESENCE_SETTLE_MS);
  }

  /** Someone's sockets on another node came or went (or that node died): push once things settle. */
  presenceChanged(appointmentId: string): void {
    this.#schedule(appointmentId, PRESENCE_SETTLE_MS);
  }

  /** Sockets on this node of people in a waiting room, as last pushed. */
  waitingCount(): number {
    let n = 0;
    for (const id of this.#waiting) n += this.#presence.socketsOf(id);
    return n;
  }

  #state(appointmentId: string): Schedule {
    let s = this.#schedules.get(appointmentId);
    if (!s) this.#schedules.set(appointmentId, (s = { timer: undefined, due: Infinity, running: false, again: false, fresh: new Map() }));
    return s;
  }

  #schedule(appointmentId: string, delayMs: number): void {
    const s = this.#state(appointmentId);
    if (s.running) {
      s.again = true;
      return;
    }
    const due = Date.now() + delayMs;
    if (s.timer && s.due <= due) return;
    clearTimeout(s.timer);
    s.due = due;
    s.timer = setTimeout(() => void this.#run(appointmentId, s), delayMs);
  }

  async #run(appointmentId: string, s: Schedule): Promise<void> {
    s.timer = undefined;
    s.due = Infinity;
    s.running = true;
    const fresh = s.fresh;
    s.fresh = new Map();
    try {
      await this.#push(appointmentId, fresh);
    } catch (e) {
      this.#log.warn({ err: e, appointmentId }, 'could not push views');
    } finally {
      s.running = false;
      if (s.again) {
        s.again = false;
        this.#schedule(appointmentId, 0);
      } else if (!s.timer && s.fresh.size === 0) {
        this.#schedules.delete(appointmentId);
      }
    }
  }

  async #push(appointmentId: string, fresh: Map<string, string>): Promise<void> {
    const ids = this.#presence.participantsIn(appointmentId);
    // Nobody of this appointment on this node (a change heard from another node): nothing to read or send.
    if (ids.length === 0) return;
    const connectionOf = this.#connectionOf;
    const videoPausedOf = this.#videoPausedOf;
    // Someone here who sees others needs the whole list; otherwise (a fresh participant too) the narrow read, which falls back by itself.
    const args = [
      appointmentId as AppointmentId,
      ids,
      this.#presence.isConnected,
      connectionOf && ((id: string) => connectionOf(appointmentId, id)),
      videoPausedOf && ((id: string) => videoPausedOf(appointmentId, id)),
    ] as const;
    const views = ids.some((id) => this.#seesOthers.has(id)) ? await this.#consultations.views(...args) : await this.#consultations.waitingViews(...args);
    for (const [id, view] of views) {
      // Gone from this node while the views were computed: nothing to send, nothing to remember.
      if (!this.#presence.isConnected(id)) continue;
      this.#apply(appointmentId, id, view, [...fresh].filter(([, p]) => p === id).map(([socketId]) => socketId));
    }
  }

  #apply(appointmentId: string, participantId: string, view: ConsultationView, freshSockets: string[]): void {
    const open = view.status !== 'ended' && view.status !== 'cancelled';
    // Every node pushes to its own sockets only (each node sees every change).
    const mine = this.#io.local.in(selfRoom(participantId));
    if (open && view.self.state === 'admitted') mine.socketsJoin(liveRoom(appointmentId));
    else mine.socketsLeave(liveRoom(appointmentId));
    if (open && view.self.state === 'waiting') this.#waiting.add(participantId);
    else this.#waiting.delete(participantId);
    if (view.self.role === 'clinician' || view.self.state === 'admitted') {
      if (this.#seesOthers.size >= MAX_SEEING_OTHERS) this.#seesOthers.clear();
      this.#seesOthers.add(participantId);
    } else this.#seesOthers.delete(participantId);
    const digest = createHash('sha1').update(JSON.stringify(view)).digest('base64');
    if (this.#sent.get(participantId) !== digest) {
      this.#sent.set(participantId, digest);
      mine.emit('consultation:state', view);
    } else if (freshSockets.length > 0) {
      this.#io.local.to(freshSockets).emit('consultation:state', view);
    }
  }
}
