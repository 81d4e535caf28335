// The clinic waiting area: who a staff member sees waiting (their own
// patients, or their clinics'), who is alerted when someone arrives, and the
// reads that build the view. Pure rules over the stores; connection state comes
// in as functions from the signalling layer. Who counts as waiting is the one
// rule in participants.ts (isWaiting), as for the clinician's lobby.
import type { AppointmentId, ClinicId } from '../core/ids.ts';
import type { Appointment, Participant, RunningLateRecord, StaffSession } from './model.ts';
import { isWaiting } from './participants.ts';
import type { Stores } from './stores.ts';
import type { PrecallCheckView } from '../wire/precall.ts';
import type { AlertSettings, WaitingAreaView, WaitingEntry } from '../wire/staff-socket.ts';

export type WaitingScope = WaitingAreaView['scope'];
/** What the rules need of a staff session. */
export type StaffWho = Pick<StaffSession, 'clinicianId' | 'roles' | 'clinics'>;
/** What the rules need of an appointment. */
export type AppointmentWhere = Pick<Appointment, 'clinician' | 'clinicId'>;

export const DEFAULT_ALERTS: AlertSettings = { sound: true };

/** How far either side of now the waiting area looks for appointments someone may be waiting for (a day). */
const SCAN_MS = 24 * 3600 * 1000;

/** Trust-wide coordinators and trust admins see, and act in, every clinic. */
const everyClinic = (s: StaffWho): boolean => s.roles.includes('trust-admin') || s.roles.includes('clinic-coordinator');

/** May act as the clinic's coordinator (message, re-assign, running late for its clinicians). */
export function coordinates(s: StaffWho, clinicId: ClinicId | undefined): boolean {
  if (clinicId === undefined) return false;
  return everyClinic(s) || s.clinics.some((c) => c.clinicId === clinicId && c.roles.includes('clinic-coordinator'));
}

/** Holds any role in the clinic (its waiting area is theirs to see). */
export const memberOf = (s: StaffWho, clinicId: ClinicId | undefined): boolean =>
  clinicId !== undefined && (everyClinic(s) || s.clinics.some((c) => c.clinicId === clinicId && c.roles.length > 0));

/** Someone with no clinician role has no patients of their own: they always see the clinic's. */
export const scopeFor = (s: StaffWho, asked: WaitingScope): WaitingScope =>
  s.roles.includes('clinician') || s.clinics.some((c) => c.roles.includes('clinician')) ? asked : 'clinic';

/** Whether a socket watching `scope` shows this appointment's waiting people. */
export const inScope = (s: StaffWho, scope: WaitingScope, a: AppointmentWhere): boolean =>
  a.clinician.id === s.clinicianId || (scope === 'clinic' && memberOf(s, a.clinicId));

/**
 * Whether a socket watching `scope` is alerted when someone arrives for this
 * appointment: its clinician (either scope), or a coordinator of its clinic
 * watching the clinic. The patient's "your clinician knows you are here" is
 * true exactly while such a socket is connected.
 */
export const alertedFor = (s: StaffWho, scope: WaitingScope, a: AppointmentWhere): boolean =>
  a.clinician.id === s.clinicianId || (scope === 'clinic' && coordinates(s, a.clinicId));

/** One arrival: a participant and when they began to wait (a reconnect keeps it, so it is alerted once). */
export const arrivalIdOf = (participantId: string, waitingSince: string): string => `${participantId}:${waitingSince}`;

/** What the signalling layer knows of a participant's connection. */
export interface ConnectionInfo {
  isConnected: (participantId: string) => boolean;
  connectionOf: (appointmentId: string, participantId: string) => WaitingEntry['connection'];
}

/** The people waiting for one appointment (none once it is over). */
export function entriesOf(a: Appointment, participants: readonly Participant[], conn: ConnectionInfo): WaitingEntry[] {
  if (a.status === 'ended' || a.status === 'cancelled') return [];
  return participants
    .filter((p) => p.role !== 'clinician' && isWaiting(p, conn.isConnected))
    .map((p) => {
      const since = p.waitingSince ?? p.updatedAt;
      return {
        arrivalId: arrivalIdOf(p.id, since),
        appointmentId: a.id,
        participantId: p.id,
        name: p.name,
        role: p.role,
        clinicianId: a.clinician.id,
        clinicianName: a.clinician.name,
        ...(a.clinicId !== undefined ? { clinicId: a.clinicId } : {}),
        startsAt: a.startsAt,
        waitingSince: since,
        device: p.device,
        linkReused: p.linkReused,
        connection: conn.connectionOf(a.id, p.id),
        ...(p.check ? { check: checkView(p.check) } : {}),
      };
    });
}

/** A stored pre-call check as the waiting area shows it, field by field (nothing else a record may hold). */
export function checkView(c: PrecallCheckView): PrecallCheckView {
  const n = c.network;
  return {
    camera: c.camera,
    microphone: c.microphone,
    ...(n
      ? {
          network: {
            udp: n.udp,
            tcp: n.tcp,
            relay: n.relay,
            ...(n.uploadKbps !== undefined ? { uploadKbps: n.uploadKbps } : {}),
            ...(n.lossPercent !== undefined ? { lossPercent: n.lossPercent } : {}),
            verdict: n.verdict,
          },
        }
      : {}),
  };
}

