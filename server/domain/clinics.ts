// Clinics and their members. A membership set through the admin API or CLI
// (source 'admin') stays until removed; one from the identity provider's
// groups (source 'idp', config oidc.clinicMap) is replaced at each sign-in.
// Every change is on the audit trail with ids and role codes only.
import { AppError } from '../core/errors.ts';
import type { ClinicId } from '../core/ids.ts';
import { makeActor as by } from './actors.ts';
import type { DomainBus, EventRecorder } from './events.ts';
import type { Actor, Clinic, ClinicMember, ClinicRoles, StaffPrincipal, StaffRole, StaffSession } from './model.ts';
import { STAFF_ROLES, type UpdateClinicBody } from '../wire/auth.ts';
import type { ClinicPublicView } from '../wire/clinic-info.ts';
import type { AlertSettings } from '../wire/staff-socket.ts';
import type { Stores } from './stores.ts';
import { coordinates, DEFAULT_ALERTS } from './waiting-area.ts';

/** Roles in a fixed order, without repeats, so two sets compare as strings. */
const canonical = (roles: readonly StaffRole[]): StaffRole[] => STAFF_ROLES.filter((r) => roles.includes(r));
const sameRoles = (a: readonly StaffRole[], b: readonly StaffRole[]) => canonical(a).join() === canonical(b).join();
/** The audit subject of one membership. */
const memberSubject = (clinicId: ClinicId, userId: string) => `${clinicId}/${userId}`;

/** The running-late request of the staff socket (wire waiting:runningLate). */
export interface RunningLateRequest {
  clinicianId: string;
  clinicId?: ClinicId | undefined;
  /** 0 clears the notice. */
  minutes: number;
}

export class ClinicService {
  readonly #stores: Stores;
  readonly #events: EventRecorder;
  readonly #bus: DomainBus | undefined;
  readonly #now: () => Date;
  readonly #runningLateSeconds: number;

  /** `bus`: tells the transports a running-late notice changed; `runningLateHours`: how long a notice is kept (4 by default). */
  constructor(deps: { stores: Stores; events: EventRecorder; now: () => Date; bus?: DomainBus; runningLateHours?: number }) {
    this.#stores = deps.stores;
    this.#events = deps.events;
    this.#bus = deps.bus;
    this.#now = deps.now;
    this.#runningLateSeconds = (deps.runningLateHours ?? 4) * 3600;
  }

