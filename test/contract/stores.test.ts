// One contract, two stores: the memory and Redis implementations are held to
// the behaviour documented in server/domain/stores.ts by the same tests. The
// Redis run uses a private redis-server and a fresh key prefix per test.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomId, type ApiKeyId, type AppointmentId, type ClinicId, type DeviceId, type FileId, type ItemId, type LinkId, type ParticipantId, type SessionId } from '../../server/core/ids.ts';
import { AuditChain } from '../../server/domain/audit/chain.ts';
import { exportLines } from '../../server/domain/audit/export.ts';
import { EMPTY_HEAD, eventOf, GENESIS_HASH, seal, type AuditEntry, type AuditRecord, type ChainHead } from '../../server/domain/audit/record.ts';
import { verifyExport } from '../../server/domain/audit/verify.ts';
import type { ApiKeyRecord, Appointment, Clinic, ClinicMember, DomainEventType, FileRecord, Link, LoginTransaction, Participant, Session, StaffRecord, StaffSession, ThreadItem } from '../../server/domain/model.ts';
import type { EventStore, Stores } from '../../server/domain/stores.ts';
import { createMemoryStores } from '../../server/stores/memory/index.ts';
import { createRedisStores } from '../../server/stores/redis/index.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';

/** A fresh, empty set of stores, and a way to let time pass for their TTLs. */
export interface StoreHarness {
  stores: Stores;
  /** Lets `seconds` pass as far as TTLs are concerned (a fake clock or a real wait). */
  elapse(seconds: number): Promise<void>;
  /** Another node's stores over the same backing store (memory: the same object). */
  peer(): Promise<Stores>;
  dispose(): Promise<void>;
}

const HOUR = 3600;
const T0 = '2030-03-04T09:00:00.000Z';
const at = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

const appointmentId = (): AppointmentId => randomId<AppointmentId>();
const linkId = (): LinkId => randomId<LinkId>();
const participantId = (): ParticipantId => randomId<ParticipantId>();
const deviceId = (): DeviceId => randomId<DeviceId>();
const sessionId = (): SessionId => randomId<SessionId>();

function anAppointment(over: Partial<Appointment> = {}): Appointment {
  return {
    id: appointmentId(),
    clinician: { id: 'clin-1', name: 'Dr Ngata' },
    patientName: 'Aroha Wiremu',
    startsAt: T0,
    durationMinutes: 20,
    createdAt: '2030-03-01T08:00:00.000Z',
    status: 'scheduled',
    locked: false,
    ...over,
  };
}

function aLink(appointment: AppointmentId, over: Partial<Link> = {}): Link {
  return {
    id: linkId(),
    appointmentId: appointment,
    role: 'patient',
    name: 'Aroha Wiremu',
    createdAt: '2030-03-01T08:00:00.000Z',
    expiresAt: '2030-03-04T10:00:00.000Z',
    revoked: false,
    ...over,
  };
}

function aParticipant(appointment: AppointmentId, over: Partial<Participant> = {}): Participant {
  return {
    id: participantId(),
    appointmentId: appointment,
    role: 'patient',
    name: 'Aroha Wiremu',
    linkId: linkId(),
    deviceId: deviceId(),
    device: 'Firefox on Linux',
    state: 'waiting',
    linkReused: false,
    waitingSince: '2030-03-04T08:55:00.000Z',
    updatedAt: '2030-03-04T08:55:00.000Z',
    ...over,
  };
}

function anEntry(action: DomainEventType, appointment: AppointmentId | null, subject?: string): AuditEntry {
  return {
    time: new Date().toISOString(),
    appointmentId: appointment,
    actor: { role: 'system', id: 'test' },
    action,
    outcome: 'ok',
    ...(subject === undefined ? {} : { subject }),
  };
}

/** The entries sealed one after another, as a chain from `head`. */
function chainOf(entries: readonly AuditEntry[], head: ChainHead = EMPTY_HEAD): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (const e of entries) {
    const r = seal(e, out.at(-1) ?? head);
    out.push(r);
  }
  return out;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function appendAll(events: EventStore, records: readonly AuditRecord[]): Promise<void> {
  for (const r of records) expect(await events.append(r)).toEqual({ appended: true });
}

const exportText = async (events: EventStore): Promise<string> => (await collect(exportLines(events))).join('');

