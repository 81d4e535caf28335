import type { ClinicId } from '../../core/ids.ts';
import type { Clinic, ClinicMember, RunningLateRecord, StaffRecord } from '../../domain/model.ts';
import type { ClinicStore } from '../../domain/stores.ts';
import { byField, ttlToMs, withSettings } from '../common.ts';
import { ExpiringMap } from './expiring-map.ts';
import { settle } from './settle.ts';

/** `now` (epoch ms) times running-late notices out. */
export function createMemoryClinicStore(now: () => number = Date.now): ClinicStore {
  const clinics = new Map<ClinicId, Clinic>();
  const runningLate = new ExpiringMap<string, RunningLateRecord>(now);
  // clinic id -> user id -> member; the one record of each membership, read both ways.
  const members = new Map<ClinicId, Map<string, ClinicMember>>();
  const staff = new Map<string, StaffRecord>();

  return {
    create: (clinic: Clinic) =>
      settle(() => {
        if (clinics.has(clinic.id)) return false;
        clinics.set(clinic.id, structuredClone(clinic));
        return true;
      }),

    update: (clinic: Clinic) =>
      settle(() => {
        if (!clinics.has(clinic.id)) return false;
        clinics.set(clinic.id, structuredClone(clinic));
        return true;
      }),

    get: (id: ClinicId) =>
      settle(() => {
        const found = clinics.get(id);
        return found === undefined ? null : withSettings(structuredClone(found));
      }),

    list: () => settle(() => [...clinics.values()].sort(byField('id')).map((c) => withSettings(structuredClone(c)))),

    setMember: (member: ClinicMember) =>
      settle(() => {
        const of = members.get(member.clinicId) ?? new Map<string, ClinicMember>();
        of.set(member.userId, structuredClone(member));
        members.set(member.clinicId, of);
      }),

    removeMember: (clinicId: ClinicId, userId: string) =>
      settle(() => {
        const of = members.get(clinicId);
        const removed = of?.delete(userId) ?? false;
        if (of?.size === 0) members.delete(clinicId);
        return removed;
      }),

    members: (clinicId: ClinicId) => settle(() => [...(members.get(clinicId)?.values() ?? [])].sort(byField('userId')).map((m) => structuredClone(m))),

    membershipsOf: (userId: string) =>
      settle(() => {
        const out: ClinicMember[] = [];
        for (const of of members.values()) {
          const m = of.get(userId);
          if (m !== undefined) out.push(structuredClone(m));
        }
        return out.sort(byField('clinicId'));
      }),

    getStaff: (userId: string) =>
      settle(() => {
        const found = staff.get(userId);
        return found === undefined ? null : structuredClone(found);
      }),

    putStaff: (record: StaffRecord) =>
      settle(() => {
        staff.set(record.userId, structuredClone(record));
      }),

    setRunningLate: (clinicianId: string, record: RunningLateRecord | null, ttlSeconds: number) =>
      settle(() => {
        if (record === null) runningLate.delete(clinicianId);
        else runningLate.set(clinicianId, structuredClone(record), ttlToMs(ttlSeconds));
      }),

    runningLate: (clinicianIds: readonly string[]) =>
      settle(() =>
        clinicianIds.flatMap((id) => {
          const found = runningLate.get(id);
          return found === undefined ? [] : [structuredClone(found)];
        }),
      ),
  };
}
