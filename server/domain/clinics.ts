// Clinics and their members. A membership set through the admin API or CLI
// (source 'admin') stays until removed; one from the identity provider's
// groups (source 'idp', config oidc.clinicMap) is replaced at each sign-in.
// Every change is on the audit trail with ids and role codes only.
import { AppError } from '../core/errors.ts';
import type { ClinicId } from '../core/ids.ts';
import type { EventRecorder } from './events.ts';
import type { Actor, Clinic, ClinicMember, ClinicRoles, StaffPrincipal, StaffRole } from './model.ts';
import { STAFF_ROLES } from '../wire/auth.ts';
import type { Stores } from './stores.ts';

/** Roles in a fixed order, without repeats, so two sets compare as strings. */
const canonical = (roles: readonly StaffRole[]): StaffRole[] => STAFF_ROLES.filter((r) => roles.includes(r));
const sameRoles = (a: readonly StaffRole[], b: readonly StaffRole[]) => canonical(a).join() === canonical(b).join();
/** The audit subject of one membership. */
const memberSubject = (clinicId: ClinicId, userId: string) => `${clinicId}/${userId}`;

export class ClinicService {
  readonly #stores: Stores;
  readonly #events: EventRecorder;
  readonly #now: () => Date;

  constructor(deps: { stores: Stores; events: EventRecorder; now: () => Date }) {
    this.#stores = deps.stores;
    this.#events = deps.events;
    this.#now = deps.now;
  }

  async create(body: { id: ClinicId; name: string }, actor: Actor): Promise<Clinic> {
    const at = this.#now().toISOString();
    const clinic: Clinic = { id: body.id, name: body.name, createdAt: at, updatedAt: at };
    if (!(await this.#stores.clinics.create(clinic))) throw new AppError('ALREADY_EXISTS', 'A clinic with that id exists.');
    await this.#events.record('clinic.created', null, actor, { subject: clinic.id });
    return clinic;
  }

  async update(id: ClinicId, body: { name: string }, actor: Actor): Promise<Clinic> {
    const clinic: Clinic = { ...(await this.get(id)), name: body.name, updatedAt: this.#now().toISOString() };
    if (!(await this.#stores.clinics.update(clinic))) throw new AppError('NOT_FOUND');
    await this.#events.record('clinic.updated', null, actor, { subject: id });
    return clinic;
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
    await this.#stores.clinics.putStaff({ userId, name, roles, updatedAt: at });
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