export function describeStoreContract(name: string, makeStores: () => Promise<StoreHarness>): void {
  describe(`${name} stores`, () => {
    let harness: StoreHarness;
    let stores: Stores;

    beforeEach(async () => {
      harness = await makeStores();
      stores = harness.stores;
    });
    afterEach(async () => {
      await harness.dispose();
    });

    describe('appointments', () => {
      it('creates and gets an appointment; an unknown id is null', async () => {
        const a = anAppointment({ endedAt: undefined });
        await stores.appointments.create(a, HOUR);
        expect(await stores.appointments.get(a.id)).toEqual(a);
        expect(await stores.appointments.get(appointmentId())).toBeNull();
      });

      it('update applies the patch, keeps the other fields and returns the stored record', async () => {
        const a = anAppointment();
        await stores.appointments.create(a, HOUR);
        const live = await stores.appointments.update(a.id, { status: 'live' });
        expect(live).toEqual({ ...a, status: 'live' });
        const ended = await stores.appointments.update(a.id, { status: 'ended', locked: true, endedAt: at(25) });
        expect(ended).toEqual({ ...a, status: 'ended', locked: true, endedAt: at(25) });
        expect(await stores.appointments.get(a.id)).toEqual(ended);
        expect(await stores.appointments.update(a.id, {})).toEqual(ended);
      });

      it('update of an unknown appointment is null and creates nothing', async () => {
        const id = appointmentId();
        expect(await stores.appointments.update(id, { locked: true })).toBeNull();
        expect(await stores.appointments.get(id)).toBeNull();
      });

      it("listForClinician gives the clinician's appointments in [from, to), ordered by startsAt", async () => {
        const nine = anAppointment({ startsAt: at(0) });
        const ten = anAppointment({ startsAt: at(60) });
        const nineThirty = anAppointment({ startsAt: at(30) });
        const eleven = anAppointment({ startsAt: at(120) });
        const before = anAppointment({ startsAt: at(-1) });
        const otherClinician = anAppointment({ startsAt: at(10), clinician: { id: 'clin-2', name: 'Dr Other' } });
        for (const a of [ten, eleven, nine, before, otherClinician, nineThirty]) await stores.appointments.create(a, HOUR);

        const morning = await stores.appointments.listForClinician('clin-1', at(0), at(120));
        expect(morning.map((a) => a.id)).toEqual([nine.id, nineThirty.id, ten.id]);
        expect(morning[0]).toEqual(nine);

        expect((await stores.appointments.listForClinician('clin-1', at(-60), at(600))).map((a) => a.id)).toEqual([
          before.id,
          nine.id,
          nineThirty.id,
          ten.id,
          eleven.id,
        ]);
        expect((await stores.appointments.listForClinician('clin-2', at(-60), at(600))).map((a) => a.id)).toEqual([otherClinician.id]);
        expect(await stores.appointments.listForClinician('clin-1', at(200), at(300))).toEqual([]);
        expect(await stores.appointments.listForClinician('nobody', at(-60), at(600))).toEqual([]);
        expect(await stores.appointments.listForClinician('clin-1', at(60), at(60))).toEqual([]);
      });

      it('listForClinician shows updates', async () => {
        const a = anAppointment();
        await stores.appointments.create(a, HOUR);
        await stores.appointments.update(a.id, { status: 'live', locked: true });
        expect(await stores.appointments.listForClinician('clin-1', at(0), at(1))).toEqual([{ ...a, status: 'live', locked: true }]);
      });

      it('returns copies: mutating a returned or passed-in record changes nothing stored', async () => {
        const a = anAppointment();
        const original = structuredClone(a);
        await stores.appointments.create(a, HOUR);
        a.patientName = 'changed after create';
        a.clinician.name = 'changed after create';

        const got = (await stores.appointments.get(a.id))!;
        expect(got.patientName).toBe('Aroha Wiremu');
        got.status = 'ended';
        got.clinician.id = 'someone-else';
        const updated = (await stores.appointments.update(a.id, { locked: true }))!;
        updated.status = 'ended';
        const [listed] = await stores.appointments.listForClinician('clin-1', at(0), at(1));
        listed!.patientName = 'changed in list';

        expect(await stores.appointments.get(a.id)).toEqual({ ...original, locked: true });
      });
    });

    describe('appointments: the clinic index, move, cancel and deliveries', () => {
      const CLINIC = 'clinic-day' as ClinicId;

      it("listForClinic gives the clinic's appointments in [from, to), by startsAt then id, whoever their clinician", async () => {
        const nine = anAppointment({ startsAt: at(0), clinicId: CLINIC });
        const nineToo = anAppointment({ startsAt: at(0), clinicId: CLINIC, clinician: { id: 'clin-2', name: 'Dr Other' } });
        const ten = anAppointment({ startsAt: at(60), clinicId: CLINIC });
        const elsewhere = anAppointment({ startsAt: at(30), clinicId: 'clinic-other' as ClinicId });
        const none = anAppointment({ startsAt: at(30) });
        for (const a of [ten, elsewhere, nineToo, none, nine]) await stores.appointments.create(a, HOUR);
        const [first, second] = [nine, nineToo].sort((x, y) => (x.id < y.id ? -1 : 1));
        expect((await stores.appointments.listForClinic(CLINIC, at(-60), at(600))).map((a) => a.id)).toEqual([first!.id, second!.id, ten.id]);
        expect(await stores.appointments.listForClinic(CLINIC, at(60), at(61))).toEqual([ten]);
        expect(await stores.appointments.listForClinic(CLINIC, at(1), at(60))).toEqual([]);
        expect((await stores.appointments.listForClinic('clinic-other' as ClinicId, at(-60), at(600))).map((a) => a.id)).toEqual([elsewhere.id]);
        expect(await stores.appointments.listForClinic('clinic-nobody' as ClinicId, at(-60), at(600))).toEqual([]);
        expect(await (await harness.peer()).appointments.listForClinic(CLINIC, at(60), at(61))).toEqual([ten]);
      });

      it('move re-scores it in the clinician and clinic lists, reassigns it between clinicians, and keeps the other fields', async () => {
        const a = anAppointment({ startsAt: at(0), clinicId: CLINIC, status: 'live', locked: true });
        const stay = anAppointment({ startsAt: at(30), clinicId: CLINIC });
        await stores.appointments.create(a, HOUR);
        await stores.appointments.create(stay, HOUR);

        const later = await stores.appointments.move(a.id, { startsAt: at(120), durationMinutes: 45 }, HOUR);
        expect(later).toEqual({ ...a, startsAt: at(120), durationMinutes: 45 });
        expect(await stores.appointments.get(a.id)).toEqual(later);
        expect((await stores.appointments.listForClinic(CLINIC, at(-60), at(600))).map((x) => x.id)).toEqual([stay.id, a.id]);
        expect((await stores.appointments.listForClinician('clin-1', at(-60), at(600))).map((x) => x.id)).toEqual([stay.id, a.id]);
        expect(await stores.appointments.listForClinician('clin-1', at(0), at(1))).toEqual([]);

        const other = { id: 'clin-9', name: 'Dr Nine' };
        const moved = await stores.appointments.move(a.id, { clinician: other }, HOUR);
        expect(moved).toEqual({ ...later, clinician: other });
        expect((await stores.appointments.listForClinician('clin-1', at(-60), at(600))).map((x) => x.id)).toEqual([stay.id]);
        // Reassigned without a new start: it keeps its place by time in the new clinician's list and the clinic's.
        expect(await stores.appointments.listForClinician('clin-9', at(120), at(121))).toEqual([moved]);
        expect((await stores.appointments.listForClinic(CLINIC, at(-60), at(600))).map((x) => x.id)).toEqual([stay.id, a.id]);
        expect(await (await harness.peer()).appointments.listForClinician('clin-9', at(-60), at(600))).toEqual([moved]);
      });

      it('move of an unknown appointment is null and creates nothing; a start that is not a time is refused', async () => {
        const id = appointmentId();
        expect(await stores.appointments.move(id, { startsAt: at(5) }, HOUR)).toBeNull();
        expect(await stores.appointments.get(id)).toBeNull();
        expect(await stores.appointments.listForClinician('clin-1', at(-60), at(600))).toEqual([]);
        const a = anAppointment();
        await stores.appointments.create(a, HOUR);
        await expect(stores.appointments.move(a.id, { startsAt: 'later' }, HOUR)).rejects.toThrow(RangeError);
        await expect(stores.appointments.move(a.id, { startsAt: at(5) }, 0)).rejects.toThrow(RangeError);
        expect(await stores.appointments.get(a.id)).toEqual(a);
      });

      it('move restarts the TTL (a later appointment is kept longer)', async () => {
        const a = anAppointment({ clinicId: CLINIC });
        await stores.appointments.create(a, 1);
        await harness.elapse(0.5);
        await stores.appointments.move(a.id, { startsAt: at(10) }, HOUR);
        await harness.elapse(0.7);
        expect(await stores.appointments.get(a.id)).toEqual({ ...a, startsAt: at(10) });
        expect(await stores.appointments.listForClinic(CLINIC, at(0), at(60))).toEqual([{ ...a, startsAt: at(10) }]);
      });

      it('update records a cancellation and delivery records (an empty list stays a list)', async () => {
        const a = anAppointment();
        await stores.appointments.create(a, HOUR);
        const cancelled = await stores.appointments.update(a.id, { status: 'cancelled', cancelledAt: at(-5) });
        expect(cancelled).toEqual({ ...a, status: 'cancelled', cancelledAt: at(-5) });
        const sent = { id: 'notify-1', linkId: linkId(), channel: 'sms' as const, status: 'sending' as const, at: at(-6) };
        expect(await stores.appointments.update(a.id, { deliveries: [sent] })).toEqual({ ...cancelled, deliveries: [sent] });
        expect(await stores.appointments.update(a.id, { deliveries: [] })).toEqual({ ...cancelled, deliveries: [] });
        expect(await stores.appointments.get(a.id)).toEqual({ ...cancelled, deliveries: [] });
      });
    });

    describe('links', () => {
      it('creates and gets a link; an unknown id is null', async () => {
        const link = aLink(appointmentId());
        await stores.links.create(link, HOUR);
        expect(await stores.links.get(link.id)).toEqual(link);
        expect(await stores.links.get(linkId())).toBeNull();
      });

      it("listForAppointment gives that appointment's links in creation order", async () => {
        const appt = appointmentId();
        const first = aLink(appt, { role: 'patient' });
        const second = aLink(appt, { role: 'interpreter', name: 'Interpreter' });
        const third = aLink(appt, { role: 'carer', name: 'Carer' });
        const elsewhere = aLink(appointmentId());
        for (const link of [first, elsewhere, second, third]) await stores.links.create(link, HOUR);
        expect(await stores.links.listForAppointment(appt)).toEqual([first, second, third]);
        expect(await stores.links.listForAppointment(elsewhere.appointmentId)).toEqual([elsewhere]);
        expect(await stores.links.listForAppointment(appointmentId())).toEqual([]);
      });

      it('revoke marks the link revoked and is idempotent; an unknown id is false', async () => {
        const link = aLink(appointmentId());
        await stores.links.create(link, HOUR);
        expect(await stores.links.revoke(link.id)).toBe(true);
        expect(await stores.links.get(link.id)).toEqual({ ...link, revoked: true });
        expect(await stores.links.listForAppointment(link.appointmentId)).toEqual([{ ...link, revoked: true }]);
        expect(await stores.links.revoke(link.id)).toBe(true);
        const unknown = linkId();
        expect(await stores.links.revoke(unknown)).toBe(false);
        expect(await stores.links.get(unknown)).toBeNull();
      });

      const OPEN = { acceptNew: true };

      it('claim: the first device is the holder; each device keeps its own participant; a device already on the link is told its own', async () => {
        const link = aLink(appointmentId());
        await stores.links.create(link, HOUR);
        const phone = deviceId();
        const laptop = deviceId();
        const first = participantId();
        const second = participantId();

        expect(await stores.links.claim(link.id, phone, first, HOUR, OPEN)).toEqual({ outcome: 'claimed', participantId: first, created: true, holder: true });
        expect(await stores.links.claim(link.id, phone, participantId(), HOUR, OPEN)).toEqual({ outcome: 'claimed', participantId: first, created: false, holder: true });
        expect(await stores.links.claim(link.id, laptop, second, HOUR, OPEN)).toEqual({ outcome: 'claimed', participantId: second, created: true, holder: false });
        expect(await stores.links.claim(link.id, laptop, participantId(), HOUR, OPEN)).toEqual({ outcome: 'claimed', participantId: second, created: false, holder: false });
        // A later device does not take the link over.
        expect(await stores.links.claim(link.id, phone, participantId(), HOUR, OPEN)).toEqual({ outcome: 'claimed', participantId: first, created: false, holder: true });
        // Claims are per link.
        const other = aLink(link.appointmentId);
        await stores.links.create(other, HOUR);
        expect(await stores.links.claim(other.id, laptop, participantId(), HOUR, OPEN)).toMatchObject({ outcome: 'claimed', created: true, holder: true });
      });

      it('claim without acceptNew refuses a new device and records nothing, but gives a known device its participant', async () => {
        const link = aLink(appointmentId());
        await stores.links.create(link, HOUR);
        const known = deviceId();
        const p = participantId();
        await stores.links.claim(link.id, known, p, HOUR, OPEN);
        const stranger = deviceId();
        expect(await stores.links.claim(link.id, stranger, participantId(), HOUR, { acceptNew: false })).toEqual({ outcome: 'refused', reason: 'not-accepting' });
        expect(await stores.links.claim(link.id, known, participantId(), HOUR, { acceptNew: false })).toEqual({ outcome: 'claimed', participantId: p, created: false, holder: true });
        // Nothing was recorded for the refused device: when new devices are accepted again it is new.
        expect(await stores.links.claim(link.id, stranger, p, HOUR, OPEN)).toMatchObject({ outcome: 'claimed', created: true, holder: false });
        // And a link that does not exist takes no one.
        expect(await stores.links.claim(linkId(), stranger, participantId(), HOUR, OPEN)).toEqual({ outcome: 'refused', reason: 'no-link' });
      });

      it('claim is atomic: of 50 concurrent devices exactly one is the holder, and each gets the participant it offered', async () => {
        const link = aLink(appointmentId());
        await stores.links.create(link, HOUR);
        const attempts = Array.from({ length: 50 }, () => ({ device: deviceId(), participant: participantId() }));
        const nodes = [stores, await harness.peer(), await harness.peer()];
        const results = await Promise.all(attempts.map((a, i) => nodes[i % 3]!.links.claim(link.id, a.device, a.participant, HOUR, OPEN)));
        expect(results.filter((r) => r.outcome === 'claimed' && r.holder)).toHaveLength(1);
        results.forEach((r, i) => expect(r).toMatchObject({ outcome: 'claimed', participantId: attempts[i]!.participant, created: true }));
      });

      it('claim is atomic for one device: of 20 concurrent claims on several nodes exactly one creates, all get its participant', async () => {
        const link = aLink(appointmentId());
        await stores.links.create(link, HOUR);
        await stores.links.claim(link.id, deviceId(), participantId(), HOUR, OPEN); // someone holds it already
        const device = deviceId();
        const offered = Array.from({ length: 20 }, () => participantId());
        const nodes = [stores, await harness.peer(), await harness.peer()];
        const results = await Promise.all(offered.map((p, i) => nodes[i % 3]!.links.claim(link.id, device, p, HOUR, OPEN)));
        const created = results.flatMap((r, i) => (r.outcome === 'claimed' && r.created ? [offered[i]!] : []));
        expect(created).toHaveLength(1);
        for (const r of results) expect(r).toMatchObject({ outcome: 'claimed', participantId: created[0], holder: false });
      });

      it('a transition with closeLink closes the link in the same step: new devices are refused, devices on it still claim', async () => {
        const link = aLink(appointmentId());
        await stores.links.create(link, HOUR);
        const holder = aParticipant(link.appointmentId, { linkId: link.id, state: 'waiting' });
        await stores.links.claim(link.id, holder.deviceId, holder.id, HOUR, OPEN);
        await stores.participants.put(holder, HOUR);
        const other = deviceId();
        const otherP = participantId();
        await stores.links.claim(link.id, other, otherP, HOUR, OPEN);

        // A transition that does not happen closes nothing.
        expect(await stores.participants.transition(holder.id, ['admitted'], 'removed', at(1), { closeLink: { id: link.id, decision: 'removed' } })).toBeNull();
        expect((await stores.links.get(link.id))?.closedBy).toBeUndefined();

        const moved = await stores.participants.transition(holder.id, ['waiting'], 'denied', at(2), { closeLink: { id: link.id, decision: 'denied' } });
        expect(moved).toMatchObject({ state: 'denied' });
        expect(await stores.links.get(link.id)).toEqual({ ...link, closedBy: 'denied', closedAt: at(2) });
        expect((await stores.links.listForAppointment(link.appointmentId))[0]).toMatchObject({ closedBy: 'denied' });
        expect(await stores.links.claim(link.id, deviceId(), participantId(), HOUR, OPEN)).toEqual({ outcome: 'refused', reason: 'closed' });
        expect(await stores.links.claim(link.id, other, participantId(), HOUR, OPEN)).toEqual({ outcome: 'claimed', participantId: otherP, created: false, holder: false });
        expect(await stores.links.claim(link.id, holder.deviceId, participantId(), HOUR, OPEN)).toMatchObject({ outcome: 'claimed', participantId: holder.id });

        // The first decision is the one recorded; revoking keeps it.
        const otherRecord = aParticipant(link.appointmentId, { id: otherP, linkId: link.id, deviceId: other, state: 'admitted' });
        await stores.participants.put(otherRecord, HOUR);
        await stores.participants.transition(otherP, ['admitted'], 'removed', at(3), { closeLink: { id: link.id, decision: 'removed' } });
        expect(await stores.links.get(link.id)).toMatchObject({ closedBy: 'denied', closedAt: at(2) });
        await stores.links.revoke(link.id);
        expect(await stores.links.get(link.id)).toMatchObject({ revoked: true, closedBy: 'denied' });
      });

      it('a link closed while 30 new devices claim it: every claim after the close is refused, none before it is', async () => {
        const link = aLink(appointmentId());
        await stores.links.create(link, HOUR);
        const holder = aParticipant(link.appointmentId, { linkId: link.id });
        await stores.links.claim(link.id, holder.deviceId, holder.id, HOUR, OPEN);
        await stores.participants.put(holder, HOUR);
        const peer = await harness.peer();
        const claims = Array.from({ length: 30 }, (_, i) => (i % 2 ? peer : stores).links.claim(link.id, deviceId(), participantId(), HOUR, OPEN));
        const close = stores.participants.transition(holder.id, ['waiting'], 'denied', at(1), { closeLink: { id: link.id, decision: 'denied' } });
        const results = await Promise.all(claims);
        await close;
        for (const r of results) expect(['claimed', 'refused']).toContain(r.outcome);
        expect(await stores.links.claim(link.id, deviceId(), participantId(), HOUR, OPEN)).toEqual({ outcome: 'refused', reason: 'closed' });
      });

      it('returns copies: mutating a returned or passed-in link changes nothing stored', async () => {
        const link = aLink(appointmentId());
        const original = structuredClone(link);
        await stores.links.create(link, HOUR);
        link.revoked = true;
        (await stores.links.get(link.id))!.name = 'changed';
        (await stores.links.listForAppointment(link.appointmentId))[0]!.revoked = true;
        expect(await stores.links.get(link.id)).toEqual(original);
      });
    });

    describe('participants', () => {
      it('puts and gets a participant; an unknown id is null', async () => {
        const guest = aParticipant(appointmentId());
        const clinician = aParticipant(guest.appointmentId, {
          role: 'clinician',
          linkId: null,
          clinicianId: 'clin-1',
          state: 'admitted',
          waitingSince: undefined,
        });
        await stores.participants.put(guest, HOUR);
        await stores.participants.put(clinician, HOUR);
        expect(await stores.participants.get(guest.id)).toEqual(guest);
        const gotClinician = await stores.participants.get(clinician.id);
        expect(gotClinician).toEqual(clinician);
        expect(gotClinician!.linkId).toBeNull();
        expect(await stores.participants.get(participantId())).toBeNull();
      });

      it('putIfAbsent stores once: of 20 concurrent puts of one id on several nodes exactly one creates, all see the record in force', async () => {
        const base = aParticipant(appointmentId());
        const nodes = [stores, await harness.peer(), await harness.peer()];
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => nodes[i % 3]!.participants.putIfAbsent({ ...base, device: `device ${String(i)}` }, HOUR)),
        );
        const winners = results.filter((r) => r.created);
        expect(winners).toHaveLength(1);
        for (const r of results) expect(r.participant).toEqual(winners[0]!.participant);
        expect(await stores.participants.get(base.id)).toEqual(winners[0]!.participant);
        expect(await stores.participants.listForAppointment(base.appointmentId)).toEqual([winners[0]!.participant]);
        // An existing record is never replaced, whatever its state.
        await stores.participants.transition(base.id, ['waiting'], 'admitted', at(1));
        expect(await stores.participants.putIfAbsent(base, HOUR)).toMatchObject({ created: false, participant: { state: 'admitted' } });
      });

      it('put replaces the record; listForAppointment keeps the order of the first put', async () => {
        const appt = appointmentId();
        const a = aParticipant(appt, { name: 'A' });
        const b = aParticipant(appt, { name: 'B' });
        const c = aParticipant(appt, { name: 'C' });
        const elsewhere = aParticipant(appointmentId());
        for (const p of [a, elsewhere, b, c]) await stores.participants.put(p, HOUR);
        const aAgain = { ...a, device: 'Safari on iOS', linkReused: true };
        await stores.participants.put(aAgain, HOUR);

        expect(await stores.participants.get(a.id)).toEqual(aAgain);
        expect(await stores.participants.listForAppointment(appt)).toEqual([aAgain, b, c]);
        expect(await stores.participants.listForAppointment(elsewhere.appointmentId)).toEqual([elsewhere]);
        expect(await stores.participants.listForAppointment(appointmentId())).toEqual([]);
      });

      it('transition from an allowed state updates state and updatedAt and stores it', async () => {
        const p = aParticipant(appointmentId(), { state: 'waiting' });
        await stores.participants.put(p, HOUR);
        const admitted = await stores.participants.transition(p.id, ['waiting'], 'admitted', at(1));
        expect(admitted).toEqual({ ...p, state: 'admitted', updatedAt: at(1) });
        expect(await stores.participants.get(p.id)).toEqual(admitted);
        expect(await stores.participants.listForAppointment(p.appointmentId)).toEqual([admitted]);
        // Any of several allowed states will do.
        const left = await stores.participants.transition(p.id, ['waiting', 'admitted'], 'left', at(2));
        expect(left).toEqual({ ...p, state: 'left', updatedAt: at(2) });
      });

      it('transition to waiting sets waitingSince', async () => {
        const p = aParticipant(appointmentId(), { state: 'admitted', waitingSince: undefined });
        await stores.participants.put(p, HOUR);
        const sentBack = await stores.participants.transition(p.id, ['admitted'], 'waiting', at(5));
        expect(sentBack).toEqual({ ...p, state: 'waiting', waitingSince: at(5), updatedAt: at(5) });
        expect((await stores.participants.get(p.id))!.waitingSince).toBe(at(5));
      });

      it('transition from a state not allowed returns null and changes nothing', async () => {
        const p = aParticipant(appointmentId(), { state: 'denied' });
        await stores.participants.put(p, HOUR);
        expect(await stores.participants.transition(p.id, ['waiting'], 'admitted', at(1))).toBeNull();
        expect(await stores.participants.transition(p.id, ['waiting', 'admitted'], 'removed', at(1))).toBeNull();
        expect(await stores.participants.transition(p.id, [], 'waiting', at(1))).toBeNull();
        expect(await stores.participants.get(p.id)).toEqual(p);
      });

      it('transition of an unknown participant is null and creates nothing', async () => {
        const id = participantId();
        expect(await stores.participants.transition(id, ['waiting'], 'admitted', at(1))).toBeNull();
        expect(await stores.participants.get(id)).toBeNull();
      });

      it('transition is atomic: of 20 concurrent admits from waiting exactly one succeeds', async () => {
        const p = aParticipant(appointmentId(), { state: 'waiting' });
        await stores.participants.put(p, HOUR);
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => stores.participants.transition(p.id, ['waiting'], 'admitted', at(i + 1))),
        );
        const succeeded = results.filter((r) => r !== null);
        expect(succeeded).toHaveLength(1);
        expect(succeeded[0]!.state).toBe('admitted');
        expect(await stores.participants.get(p.id)).toEqual(succeeded[0]);
      });

      it('concurrent admit and deny from waiting: exactly one wins and the stored state is the winner', async () => {
        const p = aParticipant(appointmentId(), { state: 'waiting' });
        await stores.participants.put(p, HOUR);
        const targets = ['admitted', 'denied', 'admitted', 'denied', 'removed', 'admitted'] as const;
        const results = await Promise.all(targets.map((to) => stores.participants.transition(p.id, ['waiting'], to, at(1))));
        const succeeded = results.filter((r) => r !== null);
        expect(succeeded).toHaveLength(1);
        expect((await stores.participants.get(p.id))!.state).toBe(succeeded[0]!.state);
      });

      it('returns copies: mutating a returned or passed-in participant changes nothing stored', async () => {
        const p = aParticipant(appointmentId());
        const original = structuredClone(p);
        await stores.participants.put(p, HOUR);
        p.state = 'admitted';
        (await stores.participants.get(p.id))!.state = 'removed';
        (await stores.participants.listForAppointment(p.appointmentId))[0]!.name = 'changed';
        const moved = (await stores.participants.transition(p.id, ['waiting'], 'waiting', at(3)))!;
        moved.state = 'left';
        expect(await stores.participants.get(p.id)).toEqual({ ...original, waitingSince: at(3), updatedAt: at(3) });
      });
    });

    describe('sessions', () => {
      const clinicianSession = (over: Partial<StaffSession> = {}): StaffSession => aSession({ clinicianId: 'clin-1', ...over });
      const guestSession = (): Session => ({
        id: sessionId(),
        kind: 'guest',
        participantId: participantId(),
        appointmentId: appointmentId(),
        deviceId: deviceId(),
        expiresAt: '2030-03-04T10:00:00.000Z',
      });

      it('creates and gets both kinds of session; an unknown id is null', async () => {
        const c = clinicianSession();
        const g = guestSession();
        await stores.sessions.create(c, HOUR);
        await stores.sessions.create(g, HOUR);
        expect(await stores.sessions.get(c.id)).toEqual(c);
        expect(await stores.sessions.get(g.id)).toEqual(g);
        expect(await stores.sessions.get(sessionId())).toBeNull();
      });

      it('delete removes the session, says whether there was one, and tolerates an unknown id', async () => {
        const keep = clinicianSession();
        const drop = guestSession();
        const dropStaff = clinicianSession();
        await stores.sessions.create(keep, HOUR);
        await stores.sessions.create(drop, HOUR);
        await stores.sessions.create(dropStaff, HOUR);
        expect(await stores.sessions.delete(drop.id)).toBe(true);
        expect(await stores.sessions.delete(dropStaff.id)).toBe(true);
        expect(await stores.sessions.get(drop.id)).toBeNull();
        expect(await stores.sessions.get(dropStaff.id)).toBeNull();
        expect(await stores.sessions.get(keep.id)).toEqual(keep);
        expect(await stores.sessions.delete(drop.id)).toBe(false);
        expect(await stores.sessions.delete(sessionId())).toBe(false);
        expect(await stores.sessions.listForUser('clin-1')).toEqual([keep]);
      });

      it('keeps the secret hash of an issued device until its TTL; an unknown device is null', async () => {
        const d = deviceId();
        expect(await stores.sessions.getDevice(d)).toBeNull();
        await stores.sessions.putDevice(d, 'hash-1', HOUR);
        expect(await stores.sessions.getDevice(d)).toBe('hash-1');
        await stores.sessions.putDevice(d, 'hash-2', 1);
        expect(await stores.sessions.getDevice(d)).toBe('hash-2');
        expect(await stores.sessions.getDevice(deviceId())).toBeNull();
        await harness.elapse(1.2);
        expect(await stores.sessions.getDevice(d)).toBeNull();
      });

      it('returns copies', async () => {
        const s = clinicianSession();
        const original = structuredClone(s);
        await stores.sessions.create(s, HOUR);
        s.deviceId = deviceId();
        s.roles.push('trust-admin');
        (await stores.sessions.get(s.id))!.expiresAt = 'changed';
        (await stores.sessions.touch(s.id, at(1), HOUR))!.roles.push('auditor');
        (await stores.sessions.listForUser('clin-1'))[0]!.clinics.push({ clinicId: 'other' as ClinicId, roles: [] });
        expect(await stores.sessions.get(s.id)).toEqual({ ...original, lastSeenAt: at(1) });
      });

      it('touch sets lastSeenAt, keeps every other field as stored, and gives the session ttlSeconds more', async () => {
        // Empty lists and names with JSON-looking text must come back as they went in.
        const s = clinicianSession({
          clinicianName: 'Dr "lastSeenAt":"x" \\ Ngata / Ōtautahi',
          clinics: [{ clinicId: 'derm-north' as ClinicId, roles: [] }],
          roles: [],
          idp: { idToken: 'a.b/c+d=', sid: 'sid-1' },
          address: '192.0.2.7',
        });
        await stores.sessions.create(s, 1);
        await harness.elapse(0.6);
        const touched = await stores.sessions.touch(s.id, at(5), 2);
        expect(touched).toEqual({ ...s, lastSeenAt: at(5) });
        expect(await stores.sessions.get(s.id)).toEqual(touched);
        await harness.elapse(0.8); // past the first TTL: kept by the touch
        expect(await stores.sessions.get(s.id)).toEqual(touched);
        expect(await stores.sessions.listForUser('clin-1')).toEqual([touched]);
        await harness.elapse(1.5);
        expect(await stores.sessions.get(s.id)).toBeNull();
      });

      it('touch of an unknown, deleted, expired or guest session is null and creates or changes nothing', async () => {
        const unknown = sessionId();
        expect(await stores.sessions.touch(unknown, at(1), HOUR)).toBeNull();
        expect(await stores.sessions.get(unknown)).toBeNull();

        const deleted = clinicianSession();
        await stores.sessions.create(deleted, HOUR);
        await stores.sessions.delete(deleted.id);
        expect(await stores.sessions.touch(deleted.id, at(1), HOUR)).toBeNull();
        expect(await stores.sessions.get(deleted.id)).toBeNull();

        const expired = clinicianSession({ clinicianId: 'clin-expired' });
        await stores.sessions.create(expired, 1);
        await harness.elapse(1.2);
        expect(await stores.sessions.touch(expired.id, at(1), HOUR)).toBeNull();
        expect(await stores.sessions.get(expired.id)).toBeNull();
        expect(await stores.sessions.listForUser('clin-expired')).toEqual([]);

        const guest = guestSession();
        await stores.sessions.create(guest, HOUR);
        expect(await stores.sessions.touch(guest.id, at(1), HOUR)).toBeNull();
        expect(await stores.sessions.get(guest.id)).toEqual(guest);
      });

      it("listForUser gives the user's live staff sessions oldest first, without deleted, expired or other users' sessions", async () => {
        const second = clinicianSession({ createdAt: at(10) });
        const first = clinicianSession({ createdAt: at(0) });
        const third = clinicianSession({ createdAt: at(20) });
        const deleted = clinicianSession({ createdAt: at(5) });
        const expiring = clinicianSession({ createdAt: at(1) });
        const otherUser = clinicianSession({ clinicianId: 'clin-2', createdAt: at(2) });
        for (const s of [second, third, first, deleted, otherUser]) await stores.sessions.create(s, HOUR);
        await stores.sessions.create(expiring, 1);
        await stores.sessions.create(guestSession(), HOUR);
        await stores.sessions.delete(deleted.id);

        expect(await stores.sessions.listForUser('clin-1')).toEqual([first, expiring, second, third]);
        await harness.elapse(1.2);
        expect(await stores.sessions.listForUser('clin-1')).toEqual([first, second, third]);
        expect(await stores.sessions.listForUser('clin-2')).toEqual([otherUser]);
        expect(await stores.sessions.listForUser('nobody')).toEqual([]);
        // Pruning the expired one changed nothing else.
        expect(await stores.sessions.listForUser('clin-1')).toEqual([first, second, third]);
      });

      it('claimOnce is true for the first claim of a token only, until its TTL', async () => {
        expect(await stores.sessions.claimOnce('jti-1', 1)).toBe(true);
        expect(await stores.sessions.claimOnce('jti-1', HOUR)).toBe(false);
        expect(await stores.sessions.claimOnce('jti-2', HOUR)).toBe(true);
        expect(await stores.sessions.claimOnce('jti-1', HOUR)).toBe(false);
        await harness.elapse(1.2);
        expect(await stores.sessions.claimOnce('jti-1', HOUR)).toBe(true);
      });

      it('claimOnce is atomic: of 20 concurrent claims on several nodes exactly one is true', async () => {
        const nodes = [stores, await harness.peer(), await harness.peer()];
        const tokenId = randomId();
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => nodes[i % 3]!.sessions.claimOnce(tokenId, HOUR)));
        expect(results.filter((r) => r)).toHaveLength(1);
      });

      it('takeLogin gives a sign-in in progress once; an unknown or expired one is null', async () => {
        const id = randomId();
        const txn = aLogin();
        await stores.sessions.putLogin(id, txn, HOUR);
        expect(await stores.sessions.takeLogin(randomId())).toBeNull();
        expect(await stores.sessions.takeLogin(id)).toEqual(txn);
        expect(await stores.sessions.takeLogin(id)).toBeNull();

        const late = randomId();
        await stores.sessions.putLogin(late, aLogin(), 1);
        await harness.elapse(1.2);
        expect(await stores.sessions.takeLogin(late)).toBeNull();
      });

      it('takeLogin is single use: of 10 concurrent takes on several nodes exactly one gets it', async () => {
        const nodes = [stores, await harness.peer(), await harness.peer()];
        const id = randomId();
        const txn = aLogin();
        await stores.sessions.putLogin(id, txn, HOUR);
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => nodes[i % 3]!.sessions.takeLogin(id)));
        expect(results.filter((r) => r !== null)).toEqual([txn]);
      });

      it('refuses a TTL that is not a positive number', async () => {
        const s = clinicianSession();
        await stores.sessions.create(s, HOUR);
        await expect(stores.sessions.touch(s.id, at(1), 0)).rejects.toThrow(RangeError);
        await expect(stores.sessions.claimOnce('jti', -1)).rejects.toThrow(RangeError);
        await expect(stores.sessions.putLogin(randomId(), aLogin(), Number.NaN)).rejects.toThrow(RangeError);
        expect(await stores.sessions.get(s.id)).toEqual(s);
        expect(await stores.sessions.claimOnce('jti', HOUR)).toBe(true);
      });

      it('refuses a time that is not ISO 8601 and changes nothing', async () => {
        const s = clinicianSession();
        await stores.sessions.create(s, HOUR);
        await expect(stores.sessions.touch(s.id, 'yesterday', HOUR)).rejects.toThrow(RangeError);
        expect(await stores.sessions.get(s.id)).toEqual(s);
        const k: ApiKeyRecord = { id: randomId<ApiKeyId>(), name: 'k', hash: 'h', scopes: ['admin'], createdAt: at(0), createdBy: 'cli' };
        await stores.apiKeys.create(k);
        await expect(stores.apiKeys.revoke(k.id, 'soon')).rejects.toThrow(RangeError);
        await expect(stores.apiKeys.markUsed(k.id, '')).rejects.toThrow(RangeError);
        expect(await stores.apiKeys.get(k.id)).toEqual(k);
      });
    });

    describe('clinics', () => {
      const aClinic = (over: Partial<Clinic> = {}): Clinic => ({
        id: `clinic-${randomId().toLowerCase().replace(/[^a-z0-9]/g, '')}` as ClinicId,
        name: 'Dermatology, North site',
        settings: {},
        createdAt: at(0),
        updatedAt: at(0),
        ...over,
      });
      const aMember = (clinicId: ClinicId, userId: string, over: Partial<ClinicMember> = {}): ClinicMember => ({
        clinicId,
        userId,
        roles: ['clinician'],
        source: 'admin',
        updatedAt: at(0),
        ...over,
      });

      it('creates and gets a clinic; a second create of its id is false and stores nothing; an unknown id is null', async () => {
        const c = aClinic();
        expect(await stores.clinics.create(c)).toBe(true);
        expect(await stores.clinics.get(c.id)).toEqual(c);
        expect(await stores.clinics.create({ ...c, name: 'Impostor' })).toBe(false);
        expect(await stores.clinics.get(c.id)).toEqual(c);
        expect(await stores.clinics.list()).toEqual([c]);
        expect(await stores.clinics.get('no-such-clinic' as ClinicId)).toBeNull();
      });

      it('create is atomic: of 10 concurrent creates of one id on several nodes exactly one is true, and its record is kept', async () => {
        const nodes = [stores, await harness.peer(), await harness.peer()];
        const base = aClinic();
        const offered = Array.from({ length: 10 }, (_, i) => ({ ...base, name: `Clinic ${String(i)}` }));
        const results = await Promise.all(offered.map((c, i) => nodes[i % 3]!.clinics.create(c)));
        const winners = offered.filter((_, i) => results[i]);
        expect(winners).toHaveLength(1);
        expect(await stores.clinics.get(base.id)).toEqual(winners[0]);
        expect(await stores.clinics.list()).toEqual([winners[0]]);
      });

      it('update replaces a clinic that exists; an unknown one is false and creates nothing', async () => {
        const c = aClinic();
        await stores.clinics.create(c);
        const renamed = { ...c, name: 'Dermatology', updatedAt: at(5) };
        expect(await stores.clinics.update(renamed)).toBe(true);
        expect(await stores.clinics.get(c.id)).toEqual(renamed);
        const ghost = aClinic();
        expect(await stores.clinics.update(ghost)).toBe(false);
        expect(await stores.clinics.get(ghost.id)).toBeNull();
        expect(await stores.clinics.list()).toEqual([renamed]);
      });

      it('list gives every clinic by id', async () => {
        const b = aClinic({ id: 'b-clinic' as ClinicId });
        const a = aClinic({ id: 'a-clinic' as ClinicId });
        const c = aClinic({ id: 'c-clinic' as ClinicId });
        for (const clinic of [b, c, a]) await stores.clinics.create(clinic);
        expect(await stores.clinics.list()).toEqual([a, b, c]);
      });

      it('members and membershipsOf stay in step through set, replace and remove', async () => {
        const north = 'north' as ClinicId;
        const south = 'south' as ClinicId;
        const annNorth = aMember(north, 'ann');
        const annSouth = aMember(south, 'ann', { roles: ['clinic-coordinator', 'clinic-admin'], source: 'idp' });
        const bobNorth = aMember(north, 'bob');
        for (const m of [bobNorth, annSouth, annNorth]) await stores.clinics.setMember(m);
        expect(await stores.clinics.members(north)).toEqual([annNorth, bobNorth]);
        expect(await stores.clinics.membershipsOf('ann')).toEqual([annNorth, annSouth]);
        expect(await stores.clinics.membershipsOf('bob')).toEqual([bobNorth]);

        const annNorthAdmin = { ...annNorth, roles: ['clinic-admin' as const], updatedAt: at(3) };
        await stores.clinics.setMember(annNorthAdmin);
        expect(await stores.clinics.members(north)).toEqual([annNorthAdmin, bobNorth]);
        expect(await stores.clinics.membershipsOf('ann')).toEqual([annNorthAdmin, annSouth]);

        expect(await stores.clinics.removeMember(north, 'ann')).toBe(true);
        expect(await stores.clinics.removeMember(north, 'ann')).toBe(false);
        expect(await stores.clinics.removeMember(south, 'nobody')).toBe(false);
        expect(await stores.clinics.members(north)).toEqual([bobNorth]);
        expect(await stores.clinics.membershipsOf('ann')).toEqual([annSouth]);
        expect(await stores.clinics.members(south)).toEqual([annSouth]);

        expect(await stores.clinics.removeMember(south, 'ann')).toBe(true);
        expect(await stores.clinics.membershipsOf('ann')).toEqual([]);
        expect(await stores.clinics.members(south)).toEqual([]);
        expect(await stores.clinics.members('empty' as ClinicId)).toEqual([]);
      });

      it('keeps staff records: get is null until put, then the last put', async () => {
        expect(await stores.clinics.getStaff('ann')).toBeNull();
        const first: StaffRecord = { userId: 'ann', name: 'Ann Tane', roles: [], updatedAt: at(0) };
        await stores.clinics.putStaff(first);
        expect(await stores.clinics.getStaff('ann')).toEqual(first);
        const second: StaffRecord = { ...first, roles: ['auditor', 'trust-admin'], updatedAt: at(9) };
        await stores.clinics.putStaff(second);
        expect(await stores.clinics.getStaff('ann')).toEqual(second);
        expect(await stores.clinics.getStaff('bob')).toBeNull();
      });

      it('returns copies', async () => {
        const c = aClinic();
        const original = structuredClone(c);
        await stores.clinics.create(c);
        c.name = 'changed after create';
        (await stores.clinics.get(c.id))!.name = 'changed after get';
        (await stores.clinics.list())[0]!.name = 'changed in list';
        expect(await stores.clinics.get(c.id)).toEqual(original);

        const m = aMember(c.id, 'ann');
        await stores.clinics.setMember(m);
        m.roles.push('trust-admin');
        (await stores.clinics.members(c.id))[0]!.roles.push('auditor');
        (await stores.clinics.membershipsOf('ann'))[0]!.source = 'idp';
        expect(await stores.clinics.membershipsOf('ann')).toEqual([aMember(c.id, 'ann')]);

        const staff: StaffRecord = { userId: 'ann', name: 'Ann', roles: ['clinician'], updatedAt: at(0) };
        await stores.clinics.putStaff(staff);
        staff.roles.push('trust-admin');
        (await stores.clinics.getStaff('ann'))!.roles.push('auditor');
        expect(await stores.clinics.getStaff('ann')).toEqual({ ...staff, roles: ['clinician'] });
      });
    });

    describe('clinics: settings and running late', () => {
      const aClinic = (over: Partial<Clinic> = {}): Clinic => ({
        id: `clinic-${randomId().toLowerCase().replace(/[^a-z0-9]/g, '')}` as ClinicId,
        name: 'Dermatology, North site',
        settings: {},
        createdAt: at(0),
        updatedAt: at(0),
        ...over,
      });
      const late = (clinicianId: string, minutes: number) => ({ clinicianId, minutes, since: at(0), setBy: 'coord-1' });

      it('keeps settings through create and update; a record stored without settings reads as having none', async () => {
        const c = aClinic({ settings: { phone: '01234 567890', waitingMessage: 'Please have your medicines to hand.' } });
        await stores.clinics.create(c);
        expect(await stores.clinics.get(c.id)).toEqual(c);
        const changed = { ...c, settings: { privacyNoticeUrl: 'https://example.nhs.uk/privacy' }, updatedAt: at(2) };
        await stores.clinics.update(changed);
        expect(await stores.clinics.get(c.id)).toEqual(changed);
        const { settings: _none, ...old } = aClinic();
        await stores.clinics.create(old as Clinic);
        expect((await stores.clinics.get(old.id))!.settings).toEqual({});
        expect((await stores.clinics.list()).find((x) => x.id === old.id)!.settings).toEqual({});
      });

      it('sets, reads and clears running-late notices, leaving out clinicians without one', async () => {
        expect(await stores.clinics.runningLate([])).toEqual([]);
        expect(await stores.clinics.runningLate(['gp-a'])).toEqual([]);
        await stores.clinics.setRunningLate('gp-a', late('gp-a', 15), HOUR);
        await stores.clinics.setRunningLate('gp-b', late('gp-b', 30), HOUR);
        expect(await stores.clinics.runningLate(['gp-b', 'gp-none', 'gp-a'])).toEqual([late('gp-b', 30), late('gp-a', 15)]);
        await stores.clinics.setRunningLate('gp-a', late('gp-a', 45), HOUR);
        expect(await (await harness.peer()).clinics.runningLate(['gp-a'])).toEqual([late('gp-a', 45)]);
        await stores.clinics.setRunningLate('gp-a', null, HOUR);
        await stores.clinics.setRunningLate('gp-never', null, HOUR);
        expect(await stores.clinics.runningLate(['gp-a', 'gp-b'])).toEqual([late('gp-b', 30)]);
        const got = await stores.clinics.runningLate(['gp-b']);
        got[0]!.minutes = 99;
        expect(await stores.clinics.runningLate(['gp-b'])).toEqual([late('gp-b', 30)]);
      });

      it('a running-late notice lapses after its TTL', async () => {
        await stores.clinics.setRunningLate('gp-lapse', late('gp-lapse', 10), 1);
        expect(await stores.clinics.runningLate(['gp-lapse'])).toHaveLength(1);
        await harness.elapse(1.3);
        expect(await stores.clinics.runningLate(['gp-lapse'])).toEqual([]);
      });
    });

    describe('joins (the records a join step reads and writes together)', () => {
      it('linkAndAppointment gives the link and the appointment; each is null when absent', async () => {
        const a = anAppointment();
        const link = aLink(a.id);
        await stores.appointments.create(a, HOUR);
        await stores.links.create(link, HOUR);
        expect(await stores.joins.linkAndAppointment(link.id, a.id)).toEqual({ link, appointment: a });
        expect(await stores.joins.linkAndAppointment(linkId(), a.id)).toEqual({ link: null, appointment: a });
        expect(await stores.joins.linkAndAppointment(link.id, appointmentId())).toEqual({ link, appointment: null });
      });

      it('guestRecords gives the participant, the appointment and the named link; each is null when absent', async () => {
        const a = anAppointment();
        const link = aLink(a.id);
        const p = aParticipant(a.id, { linkId: link.id });
        await stores.appointments.create(a, HOUR);
        await stores.links.create(link, HOUR);
        await stores.participants.put(p, HOUR);
        expect(await stores.joins.guestRecords(p.id, a.id, link.id)).toEqual({ participant: p, appointment: a, link });
        expect(await stores.joins.guestRecords(p.id, a.id, null)).toEqual({ participant: p, appointment: a, link: null });
        expect(await stores.joins.guestRecords(participantId(), appointmentId(), linkId())).toEqual({ participant: null, appointment: null, link: null });
      });

      it("appointmentWithParticipants gives the appointment and its participants in the order they were first put", async () => {
        const a = anAppointment();
        await stores.appointments.create(a, HOUR);
        const first = aParticipant(a.id);
        const second = aParticipant(a.id, { role: 'clinician', linkId: null, clinicianId: 'clin-1', state: 'admitted' });
        const elsewhere = aParticipant(appointmentId());
        for (const p of [first, elsewhere, second]) await stores.participants.put(p, HOUR);
        expect(await stores.joins.appointmentWithParticipants(a.id)).toEqual({ appointment: a, participants: [first, second] });
        expect(await stores.joins.appointmentWithParticipants(appointmentId())).toEqual({ appointment: null, participants: [] });
      });

      it('claimParticipant stores a new device as its participant (reused when not the holder) and gives a known device its record', async () => {
        const a = anAppointment();
        const link = aLink(a.id);
        await stores.links.create(link, HOUR);
        const phone = deviceId();
        const candidate = aParticipant(a.id, { linkId: link.id, deviceId: phone, waitingSince: undefined });
        const first = await stores.joins.claimParticipant(link.id, phone, candidate, HOUR, { acceptNew: true });
        expect(first).toEqual({ outcome: 'claimed', participantId: candidate.id, created: true, holder: true, participant: candidate });
        expect(await stores.participants.get(candidate.id)).toEqual(candidate);
        expect(await stores.participants.listForAppointment(a.id)).toEqual([candidate]);

        const again = await stores.joins.claimParticipant(link.id, phone, aParticipant(a.id, { linkId: link.id, deviceId: phone }), HOUR, { acceptNew: false });
        expect(again).toEqual({ outcome: 'claimed', participantId: candidate.id, created: false, holder: true, participant: candidate });

        const laptop = deviceId();
        const other = aParticipant(a.id, { linkId: link.id, deviceId: laptop });
        const second = await stores.joins.claimParticipant(link.id, laptop, other, HOUR, { acceptNew: true });
        expect(second).toEqual({ outcome: 'claimed', participantId: other.id, created: true, holder: false, participant: { ...other, linkReused: true } });
        expect(await stores.participants.listForAppointment(a.id)).toEqual([candidate, { ...other, linkReused: true }]);
        // The claims are the links store's: claim() sees them.
        expect(await stores.links.claim(link.id, laptop, participantId(), HOUR, { acceptNew: true })).toEqual({ outcome: 'claimed', participantId: other.id, created: false, holder: false });
      });

      it('claimParticipant refuses a closed link, a caller accepting nobody new and a missing link, storing nothing', async () => {
        const a = anAppointment();
        const closed = aLink(a.id, { closedBy: 'denied', closedAt: at(1) });
        const open = aLink(a.id);
        for (const link of [closed, open]) await stores.links.create(link, HOUR);
        const cases = [
          [closed.id, true, 'closed'],
          [open.id, false, 'not-accepting'],
          [linkId(), true, 'no-link'],
        ] as const;
        for (const [id, acceptNew, reason] of cases) {
          const p = aParticipant(a.id, { linkId: id });
          expect(await stores.joins.claimParticipant(id, p.deviceId, p, HOUR, { acceptNew })).toEqual({ outcome: 'refused', reason });
          expect(await stores.participants.get(p.id)).toBeNull();
        }
        expect(await stores.participants.listForAppointment(a.id)).toEqual([]);
      });

      it('claimParticipant from one device on several nodes at once makes one participant', async () => {
        const a = anAppointment();
        const link = aLink(a.id);
        await stores.links.create(link, HOUR);
        const phone = deviceId();
        const nodes = [stores, await harness.peer(), await harness.peer()];
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => nodes[i % nodes.length]!.joins.claimParticipant(link.id, phone, aParticipant(a.id, { linkId: link.id, deviceId: phone }), HOUR, { acceptNew: true })),
        );
        const created = results.filter((r) => r.outcome === 'claimed' && r.created);
        expect(created).toHaveLength(1);
        const winner = created[0]!;
        for (const r of results) expect(r).toMatchObject({ outcome: 'claimed', participantId: winner.outcome === 'claimed' ? winner.participantId : '', holder: true });
        expect(await stores.participants.listForAppointment(a.id)).toHaveLength(1);
      });
    });

    describe('participants: pre-call check', () => {
      it('records the check on the stored record without changing its state; an unknown id is null', async () => {
        const p = aParticipant(appointmentId());
        await stores.participants.put(p, HOUR);
        const checked = await stores.participants.setCheck(p.id, { camera: true, microphone: false });
        expect(checked).toEqual({ ...p, check: { camera: true, microphone: false } });
        expect(await stores.participants.get(p.id)).toEqual(checked);
        expect(await stores.participants.listForAppointment(p.appointmentId)).toEqual([checked]);
        expect(await stores.participants.setCheck(p.id, { camera: false, microphone: true })).toMatchObject({ state: 'waiting', check: { camera: false, microphone: true } });
        expect(await stores.participants.setCheck(participantId(), { camera: true, microphone: true })).toBeNull();
        expect(await stores.participants.get(participantId())).toBeNull();
      });

      it('keeps the network measurement and verdict exactly, and a later check without one replaces it', async () => {
        const p = aParticipant(appointmentId());
        await stores.participants.put(p, HOUR);
        const network = { udp: false, tcp: true, relay: true, uploadKbps: 1_000_000, lossPercent: 2.5, verdict: 'weak' as const };
        expect(await stores.participants.setCheck(p.id, { camera: true, microphone: true, network })).toEqual({ ...p, check: { camera: true, microphone: true, network } });
        expect((await stores.participants.get(p.id))?.check).toEqual({ camera: true, microphone: true, network });
        expect((await stores.participants.setCheck(p.id, { camera: false, microphone: true }))?.check).toEqual({ camera: false, microphone: true });
        expect((await stores.participants.get(p.id))?.check).toEqual({ camera: false, microphone: true });
      });

      it('a check and a state change at once on several nodes both land (neither overwrites the other)', async () => {
        const nodes = [stores, await harness.peer()];
        for (let i = 0; i < 5; i++) {
          const p = aParticipant(appointmentId());
          await stores.participants.put(p, HOUR);
          const [moved] = await Promise.all([nodes[0]!.participants.transition(p.id, ['waiting'], 'admitted', at(i)), nodes[1]!.participants.setCheck(p.id, { camera: true, microphone: true })]);
          expect(moved).not.toBeNull();
          expect(await stores.participants.get(p.id)).toMatchObject({ state: 'admitted', check: { camera: true, microphone: true } });
        }
      });

      it('keeps the record\'s TTL', async () => {
        const p = aParticipant(appointmentId());
        await stores.participants.put(p, 1);
        await stores.participants.setCheck(p.id, { camera: true, microphone: true });
        await harness.elapse(1.3);
        expect(await stores.participants.get(p.id)).toBeNull();
      });
    });

    describe('API keys', () => {
      const anApiKey = (over: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
        id: randomId<ApiKeyId>(),
        name: 'Booking system',
        hash: 'c2VjcmV0LWhhc2g',
        scopes: ['appointments:read', 'appointments:write'],
        createdAt: at(0),
        createdBy: 'staff:ann',
        ...over,
      });

      it('creates and gets a key; an unknown id is null', async () => {
        const k = anApiKey({ clinicId: 'north' as ClinicId });
        await stores.apiKeys.create(k);
        expect(await stores.apiKeys.get(k.id)).toEqual(k);
        expect(await stores.apiKeys.get(randomId<ApiKeyId>())).toBeNull();
      });

      it('list gives every key, revoked ones included, oldest first', async () => {
        const second = anApiKey({ createdAt: at(10) });
        const first = anApiKey({ createdAt: at(0) });
        const third = anApiKey({ createdAt: at(20) });
        for (const k of [second, third, first]) await stores.apiKeys.create(k);
        const revoked = await stores.apiKeys.revoke(second.id, at(30));
        expect(await stores.apiKeys.list()).toEqual([first, revoked, third]);
      });

      it('revoke marks the key and keeps the first revokedAt; an unknown key is null and creates nothing', async () => {
        const k = anApiKey();
        await stores.apiKeys.create(k);
        expect(await stores.apiKeys.revoke(k.id, at(5))).toEqual({ ...k, revokedAt: at(5) });
        expect(await stores.apiKeys.revoke(k.id, at(9))).toEqual({ ...k, revokedAt: at(5) });
        expect(await stores.apiKeys.get(k.id)).toEqual({ ...k, revokedAt: at(5) });
        const ghost = randomId<ApiKeyId>();
        expect(await stores.apiKeys.revoke(ghost, at(5))).toBeNull();
        expect(await stores.apiKeys.get(ghost)).toBeNull();
        expect(await stores.apiKeys.list()).toEqual([{ ...k, revokedAt: at(5) }]);
      });

      it('markUsed notes the last use and keeps every other field; an unknown key creates nothing', async () => {
        // An empty scope list must come back as a list.
        const k = anApiKey({ scopes: [], name: 'Ward "lastUsedAt":"x" / kiosk' });
        await stores.apiKeys.create(k);
        await stores.apiKeys.markUsed(k.id, at(1));
        expect(await stores.apiKeys.get(k.id)).toEqual({ ...k, lastUsedAt: at(1) });
        await stores.apiKeys.markUsed(k.id, at(2));
        expect(await stores.apiKeys.get(k.id)).toEqual({ ...k, lastUsedAt: at(2) });
        expect(await stores.apiKeys.revoke(k.id, at(3))).toEqual({ ...k, lastUsedAt: at(2), revokedAt: at(3) });
        const ghost = randomId<ApiKeyId>();
        await stores.apiKeys.markUsed(ghost, at(1));
        expect(await stores.apiKeys.get(ghost)).toBeNull();
        expect(await stores.apiKeys.list()).toHaveLength(1);
      });

      it('returns copies', async () => {
        const k = anApiKey();
        const original = structuredClone(k);
        await stores.apiKeys.create(k);
        k.scopes.push('admin');
        (await stores.apiKeys.get(k.id))!.scopes.push('admin');
        (await stores.apiKeys.list())[0]!.name = 'changed in list';
        (await stores.apiKeys.revoke(k.id, at(1)))!.scopes.push('admin');
        expect(await stores.apiKeys.get(k.id)).toEqual({ ...original, revokedAt: at(1) });
      });
    });

    describe('thread (chat, files, key, purges)', () => {
      const item = (a: AppointmentId, text: string, over: Partial<ThreadItem> = {}): ThreadItem => ({
        id: randomId<ItemId>(),
        appointmentId: a,
        at: T0,
        kind: 'text',
        from: participantId(),
        fromRole: 'patient',
        fromName: 'Aroha Wiremu',
        text,
        ...over,
      });
      const file = (a: AppointmentId): FileRecord => ({
        id: randomId<FileId>(),
        appointmentId: a,
        at: T0,
        from: participantId(),
        fromRole: 'patient',
        kind: 'jpeg',
        mime: 'image/jpeg',
        size: 1234,
        sha256: 'ab'.repeat(32),
        name: 'photo.jpg',
        removed: ['EXIF (APP1)'],
        width: 10,
        height: 10,
      });

      it('keeps each appointment\'s thread in order, apart from the others', async () => {
        const a = appointmentId();
        const b = appointmentId();
        const first = item(a, 'one');
        await stores.thread.append(first, HOUR);
        await stores.thread.append(item(b, 'other'), HOUR);
        await stores.thread.append(item(a, 'two', { to: participantId() }), HOUR);
        expect((await stores.thread.items(a)).map((i) => i.text)).toEqual(['one', 'two']);
        expect((await stores.thread.items(a))[0]).toEqual(first);
        expect((await stores.thread.items(appointmentId()))).toEqual([]);
      });

      it('stores file records and lists them per appointment', async () => {
        const a = appointmentId();
        const f1 = file(a);
        const f2 = file(a);
        await stores.thread.putFile(f1, HOUR);
        await stores.thread.putFile(f2, HOUR);
        await stores.thread.putFile(file(appointmentId()), HOUR);
        expect(await stores.thread.getFile(f1.id)).toEqual(f1);
        expect(await stores.thread.getFile(randomId<FileId>())).toBeNull();
        expect((await stores.thread.files(a)).map((f) => f.id)).toEqual([f1.id, f2.id]);
      });

      it('ensureKey keeps the first key of any number of racing callers, on every node', async () => {
        const a = appointmentId();
        const peer = await harness.peer();
        const candidates = Array.from({ length: 8 }, (_, i) => Buffer.alloc(32, i + 1));
        const got = await Promise.all(candidates.map((k, i) => (i % 2 ? peer : stores).thread.ensureKey(a, k, HOUR)));
        const winner = got[0]!;
        expect(candidates.some((k) => k.equals(winner))).toBe(true);
        for (const k of got) expect(k.equals(winner)).toBe(true);
        expect((await stores.thread.getKey(a))!.equals(winner)).toBe(true);
        expect(await stores.thread.getKey(appointmentId())).toBeNull();
      });

      it('grants are redeemable until they expire', async () => {
        const g = { fileId: randomId<FileId>(), participantId: participantId() };
        await stores.thread.grant('token-1', g, 0.4);
        expect(await stores.thread.redeem('token-1')).toEqual(g);
        expect(await stores.thread.redeem('token-2')).toBeNull();
        await harness.elapse(0.6);
        expect(await stores.thread.redeem('token-1')).toBeNull();
      });

      it('schedules purges (keeping an earlier one when asked), lists those due, and purge deletes one kind only', async () => {
        const a = appointmentId();
        const b = appointmentId();
        await stores.thread.append(item(a, 'hello'), HOUR);
        const f = file(a);
        await stores.thread.putFile(f, HOUR);
        await stores.thread.ensureKey(a, Buffer.alloc(32, 7), HOUR);
        await stores.thread.schedulePurge(a, 'files', 5_000, true);
        await stores.thread.schedulePurge(a, 'files', 9_000, true); // kept at 5000
        await stores.thread.schedulePurge(a, 'messages', 9_000);
        await stores.thread.schedulePurge(a, 'messages', 3_000); // brought forward
        await stores.thread.schedulePurge(b, 'files', 100_000);
        expect(await stores.thread.duePurges(1_000, 10)).toEqual([]);
        expect(await stores.thread.duePurges(6_000, 10)).toEqual([
          { appointmentId: a, kind: 'messages' },
          { appointmentId: a, kind: 'files' },
        ]);
        expect(await stores.thread.duePurges(6_000, 1)).toHaveLength(1);

        await stores.thread.purge(a, 'messages');
        expect(await stores.thread.items(a)).toEqual([]);
        expect(await stores.thread.getFile(f.id)).toEqual(f);
        expect(await stores.thread.getKey(a)).not.toBeNull();
        expect(await stores.thread.duePurges(6_000, 10)).toEqual([{ appointmentId: a, kind: 'files' }]);

        await stores.thread.purge(a, 'files');
        expect(await stores.thread.getFile(f.id)).toBeNull();
        expect(await stores.thread.files(a)).toEqual([]);
        expect(await stores.thread.getKey(a)).toBeNull();
        expect(await stores.thread.duePurges(1_000_000, 10)).toEqual([{ appointmentId: b, kind: 'files' }]);
        await expect(stores.thread.purge(appointmentId(), 'files')).resolves.toBeUndefined();
      });

      it('content expires with its TTL', async () => {
        const a = appointmentId();
        await stores.thread.append(item(a, 'short'), 0.4);
        const f = file(a);
        await stores.thread.putFile(f, 0.4);
        await stores.thread.ensureKey(a, Buffer.alloc(32, 1), 0.4);
        await harness.elapse(0.6);
        expect(await stores.thread.items(a)).toEqual([]);
        expect(await stores.thread.getFile(f.id)).toBeNull();
        expect(await stores.thread.getKey(a)).toBeNull();
      });
    });

    describe('thread: storage quota and sightings', () => {
      it('reserves bytes only within the limit, atomically across nodes; releases never go below zero; purge clears the total', async () => {
        const a = appointmentId();
        const peer = await harness.peer();
        expect(await stores.thread.storedBytes(a)).toBe(0);
        // 10 concurrent reservations of 300 against a limit of 1000, half through another node: exactly 3 fit.
        const fits = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : stores).thread.reserveBytes(a, 300, 1000, HOUR)));
        expect(fits.filter(Boolean)).toHaveLength(3);
        expect(await stores.thread.storedBytes(a)).toBe(900);
        expect(await stores.thread.reserveBytes(a, 101, 1000, HOUR)).toBe(false);
        expect(await stores.thread.reserveBytes(a, 100, 1000, HOUR)).toBe(true);
        await stores.thread.releaseBytes(a, 400);
        expect(await stores.thread.storedBytes(a)).toBe(600);
        await stores.thread.releaseBytes(a, 5000);
        expect(await stores.thread.storedBytes(a)).toBe(0);
        await stores.thread.reserveBytes(a, 700, 1000, HOUR);
        await stores.thread.purge(a, 'files');
        expect(await stores.thread.storedBytes(a)).toBe(0);
        expect(await stores.thread.storedBytes(appointmentId())).toBe(0);
      });

      it('markSeen is true once per (file, participant, way), under concurrency; unmarkSeen and purge forget', async () => {
        const a = appointmentId();
        const f = randomId<FileId>();
        const p = participantId();
        const peer = await harness.peer();
        const firsts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? peer : stores).thread.markSeen(a, f, p, 'viewed', HOUR)));
        expect(firsts.filter(Boolean)).toHaveLength(1);
        expect(await stores.thread.markSeen(a, f, p, 'received', HOUR)).toBe(true);
        expect(await stores.thread.markSeen(a, f, participantId(), 'viewed', HOUR)).toBe(true);
        expect(await stores.thread.markSeen(a, randomId<FileId>(), p, 'viewed', HOUR)).toBe(true);
        await stores.thread.unmarkSeen(a, f, p, 'viewed');
        expect(await stores.thread.markSeen(a, f, p, 'viewed', HOUR)).toBe(true);
        await stores.thread.purge(a, 'files');
        expect(await stores.thread.markSeen(a, f, p, 'viewed', HOUR)).toBe(true);
      });

      it('the total and the sightings expire with their TTL', async () => {
        const a = appointmentId();
        const f = randomId<FileId>();
        const p = participantId();
        await stores.thread.reserveBytes(a, 10, 1000, 1);
        await stores.thread.markSeen(a, f, p, 'viewed', 1);
        await harness.elapse(1.2);
        expect(await stores.thread.storedBytes(a)).toBe(0);
        expect(await stores.thread.markSeen(a, f, p, 'viewed', HOUR)).toBe(true);
      });
    });

    describe('events (the audit chain)', () => {
      it('starts empty: the head is seq 0 with 64 zeros, and nothing is listed', async () => {
        expect(await stores.events.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
        expect(await stores.events.list()).toEqual([]);
        expect(await collect(stores.events.records())).toEqual([]);
        expect(typeof stores.events.trustId).toBe('string');
      });

      it('appends records that follow the head; lists them per appointment and globally, oldest first', async () => {
        const a = appointmentId();
        const b = appointmentId();
        const records = chainOf([
          anEntry('appointment.created', a),
          anEntry('appointment.created', b),
          anEntry('link.issued', a, 'link-1'),
          anEntry('token.rejected', null),
          { ...anEntry('link.redeemed', a, 'link-1'), source: '192.0.2.7' },
          anEntry('participant.waiting', b, 'p-1'),
          { ...anEntry('link.reused', a, 'link-1'), outcome: 'refused', reason: 'LINK_ALREADY_USED' },
        ]);
        await appendAll(stores.events, records);

        expect(await stores.events.head()).toEqual({ seq: 7, hash: records[6]!.hash });
        expect(await collect(stores.events.records())).toEqual(records);
        expect(await collect(stores.events.records({ appointmentId: a }))).toEqual(records.filter((r) => r.appointmentId === a));
        expect(await collect(stores.events.records({ appointmentId: b }))).toEqual(records.filter((r) => r.appointmentId === b));
        expect(await collect(stores.events.records({ appointmentId: appointmentId() }))).toEqual([]);
        // The domain-event view of the same records.
        expect(await stores.events.list(a)).toEqual(records.filter((r) => r.appointmentId === a).map(eventOf));
        expect(await stores.events.list()).toEqual(records.map(eventOf));
        expect((await stores.events.list(a))[2]).toEqual({
          type: 'link.redeemed',
          at: records[4]!.time,
          appointmentId: a,
          actor: { role: 'system', id: 'test', address: '192.0.2.7' },
          outcome: 'ok',
          subject: 'link-1',
        });
        expect(await stores.events.list(appointmentId())).toEqual([]);
      });

      it('records stops at toSeq, so an export is a snapshot', async () => {
        const a = appointmentId();
        const records = chainOf(Array.from({ length: 6 }, (_, i) => anEntry('participant.joined', i % 2 ? a : null, `p-${String(i)}`)));
        await appendAll(stores.events, records);
        expect(await collect(stores.events.records({ toSeq: 4 }))).toEqual(records.slice(0, 4));
        expect(await collect(stores.events.records({ toSeq: 4, appointmentId: a }))).toEqual([records[1], records[3]]);
        expect(await collect(stores.events.records({ toSeq: 0 }))).toEqual([]);
        expect(await collect(stores.events.records({ toSeq: 99 }))).toEqual(records);
      });

      it('compare-and-append refuses a record that does not follow the head, appends nothing and reports the head', async () => {
        const a = appointmentId();
        const [first, second] = chainOf([anEntry('appointment.created', a), anEntry('link.issued', a, 'l')]);
        const empty = { seq: 0, hash: GENESIS_HASH };
        // Not the first record of an empty chain.
        expect(await stores.events.append(second!)).toEqual({ appended: false, head: empty });
        expect(await stores.events.append({ ...first!, prevHash: 'f'.repeat(64) })).toEqual({ appended: false, head: empty });
        expect(await stores.events.append({ ...first!, seq: 2 })).toEqual({ appended: false, head: empty });
        expect(await stores.events.list()).toEqual([]);

        await appendAll(stores.events, [first!]);
        const head = { seq: 1, hash: first!.hash };
        // The same record again, a rival for seq 1, a record skipping a seq, the right prevHash with the wrong seq.
        expect(await stores.events.append(first!)).toEqual({ appended: false, head });
        expect(await stores.events.append(seal(anEntry('consultation.ended', a), EMPTY_HEAD))).toEqual({ appended: false, head });
        expect(await stores.events.append({ ...second!, seq: 3 })).toEqual({ appended: false, head });
        expect(await stores.events.append({ ...second!, prevHash: GENESIS_HASH })).toEqual({ appended: false, head });
        expect(await stores.events.head()).toEqual(head);
        expect(await collect(stores.events.records())).toEqual([first]);
        expect(await collect(stores.events.records({ appointmentId: a }))).toEqual([first]);

        await appendAll(stores.events, [second!]);
        expect(await stores.events.head()).toEqual({ seq: 2, hash: second!.hash });
      });

      it('compare-and-append is atomic: of 20 records built on the same head exactly one is appended', async () => {
        const a = appointmentId();
        const [first] = chainOf([anEntry('appointment.created', a)]);
        await appendAll(stores.events, [first!]);
        const rivals = Array.from({ length: 20 }, (_, i) => seal(anEntry('participant.joined', a, `p-${String(i)}`), { seq: 1, hash: first!.hash }));
        const outcomes = await Promise.all(rivals.map((r) => stores.events.append(r)));
        const winners = rivals.filter((_, i) => outcomes[i]!.appended);
        expect(winners).toHaveLength(1);
        const head = { seq: 2, hash: winners[0]!.hash };
        for (const o of outcomes.filter((x) => !x.appended)) expect(o).toEqual({ appended: false, head });
        expect(await collect(stores.events.records())).toEqual([first, winners[0]]);
        expect(await collect(stores.events.records({ appointmentId: a }))).toEqual([first, winners[0]]);
      });

      it('AuditChain keeps the order of many appends made without waiting, and the export verifies', async () => {
        const a = appointmentId();
        const chain = new AuditChain(stores.events);
        const entries = Array.from({ length: 120 }, (_, i) => anEntry('participant.joined', a, `p-${String(i)}`));
        const appended = await Promise.all(entries.map((e) => chain.append(e)));
        expect(appended.map((r) => r.seq)).toEqual(entries.map((_, i) => i + 1));
        expect((await stores.events.list(a)).map((e) => e.subject)).toEqual(entries.map((e) => e.subject));
        expect(await collect(stores.events.records())).toEqual(appended);
        expect(verifyExport(await exportText(stores.events))).toMatchObject({ ok: true, records: 120, complete: true });
      });

      it('three nodes appending at once through AuditChain keep one linear chain (retrying on conflict)', async () => {
        const others = [await harness.peer(), await harness.peer()];
        let conflicts = 0;
        const counting = (events: EventStore): EventStore => ({
          trustId: events.trustId,
          head: () => events.head(),
          append: async (r) => {
            const outcome = await events.append(r);
            if (!outcome.appended) conflicts++;
            return outcome;
          },
          appendBatch: async (rs) => {
            const outcome = await events.appendBatch(rs);
            if (!outcome.appended) conflicts++;
            return outcome;
          },
          records: (scan) => events.records(scan),
          list: (id) => events.list(id),
        });
        const nodes = [stores, ...others].map((s) => new AuditChain(counting(s.events)));
        const a = appointmentId();
        const n = 120;
        const results = await Promise.all(
          Array.from({ length: n }, (_, i) => nodes[i % nodes.length]!.append(anEntry('participant.joined', a, `p-${String(i)}`))),
        );
        const records = await collect(stores.events.records());
        expect(records).toHaveLength(n);
        expect(records.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
        expect([...records].sort((x, y) => x.seq - y.seq)).toEqual([...results].sort((x, y) => x.seq - y.seq));
        expect(new Set(records.map((r) => r.subject)).size).toBe(n);
        for (const other of others) expect(await collect(other.events.records())).toEqual(records);
        expect(conflicts).toBeGreaterThan(0);
        expect(verifyExport(await exportText(stores.events))).toMatchObject({ ok: true, records: n, complete: true });
      });

      it('an AuditChain that lost more races than it may retry fails with UNAVAILABLE and appends nothing', async () => {
        const always = (head: ChainHead): EventStore => ({
          trustId: stores.events.trustId,
          head: () => Promise.resolve(head),
          append: () => Promise.resolve({ appended: false, head }),
          appendBatch: () => Promise.resolve({ appended: false, head }),
          records: (scan) => stores.events.records(scan),
          list: (id) => stores.events.list(id),
        });
        const chain = new AuditChain(always({ seq: 5, hash: 'a'.repeat(64) }), { maxAttempts: 3 });
        await expect(chain.append(anEntry('consultation.ended', null))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
        expect(await stores.events.list()).toEqual([]);
      });

      it('appendBatch appends records of several appointments at once, each to its appointment, and moves the head to the last', async () => {
        const a = appointmentId();
        const b = appointmentId();
        const [first, ...rest] = chainOf([
          anEntry('appointment.created', a),
          anEntry('appointment.created', b),
          anEntry('link.issued', a, 'l-a'),
          anEntry('token.rejected', null),
          anEntry('link.issued', b, 'l-b'),
        ]);
        expect(await stores.events.appendBatch([])).toEqual({ appended: true });
        expect(await stores.events.head()).toEqual(EMPTY_HEAD);
        await appendAll(stores.events, [first!]);
        expect(await stores.events.appendBatch(rest)).toEqual({ appended: true });
        const all = [first!, ...rest];
        expect(await stores.events.head()).toEqual({ seq: 5, hash: rest.at(-1)!.hash });
        expect(await collect(stores.events.records())).toEqual(all);
        expect(await collect(stores.events.records({ appointmentId: a }))).toEqual(all.filter((r) => r.appointmentId === a));
        expect(await collect(stores.events.records({ appointmentId: b }))).toEqual(all.filter((r) => r.appointmentId === b));
        expect(verifyExport(await exportText(stores.events))).toMatchObject({ ok: true, records: 5, complete: true });
      });

      it('appendBatch is all or nothing: a batch not on the head is refused whole with the head, one not linked within fails', async () => {
        const a = appointmentId();
        const b = appointmentId();
        const [first] = chainOf([anEntry('appointment.created', a)]);
        await appendAll(stores.events, [first!]);
        const head = { seq: 1, hash: first!.hash };
        // Built on the empty chain (stale): refused, nothing of it appended.
        const stale = chainOf([anEntry('link.issued', a, 'x'), anEntry('appointment.created', b)]);
        expect(await stores.events.appendBatch(stale)).toEqual({ appended: false, head });
        // On the head, but its second record skips a seq, or does not link to the first.
        const [r2, r3] = chainOf([anEntry('link.issued', a, 'y'), anEntry('appointment.created', b)], head);
        await expect(stores.events.appendBatch([r2!, { ...r3!, seq: 4 }])).rejects.toThrow();
        await expect(stores.events.appendBatch([r2!, { ...r3!, prevHash: first!.hash }])).rejects.toThrow();
        expect(await stores.events.head()).toEqual(head);
        expect(await collect(stores.events.records())).toEqual([first]);
        expect(await collect(stores.events.records({ appointmentId: a }))).toEqual([first]);
        expect(await collect(stores.events.records({ appointmentId: b }))).toEqual([]);
        // Of rival batches built on the same head, exactly one lands, whole.
        const rivals = Array.from({ length: 10 }, (_, i) =>
          chainOf([anEntry('participant.joined', a, `p-${String(i)}`), anEntry('participant.joined', b, `q-${String(i)}`)], head),
        );
        const outcomes = await Promise.all(rivals.map((batch) => stores.events.appendBatch(batch)));
        const winners = rivals.filter((_, i) => outcomes[i]!.appended);
        expect(winners).toHaveLength(1);
        const won = winners[0]!;
        for (const o of outcomes.filter((x) => !x.appended)) expect(o).toEqual({ appended: false, head: { seq: 3, hash: won[1]!.hash } });
        expect(await collect(stores.events.records())).toEqual([first, ...won]);
        expect(await collect(stores.events.records({ appointmentId: b }))).toEqual([won[1]]);
      });

      it('returns copies', async () => {
        const a = appointmentId();
        const [r] = chainOf([anEntry('consultation.locked', a, 'x')]);
        const original = structuredClone(r!);
        await appendAll(stores.events, [r!]);
        r!.outcome = 'refused';
        (await collect(stores.events.records()))[0]!.actor.id = 'changed';
        (await collect(stores.events.records({ appointmentId: a })))[0]!.action = 'consultation.ended';
        (await stores.events.list(a))[0]!.type = 'consultation.ended';
        (await stores.events.list())[0]!.actor.id = 'changed';
        expect(await collect(stores.events.records())).toEqual([original]);
        expect(await collect(stores.events.records({ appointmentId: a }))).toEqual([original]);
        expect(await stores.events.list()).toEqual([eventOf(original)]);
      });
    });

    describe('TTL', () => {
      it('records are kept until their TTL and gone after it, from gets, lists and updates', async () => {
        const appt = anAppointment();
        const link = aLink(appt.id);
        const participant = aParticipant(appt.id);
        const session: Session = {
          id: sessionId(),
          kind: 'guest',
          participantId: participant.id,
          appointmentId: appt.id,
          deviceId: participant.deviceId,
          expiresAt: '2030-03-04T10:00:00.000Z',
        };
        const longAppt = anAppointment({ startsAt: at(30) });
        const longLink = aLink(appt.id);
        const longParticipant = aParticipant(appt.id);
        await stores.appointments.create(appt, 1);
        await stores.links.create(link, 1);
        await stores.links.claim(link.id, participant.deviceId, participant.id, 1, { acceptNew: true });
        await stores.participants.put(participant, 1);
        await stores.sessions.create(session, 1);
        await stores.appointments.create(longAppt, HOUR);
        await stores.links.create(longLink, HOUR);
        await stores.participants.put(longParticipant, HOUR);

        await harness.elapse(0.5);
        expect(await stores.appointments.get(appt.id)).toEqual(appt);
        expect(await stores.links.get(link.id)).toEqual(link);
        expect(await stores.participants.get(participant.id)).toEqual(participant);
        expect(await stores.sessions.get(session.id)).toEqual(session);
        const late = participantId();
        expect(await stores.links.claim(link.id, deviceId(), late, 1, { acceptNew: true })).toEqual({ outcome: 'claimed', participantId: late, created: true, holder: false });

        await harness.elapse(0.7);
        expect(await stores.appointments.get(appt.id)).toBeNull();
        expect(await stores.appointments.update(appt.id, { status: 'live' })).toBeNull();
        expect(await stores.appointments.listForClinician('clin-1', at(-60), at(600))).toEqual([longAppt]);
        expect(await stores.links.get(link.id)).toBeNull();
        expect(await stores.links.revoke(link.id)).toBe(false);
        expect(await stores.links.listForAppointment(appt.id)).toEqual([longLink]);
        expect(await stores.participants.get(participant.id)).toBeNull();
        expect(await stores.participants.transition(participant.id, ['waiting'], 'admitted', at(1))).toBeNull();
        expect(await stores.participants.listForAppointment(appt.id)).toEqual([longParticipant]);
        expect(await stores.sessions.get(session.id)).toBeNull();
        // The claims expired with the link: nobody is on it any more, and a link that is gone takes no one.
        expect(await stores.links.claim(link.id, participant.deviceId, participantId(), HOUR, { acceptNew: true })).toEqual({ outcome: 'refused', reason: 'no-link' });
      });

      it('update, revoke and transition keep the original TTL rather than extending it', async () => {
        const appt = anAppointment();
        const link = aLink(appt.id);
        const participant = aParticipant(appt.id);
        await stores.appointments.create(appt, 1);
        await stores.links.create(link, 1);
        await stores.participants.put(participant, 1);
        await harness.elapse(0.3);
        expect(await stores.appointments.update(appt.id, { status: 'live' })).not.toBeNull();
        expect(await stores.links.revoke(link.id)).toBe(true);
        expect(await stores.participants.transition(participant.id, ['waiting'], 'admitted', at(1))).not.toBeNull();

        await harness.elapse(0.9);
        expect(await stores.appointments.get(appt.id)).toBeNull();
        expect(await stores.links.get(link.id)).toBeNull();
        expect(await stores.participants.get(participant.id)).toBeNull();
      });

      it('put and create again restart the TTL', async () => {
        const appt = anAppointment();
        const participant = aParticipant(appt.id);
        await stores.appointments.create(appt, 1);
        await stores.participants.put(participant, 1);
        await harness.elapse(0.6);
        await stores.appointments.create(appt, HOUR);
        await stores.participants.put(participant, HOUR);
        await harness.elapse(0.6);
        expect(await stores.appointments.get(appt.id)).toEqual(appt);
        expect(await stores.participants.get(participant.id)).toEqual(participant);
        expect(await stores.participants.listForAppointment(appt.id)).toEqual([participant]);
      });

      it('refuses a TTL that is not a positive number', async () => {
        await expect(stores.sessions.create({ ...aSession(), id: sessionId() }, 0)).rejects.toThrow(RangeError);
        await expect(stores.appointments.create(anAppointment(), -1)).rejects.toThrow(RangeError);
        await expect(stores.links.claim(linkId(), deviceId(), participantId(), Number.NaN, { acceptNew: true })).rejects.toThrow(RangeError);
        await expect(stores.participants.putIfAbsent(aParticipant(appointmentId()), 0)).rejects.toThrow(RangeError);
        await expect(stores.sessions.putDevice(deviceId(), 'hash', -1)).rejects.toThrow(RangeError);
      });
    });

    describe('rates (burst counts)', () => {
      it('counts hits per key within a window; the window says how long it has left', async () => {
        const key = `chat:${participantId()}`;
        expect(await stores.rates.hit(key, 10)).toEqual({ count: 1, retryAfterSeconds: 10 });
        expect((await stores.rates.hit(key, 10)).count).toBe(2);
        const third = await stores.rates.hit(key, 10);
        expect(third.count).toBe(3);
        expect(third.retryAfterSeconds).toBeGreaterThanOrEqual(1);
        expect(third.retryAfterSeconds).toBeLessThanOrEqual(10);
        expect((await stores.rates.hit(`chat:${participantId()}`, 10)).count).toBe(1);
      });

      it('concurrent hits each get their own count, and another node counts in the same window', async () => {
        const key = `chat:${participantId()}`;
        const peer = await harness.peer();
        const counts = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? peer : stores).rates.hit(key, 10)));
        expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      });

      it('a new window starts once the old one ends', async () => {
        const key = `chat:${participantId()}`;
        await stores.rates.hit(key, 1);
        expect((await stores.rates.hit(key, 1)).count).toBe(2);
        await harness.elapse(1.2);
        expect((await stores.rates.hit(key, 1)).count).toBe(1);
      });

      it('refuses a window that is not a positive number', async () => {
        await expect(stores.rates.hit('chat:x', 0)).rejects.toThrow(RangeError);
        await expect(stores.rates.hit('chat:x', Number.NaN)).rejects.toThrow(RangeError);
      });
    });

    describe('readiness', () => {
      it(`is of kind ${name} and answers ping`, async () => {
        expect(stores.kind).toBe(name);
        await expect(stores.ping()).resolves.toBeUndefined();
      });
    });
  });
}