  async create(body: { id: ClinicId; name: string }, actor: Actor): Promise<Clinic> {
    const at = this.#now().toISOString();
    const clinic: Clinic = { id: body.id, name: body.name, settings: {}, createdAt: at, updatedAt: at };
    if (!(await this.#stores.clinics.create(clinic))) throw new AppError('ALREADY_EXISTS', 'A clinic with that id exists.');
    await this.#events.record('clinic.created', null, actor, { subject: clinic.id });
    return clinic;
  }

  /** Renames it and/or changes what patients are shown: a setting given as null is removed, one not given is kept. */
  async update(id: ClinicId, body: UpdateClinicBody, actor: Actor): Promise<Clinic> {
    const before = await this.get(id);
    const settings: Record<string, string> = { ...before.settings };
    for (const [key, value] of Object.entries(body.settings ?? {})) {
      if (value === null || value === undefined) delete settings[key];
      else settings[key] = value;
    }
    const clinic: Clinic = { ...before, name: body.name ?? before.name, settings, updatedAt: this.#now().toISOString() };
    if (!(await this.#stores.clinics.update(clinic))) throw new AppError('NOT_FOUND');
    await this.#events.record('clinic.updated', null, actor, { subject: id });
    return clinic;
  }

  /** What patients are shown about a clinic; null for none (or one since removed). */
  async publicView(id: ClinicId | undefined): Promise<ClinicPublicView | null> {
    const clinic = id === undefined ? null : await this.#stores.clinics.get(id);
    return clinic && { name: clinic.name, ...clinic.settings };
  }

  /**
   * "Running about N minutes late" for a clinician (0 clears it): set by the
   * clinician for themselves, or by a coordinator of a clinic they are a
   * clinician in (the named one, or any the coordinator coordinates). Kept
   * runningLateHours unless cleared; audited with the minutes as the reason.
   */
  async setRunningLate(s: StaffSession, req: RunningLateRequest, address?: string): Promise<void> {
    const self = req.clinicianId === s.clinicianId && (s.roles.includes('clinician') || s.clinics.some((c) => c.roles.includes('clinician')));
    if (!self && !(await this.#coordinatesClinicianOf(s, req.clinicianId, req.clinicId))) {
      throw new AppError('NOT_PERMITTED', "Only the clinic's coordinator, or the clinician, can say this.");
    }
    const at = this.#now().toISOString();
    const record = req.minutes > 0 ? { clinicianId: req.clinicianId, minutes: req.minutes, since: at, setBy: s.clinicianId } : null;
    await this.#stores.clinics.setRunningLate(req.clinicianId, record, this.#runningLateSeconds);
    await this.#events.record('clinician.running_late', null, by('staff', s.clinicianId, address), { subject: req.clinicianId, reason: String(req.minutes) });
    this.#bus?.safeEmit('runningLate', req.clinicianId);
  }

  async #coordinatesClinicianOf(s: StaffSession, clinicianId: string, clinicId: ClinicId | undefined): Promise<boolean> {
    const theirs = await this.#stores.clinics.membershipsOf(clinicianId);
    return theirs.some((m) => m.roles.includes('clinician') && (clinicId === undefined || m.clinicId === clinicId) && coordinates(s, m.clinicId));
  }

  /** A staff member's arrival-alert settings (sound on by default). */
  async alerts(userId: string): Promise<AlertSettings> {
    return (await this.#stores.clinics.getStaff(userId))?.alerts ?? DEFAULT_ALERTS;
  }

  /** Saves a staff member's own alert settings on their record (made if they never signed in through the provider). */
  async setAlerts(s: StaffSession, alerts: AlertSettings, address?: string): Promise<AlertSettings> {
    const staff = await this.#stores.clinics.getStaff(s.clinicianId);
    const saved: AlertSettings = { sound: alerts.sound };
    await this.#stores.clinics.putStaff({ userId: s.clinicianId, name: staff?.name ?? s.clinicianName, roles: staff?.roles ?? [], alerts: saved, updatedAt: this.#now().toISOString() });
    await this.#events.record('alerts.changed', null, by('staff', s.clinicianId, address), { subject: s.clinicianId, reason: saved.sound ? 'sound-on' : 'sound-off' });
    return saved;
  }

  async get(id: ClinicId): Promise<Clinic> {
    const clinic = await this.#stores.clinics.get(id);
    if (!clinic) throw new AppError('NOT_FOUND');
    return clinic;
  }

  list(): Promise<Clinic[]> {
    return this.#stores.clinics.list();
  }

  /** Sets a member's roles in a clinic (source 'admin': kept across sign-ins). */
  async setMember(clinicId: ClinicId, userId: string, roles: readonly StaffRole[], actor: Actor): Promise<ClinicMember> {
    await this.get(clinicId);
    const member: ClinicMember = { clinicId, userId, roles: canonical(roles), source: 'admin', updatedAt: this.#now().toISOString() };
    await this.#stores.clinics.setMember(member);
    await this.#events.record('clinic.member_set', null, actor, { subject: memberSubject(clinicId, userId), reason: member.roles.join(',') });
    return member;
  }

  /** Removes a member (either source); NOT_FOUND when they are not one. */
  async removeMember(clinicId: ClinicId, userId: string, actor: Actor): Promise<void> {
    await this.get(clinicId);
    if (!(await this.#stores.clinics.removeMember(clinicId, userId))) throw new AppError('NOT_FOUND', 'That person is not a member of this clinic.');
    await this.#events.record('clinic.member_removed', null, actor, { subject: memberSubject(clinicId, userId) });
  }

  async members(clinicId: ClinicId): Promise<ClinicMember[]> {
    await this.get(clinicId);
    return this.#stores.clinics.members(clinicId);
  }

  /**
   * At sign-in: the identity provider's word on someone's roles. Their 'idp'
   * memberships are replaced by `idpClinics` (clinics not recorded here are
   * skipped: the caller logs them); 'admin' ones are kept, and where both
   * name a clinic the admin record stays and the roles add up. A change of
   * trust-wide or idp clinic roles (a first sign-in included) is audited as
   * role.changed, with the new roles as the reason.
   */
  async syncFromIdp(userId: string, name: string, trustRoles: readonly StaffRole[], idpClinics: readonly ClinicRoles[], actor: Actor): Promise<StaffPrincipal> {
    const at = this.#now().toISOString();
    const before = await this.#stores.clinics.membershipsOf(userId);
    const wanted = new Map<ClinicId, StaffRole[]>();
    for (const c of idpClinics) {
      if (!(await this.#stores.clinics.get(c.clinicId))) continue;
      wanted.set(c.clinicId, canonical([...(wanted.get(c.clinicId) ?? []), ...c.roles]));
    }
    const adminOf = new Map(before.filter((m) => m.source === 'admin').map((m) => [m.clinicId, m]));
    const idpBefore = new Map(before.filter((m) => m.source === 'idp').map((m) => [m.clinicId, m]));
    for (const m of idpBefore.values()) if (!wanted.has(m.clinicId)) await this.#stores.clinics.removeMember(m.clinicId, userId);
    let clinicsChanged = [...idpBefore.keys()].some((id) => !wanted.has(id));
    for (const [clinicId, roles] of wanted) {
      if (adminOf.has(clinicId)) continue;
      const old = idpBefore.get(clinicId);
      if (old && sameRoles(old.roles, roles)) continue;
      clinicsChanged = true;
      await this.#stores.clinics.setMember({ clinicId, userId, roles, source: 'idp', updatedAt: at });
    }
    const staff = await this.#stores.clinics.getStaff(userId);
    const roles = canonical(trustRoles);
    const trustChanged = staff ? !sameRoles(staff.roles, roles) : roles.length > 0;
    await this.#stores.clinics.putStaff({ userId, name, roles, ...(staff?.alerts ? { alerts: staff.alerts } : {}), updatedAt: at });
    const principal = await this.principalFor(userId, name, roles);
    // Clinic roles from the provider that an admin record covers still count for this sign-in.
    principal.clinics = principal.clinics.map((c) => (adminOf.has(c.clinicId) && wanted.has(c.clinicId) ? { clinicId: c.clinicId, roles: canonical([...c.roles, ...wanted.get(c.clinicId)!]) } : c));
    if (trustChanged || clinicsChanged) {
      const reason = [...roles, ...principal.clinics.flatMap((c) => c.roles.map((r) => `${c.clinicId}:${r}`))].join(',');
      await this.#events.record('role.changed', null, actor, { subject: userId, ...(reason ? { reason } : {}) });
    }
    return principal;
  }

  /** Who someone is here: the given trust-wide roles and their recorded clinic memberships. */
  async principalFor(userId: string, name: string, trustRoles: readonly StaffRole[]): Promise<StaffPrincipal> {
    const memberships = await this.#stores.clinics.membershipsOf(userId);
    return {
      userId,
      name,
      roles: canonical(trustRoles),
      clinics: memberships.filter((m) => m.roles.length > 0).map((m) => ({ clinicId: m.clinicId, roles: canonical(m.roles) })),
    };
  }
}
