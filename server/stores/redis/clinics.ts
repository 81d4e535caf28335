import type { Redis } from 'ioredis';
import type { ClinicId } from '../../core/ids.ts';
import type { Clinic, ClinicMember, RunningLateRecord, StaffRecord } from '../../domain/model.ts';
import type { ClinicStore } from '../../domain/stores.ts';
import { byField, ttlToMs, withSettings } from '../common.ts';
import { CREATE_CLINIC, REMOVE_MEMBER, SET_MEMBER } from './access-scripts.ts';
import { parseRecord, parseRecords } from './json.ts';
import type { Keys } from './keys.ts';
import { runScript } from './scripts.ts';

export function createRedisClinicStore(redis: Redis, keys: Keys): ClinicStore {
  return {
    async create(clinic: Clinic): Promise<boolean> {
      return (await runScript(redis, CREATE_CLINIC, [keys.clinic(clinic.id), keys.clinics], [JSON.stringify(clinic), clinic.id])) === 1;
    },

    async update(clinic: Clinic): Promise<boolean> {
      return (await redis.set(keys.clinic(clinic.id), JSON.stringify(clinic), 'XX')) === 'OK';
    },

    async get(id: ClinicId): Promise<Clinic | null> {
      const found = parseRecord<Clinic>(await redis.get(keys.clinic(id)));
      return found && withSettings(found);
    },

    async list(): Promise<Clinic[]> {
      const ids = await redis.smembers(keys.clinics);
      if (ids.length === 0) return [];
      return parseRecords<Clinic>(await redis.mget(ids.map((id) => keys.clinic(id as ClinicId))))
        .map(withSettings)
        .sort(byField('id'));
    },

    async setMember(member: ClinicMember): Promise<void> {
      await runScript(redis, SET_MEMBER, [keys.clinicMembers(member.clinicId), keys.userClinics(member.userId)], [member.userId, JSON.stringify(member), member.clinicId]);
    },

    async removeMember(clinicId: ClinicId, userId: string): Promise<boolean> {
      return (await runScript(redis, REMOVE_MEMBER, [keys.clinicMembers(clinicId), keys.userClinics(userId)], [userId, clinicId])) === 1;
    },

    async members(clinicId: ClinicId): Promise<ClinicMember[]> {
      const all = await redis.hvals(keys.clinicMembers(clinicId));
      return parseRecords<ClinicMember>(all).sort(byField('userId'));
    },

    async membershipsOf(userId: string): Promise<ClinicMember[]> {
      const clinicIds = await redis.smembers(keys.userClinics(userId));
      if (clinicIds.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const id of clinicIds) pipeline.hget(keys.clinicMembers(id as ClinicId), userId);
      const replies = (await pipeline.exec()) ?? [];
      const raws = replies.map(([err, raw]) => {
        if (err) throw err;
        return raw as string | null;
      });
      return parseRecords<ClinicMember>(raws).sort(byField('clinicId'));
    },

    async getStaff(userId: string): Promise<StaffRecord | null> {
      return parseRecord<StaffRecord>(await redis.get(keys.staff(userId)));
    },

    async putStaff(record: StaffRecord): Promise<void> {
      await redis.set(keys.staff(record.userId), JSON.stringify(record));
    },

    async setRunningLate(clinicianId: string, record: RunningLateRecord | null, ttlSeconds: number): Promise<void> {
      if (record === null) await redis.del(keys.runningLate(clinicianId));
      else await redis.set(keys.runningLate(clinicianId), JSON.stringify(record), 'PX', ttlToMs(ttlSeconds));
    },

    async runningLate(clinicianIds: readonly string[]): Promise<RunningLateRecord[]> {
      if (clinicianIds.length === 0) return [];
      return parseRecords<RunningLateRecord>(await redis.mget(clinicianIds.map((id) => keys.runningLate(id))));
    },
  };
}