function aSession(over: Partial<StaffSession> = {}): StaffSession {
  return {
    id: sessionId(),
    kind: 'clinician',
    clinicianId: 'c',
    clinicianName: 'Dr Ngata',
    deviceId: deviceId(),
    expiresAt: '2030-03-04T17:00:00.000Z',
    roles: ['clinician'],
    clinics: [],
    via: 'oidc',
    createdAt: at(0),
    lastSeenAt: at(0),
    idleSeconds: 1800,
    device: 'Chrome on Windows',
    ...over,
  };
}

function aLogin(): LoginTransaction {
  return { state: randomId(), nonce: randomId(), codeVerifier: randomId(), returnTo: '/console?appointment=a', createdAt: at(0) };
}

// --- memory: a fake clock drives the TTLs -----------------------------------

describeStoreContract('memory', () => {
  let clock = Date.parse('2030-01-01T00:00:00.000Z');
  const stores = createMemoryStores({ now: () => clock });
  return Promise.resolve({
    stores,
    peer: () => Promise.resolve(stores),
    elapse: (seconds: number) => {
      clock += seconds * 1000;
      return Promise.resolve();
    },
    dispose: () => stores.close(),
  });
});

// --- Redis: a private redis-server, a fresh prefix per test ------------------

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const testPrefix = (): string => `test:${randomId()}:`;