/** Oldest arrival first (then by arrival id, so equal times keep one order). */
export const byArrival = (x: WaitingEntry, y: WaitingEntry): number =>
  x.waitingSince < y.waitingSince ? -1 : x.waitingSince > y.waitingSince ? 1 : x.arrivalId < y.arrivalId ? -1 : x.arrivalId > y.arrivalId ? 1 : 0;

/** The view one socket is shown, from what is known (the caller picks the entries in scope). */
export function buildView(v: {
  scope: WaitingScope;
  clinics: WaitingAreaView['clinics'];
  entries: readonly WaitingEntry[];
  runningLate: readonly RunningLateRecord[];
  settings: AlertSettings;
  clinicians: WaitingAreaView['clinicians'];
}): WaitingAreaView {
  return {
    scope: v.scope,
    clinics: v.clinics,
    entries: [...v.entries].sort(byArrival),
    runningLate: v.runningLate.map((r) => ({ clinicianId: r.clinicianId, minutes: r.minutes, since: r.since })).sort((x, y) => (x.clinicianId < y.clinicianId ? -1 : 1)),
    settings: { sound: v.settings.sound },
    clinicians: v.clinicians,
  };
}

/** The reads behind a waiting area (each a few store calls; the signalling layer caches what it can). */
export class WaitingAreaReader {
  readonly #stores: Stores;
  readonly #now: () => Date;

  constructor(deps: { stores: Stores; now: () => Date }) {
    this.#stores = deps.stores;
    this.#now = deps.now;
  }

  /** The clinics a 'clinic' scope shows: every clinic for trust-wide coordinators and admins, else their own. */
  async clinicsOf(s: StaffWho): Promise<WaitingAreaView['clinics']> {
    const all = await this.#stores.clinics.list();
    return all.filter((c) => memberOf(s, c.id)).map((c) => ({ id: c.id, name: c.name }));
  }

  /**
   * The appointments whose waiting people the scope may show: the viewer's
   * own and (clinic scope) their clinics', starting within a day either side
   * of now (a link is open only around its time), open ones only.
   */
  async appointmentsFor(s: StaffWho, scope: WaitingScope): Promise<Appointment[]> {
    const now = this.#now().getTime();
    const from = new Date(now - SCAN_MS).toISOString();
    const to = new Date(now + SCAN_MS).toISOString();
    const lists = [this.#stores.appointments.listForClinician(s.clinicianId, from, to)];
    if (scope === 'clinic') for (const c of await this.clinicsOf(s)) lists.push(this.#stores.appointments.listForClinic(c.id as ClinicId, from, to));
    const byId = new Map<string, Appointment>();
    for (const a of (await Promise.all(lists)).flat()) if (a.status !== 'ended' && a.status !== 'cancelled') byId.set(a.id, a);
    return [...byId.values()];
  }

  /** A clinician's appointments within a day either side of now (to re-push their patients' views). */
  async appointmentIdsOf(clinicianId: string): Promise<AppointmentId[]> {
    const now = this.#now().getTime();
    const list = await this.#stores.appointments.listForClinician(clinicianId, new Date(now - SCAN_MS).toISOString(), new Date(now + SCAN_MS).toISOString());
    return list.map((a) => a.id);
  }

  appointment(id: AppointmentId): Promise<Appointment | null> {
    return this.#stores.appointments.get(id);
  }

  participants(id: AppointmentId): Promise<Participant[]> {
    return this.#stores.participants.listForAppointment(id);
  }

  /** The clinicians of the clinics this person coordinates (whom a patient may be re-assigned to); empty for anyone else. */
  async cliniciansFor(s: StaffWho, clinics: WaitingAreaView['clinics']): Promise<WaitingAreaView['clinicians']> {
    const out: WaitingAreaView['clinicians'] = [];
    for (const c of clinics) {
      if (!coordinates(s, c.id as ClinicId)) continue;
      for (const m of await this.#stores.clinics.members(c.id as ClinicId)) {
        if (m.roles.includes('clinician')) out.push({ id: m.userId, name: await this.staffName(m.userId), clinicId: c.id });
      }
    }
    return out;
  }

  /** A staff member's name as last seen (signing in, or on one of their appointments); their id when unknown. */
  async staffName(userId: string): Promise<string> {
    const staff = await this.#stores.clinics.getStaff(userId);
    if (staff) return staff.name;
    const now = this.#now().getTime();
    const theirs = await this.#stores.appointments.listForClinician(userId, new Date(now - 30 * SCAN_MS).toISOString(), new Date(now + 30 * SCAN_MS).toISOString());
    return theirs.at(-1)?.clinician.name ?? userId;
  }

  runningLate(clinicianIds: readonly string[]): Promise<RunningLateRecord[]> {
    return this.#stores.clinics.runningLate([...new Set(clinicianIds)]);
  }

  async alerts(userId: string): Promise<AlertSettings> {
    return (await this.#stores.clinics.getStaff(userId))?.alerts ?? DEFAULT_ALERTS;
  }
}