describe('redis', () => {
  let server: RedisServerHandle | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  describeStoreContract('redis', async () => {
    const prefix = testPrefix();
    const redis = new Redis(server!.url, { maxRetriesPerRequest: 1 });
    const stores = createRedisStores(redis, { prefix });
    const peers: Stores[] = [];
    await stores.ping();
    return {
      stores,
      // Another node: its own connection, the same Redis and prefix.
      peer: async () => {
        const peer = createRedisStores(new Redis(server!.url, { maxRetriesPerRequest: 1 }), { prefix });
        await peer.ping();
        peers.push(peer);
        return peer;
      },
      elapse: (seconds) => sleep(seconds * 1000),
      dispose: async () => {
        for (const p of peers) await p.close();
        await stores.close();
      },
    };
  });

  describe('redis stores: keys', () => {
    let redis: Redis;
    beforeEach(() => {
      redis = new Redis(server!.url, { maxRetriesPerRequest: 1 });
    });
    afterEach(() => {
      redis.disconnect();
    });

    const keysUnder = async (prefix: string): Promise<string[]> => (await redis.keys(`${prefix}*`)).sort();

    it("every key sits under the prefix ('cr:' by default) and every key but the audit chain's has a TTL", async () => {
      await redis.flushdb();
      const stores = createRedisStores(redis);
      const appt = anAppointment();
      const link = aLink(appt.id);
      const participant = aParticipant(appt.id);
      await stores.appointments.create(appt, 100);
      await stores.links.create(link, 100);
      await stores.links.claim(link.id, participant.deviceId, participant.id, 100, { acceptNew: true });
      await stores.participants.put(participant, 100);
      await stores.sessions.create(aSession(), 100);
      await stores.sessions.putDevice(participant.deviceId, 'hash', 100);
      await stores.sessions.claimOnce('jti', 100);
      await stores.sessions.putLogin(randomId(), aLogin(), 100);
      await appendAll(stores.events, chainOf([anEntry('appointment.created', appt.id)]));
      await stores.rates.hit(`chat:${participant.id}`, 100);

      const all = (await redis.keys('*')).sort();
      expect(all).toHaveLength(16);
      expect(all).toContain(`cr:rate:chat:${participant.id}`);
      for (const key of all) {
        expect(key.startsWith('cr:')).toBe(true);
        const pttl = await redis.pttl(key);
        if (key.startsWith('cr:audit:')) expect(pttl).toBe(-1);
        else {
          expect(pttl).toBeGreaterThan(99_000);
          expect(pttl).toBeLessThanOrEqual(100_000);
        }
      }
      // The trust's log and head, and the appointment's copy of its records.
      expect(all.filter((k) => k.startsWith('cr:audit:'))).toEqual([
        `cr:audit:default-trust:appointment:${appt.id}`,
        'cr:audit:default-trust:head',
        'cr:audit:default-trust:log',
      ]);
      expect((await Promise.all(all.map((k) => redis.type(k)))).filter((t) => t === 'stream')).toHaveLength(2);
    });

    it('index sets live as long as their longest-lived member', async () => {
      const prefix = testPrefix();
      const stores = createRedisStores(redis, { prefix });
      const appt = anAppointment({ clinician: { id: `clin-${randomId()}`, name: 'Dr' } });
      await stores.appointments.create(appt, 500);
      await stores.appointments.create(anAppointment({ clinician: appt.clinician }), 50);
      await stores.links.create(aLink(appt.id), 50);
      await stores.links.create(aLink(appt.id), 400);
      await stores.links.create(aLink(appt.id), 60);
      await stores.participants.put(aParticipant(appt.id), 300);
      await stores.participants.put(aParticipant(appt.id), 30);
      const staff = `staff-${randomId()}`;
      await stores.sessions.create(aSession({ clinicianId: staff }), 500);
      const touched = aSession({ clinicianId: staff });
      await stores.sessions.create(touched, 50);

      const ttlOf = async (fragment: string): Promise<number> => {
        const matching = (await keysUnder(prefix)).filter((k) => k.includes(fragment));
        expect(matching).toHaveLength(1);
        return redis.pttl(matching[0]!);
      };
      expect(await ttlOf('clinician-appointments:')).toBeGreaterThan(499_000);
      expect(await ttlOf('appointment-links:')).toBeGreaterThan(399_000);
      expect(await ttlOf('appointment-links:')).toBeLessThanOrEqual(400_000);
      expect(await ttlOf('appointment-participants:')).toBeGreaterThan(299_000);
      expect(await ttlOf('appointment-participants:')).toBeLessThanOrEqual(300_000);
      expect(await ttlOf('user-sessions:')).toBeGreaterThan(499_000);
      expect(await ttlOf('user-sessions:')).toBeLessThanOrEqual(500_000);
      // A touch that keeps a session longer than any before keeps its user's index as long.
      await stores.sessions.touch(touched.id, at(1), 700);
      expect(await ttlOf('user-sessions:')).toBeGreaterThan(699_000);
    });

    it('sign-in ids and single-use tokens never appear in a key name, only their SHA-256', async () => {
      const prefix = testPrefix();
      const stores = createRedisStores(redis, { prefix });
      const loginId = randomId();
      const tokenId = randomId();
      await stores.sessions.putLogin(loginId, aLogin(), HOUR);
      await stores.sessions.claimOnce(tokenId, HOUR);
      const all = await redis.keys('*');
      expect(all.filter((k) => k.includes(loginId) || k.includes(tokenId))).toEqual([]);
      const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
      expect(await keysUnder(prefix)).toEqual([`${prefix}login:${sha(loginId)}`, `${prefix}used-token:${sha(tokenId)}`]);
    });

    it('clinics, members, staff records and API keys have no TTL', async () => {
      const prefix = testPrefix();
      const stores = createRedisStores(redis, { prefix });
      const clinicId = 'north' as ClinicId;
      await stores.clinics.create({ id: clinicId, name: 'North', settings: {}, createdAt: at(0), updatedAt: at(0) });
      await stores.clinics.setMember({ clinicId, userId: 'ann', roles: ['clinician'], source: 'admin', updatedAt: at(0) });
      await stores.clinics.putStaff({ userId: 'ann', name: 'Ann', roles: [], updatedAt: at(0) });
      await stores.apiKeys.create({ id: randomId<ApiKeyId>(), name: 'k', hash: 'h', scopes: ['admin'], createdAt: at(0), createdBy: 'cli' });
      const all = await keysUnder(prefix);
      expect(all.map((k) => k.slice(prefix.length).replace(/:.*/, '')).sort()).toEqual(['api-key', 'api-keys', 'clinic', 'clinic-members', 'clinics', 'staff', 'user-clinics']);
      for (const key of all) expect(await redis.pttl(key)).toBe(-1);
    });

    it('two prefixes on one Redis do not see each other', async () => {
      const one = createRedisStores(redis, { prefix: testPrefix() });
      const two = createRedisStores(redis, { prefix: testPrefix() });
      const appt = anAppointment();
      await one.appointments.create(appt, HOUR);
      await appendAll(one.events, chainOf([anEntry('appointment.created', appt.id)]));
      expect(await one.appointments.get(appt.id)).toEqual(appt);
      expect(await two.appointments.get(appt.id)).toBeNull();
      expect(await two.events.list()).toEqual([]);
      expect(await two.events.list(appt.id)).toEqual([]);
      expect(await two.events.head()).toEqual(EMPTY_HEAD);
    });

    it('each trust has its own chain on one Redis', async () => {
      const prefix = testPrefix();
      const north = createRedisStores(redis, { prefix, trustId: 'north-trust' });
      const south = createRedisStores(redis, { prefix, trustId: 'south-trust' });
      expect(north.events.trustId).toBe('north-trust');
      const appt = appointmentId();
      const records = chainOf([anEntry('appointment.created', appt), anEntry('link.issued', appt, 'l')]);
      await appendAll(north.events, records);
      expect(await south.events.head()).toEqual(EMPTY_HEAD);
      expect(await south.events.list(appt)).toEqual([]);
      // South's first record starts its own chain at seq 1.
      await appendAll(south.events, chainOf([anEntry('appointment.created', null)]));
      expect((await north.events.head()).seq).toBe(2);
      expect((await south.events.head()).seq).toBe(1);
    });

    it('pages through long streams', async () => {
      const stores = createRedisStores(redis, { prefix: testPrefix() });
      const appt = appointmentId();
      const chain = new AuditChain(stores.events);
      for (let i = 0; i < 1100; i++) await chain.append(anEntry('participant.joined', i % 3 ? appt : null, `p-${String(i)}`));
      const records = await collect(stores.events.records());
      expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 1100 }, (_, i) => i + 1));
      expect((await collect(stores.events.records({ appointmentId: appt }))).length).toBe(733);
      expect((await collect(stores.events.records({ toSeq: 1001 }))).length).toBe(1001);
    });

    it('scripts still run after the server forgets them (SCRIPT FLUSH)', async () => {
      const stores = createRedisStores(redis, { prefix: testPrefix() });
      const link = aLink(appointmentId());
      await stores.links.create(link, HOUR);
      await redis.script('FLUSH');
      expect(await stores.links.revoke(link.id)).toBe(true);
      await appendAll(stores.events, chainOf([anEntry('link.revoked', link.appointmentId, link.id)]));
      const p = aParticipant(link.appointmentId, { linkId: link.id });
      expect(await stores.links.claim(link.id, p.deviceId, p.id, HOUR, { acceptNew: true })).toEqual({ outcome: 'claimed', participantId: p.id, created: true, holder: true });
      await redis.script('FLUSH');
      expect(await stores.participants.putIfAbsent(p, HOUR)).toEqual({ participant: p, created: true });
      await redis.script('FLUSH');
      expect(await stores.participants.transition(p.id, ['waiting'], 'removed', at(1), { closeLink: { id: link.id, decision: 'removed' } })).toMatchObject({ state: 'removed' });
      expect((await stores.links.get(link.id))?.closedBy).toBe('removed');
      const session = aSession();
      await stores.sessions.create(session, HOUR);
      await redis.script('FLUSH');
      expect(await stores.sessions.touch(session.id, at(1), HOUR)).toEqual({ ...session, lastSeenAt: at(1) });
      await redis.script('FLUSH');
      expect(await stores.sessions.delete(session.id)).toBe(true);
    });
  });

});

describe('redis stores: readiness when Redis goes away', () => {
  let own: RedisServerHandle;
  beforeAll(async () => {
    own = await startRedisServer();
  });
  afterAll(async () => {
    await own.stop();
  });

  it('ping resolves while the server runs and rejects within about 2 s once it is stopped; close still settles', async () => {
    // Default client options: the client reconnects forever and queues commands while it does.
    const redis = new Redis(own.url);
    redis.on('error', () => {});
    const stores = createRedisStores(redis, { prefix: testPrefix() });
    await expect(stores.ping()).resolves.toBeUndefined();

    await own.stop();
    const started = Date.now();
    await expect(stores.ping()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);

    // The client is reconnecting: close must not wait for a QUIT that cannot be sent.
    const closing = Date.now();
    await stores.close();
    await expect(stores.close()).resolves.toBeUndefined();
    expect(Date.now() - closing).toBeLessThan(500);
    expect(redis.status).not.toBe('ready');
  });

  it('the access stores answer UNAVAILABLE (retryable) while Redis is down, like every other store', async () => {
    const server2 = await startRedisServer();
    // The production client's options (boot/redis.ts): no offline queue, so a command fails at once while disconnected.
    const redis = new Redis(server2.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    const stores = createRedisStores(redis, { prefix: testPrefix() });
    try {
      await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
      await stores.ping();
      await server2.stop();
      await new Promise<void>((resolve) => (redis.status === 'ready' ? redis.once('close', () => resolve()) : resolve()));
      const calls: (() => Promise<unknown>)[] = [
        () => stores.sessions.touch(sessionId(), at(1), HOUR),
        () => stores.sessions.listForUser('ann'),
        () => stores.sessions.claimOnce('jti', HOUR),
        () => stores.sessions.takeLogin(randomId()),
        () => stores.clinics.create({ id: 'north' as ClinicId, name: 'North', settings: {}, createdAt: at(0), updatedAt: at(0) }),
        () => stores.clinics.membershipsOf('ann'),
        () => stores.apiKeys.list(),
        () => stores.apiKeys.revoke(randomId<ApiKeyId>(), at(1)),
      ];
      for (const call of calls) await expect(call()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await stores.close();
      await server2.stop();
    }
  });

  it('close quits a connected client and tolerates being called again', async () => {
    const server2 = await startRedisServer();
    try {
      const redis = new Redis(server2.url);
      const stores = createRedisStores(redis);
      await stores.ping();
      await stores.close();
      expect(redis.status).toBe('end');
      await expect(stores.close()).resolves.toBeUndefined();
      await expect(stores.ping()).rejects.toThrow();
    } finally {
      await server2.stop();
    }
  });
});

describe('startRedisServer', () => {
  it('says how to install redis-server when the binary is missing', async () => {
    const saved = process.env.REDIS_SERVER_BIN;
    process.env.REDIS_SERVER_BIN = '/nonexistent/redis-server';
    try {
      await expect(startRedisServer()).rejects.toThrow('redis-server is not installed (apt-get install redis-server)');
    } finally {
      if (saved === undefined) delete process.env.REDIS_SERVER_BIN;
      else process.env.REDIS_SERVER_BIN = saved;
    }
  });
});
