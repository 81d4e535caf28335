// JoinStore.appointmentWithSome on both stores: the appointment and only the
// named participants of it (missing ones and other appointments' left out),
// and on Redis in one round trip: one MGET.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId, type AppointmentId, type LinkId, type ParticipantId, type DeviceId } from '../../server/core/ids.ts';
import type { Appointment, Participant } from '../../server/domain/model.ts';
import type { Stores } from '../../server/domain/stores.ts';
import { createMemoryStores } from '../../server/stores/memory/index.ts';
import { createRedisStores } from '../../server/stores/redis/index.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';

const HOUR = 3600;

function anAppointment(): Appointment {
  return {
    id: randomId<AppointmentId>(),
    clinician: { id: 'clin-1', name: 'Dr Ngata' },
    patientName: 'Aroha Wiremu',
    startsAt: '2030-03-04T09:00:00.000Z',
    durationMinutes: 20,
    createdAt: '2030-03-01T08:00:00.000Z',
    status: 'live',
    locked: true,
  };
}

function aParticipant(appointmentId: AppointmentId, over: Partial<Participant> = {}): Participant {
  return {
    id: randomId<ParticipantId>(),
    appointmentId,
    role: 'patient',
    name: 'Aroha Wiremu',
    linkId: randomId<LinkId>(),
    deviceId: randomId<DeviceId>(),
    device: 'Firefox on Linux',
    state: 'waiting',
    linkReused: false,
    waitingSince: '2030-03-04T08:55:00.000Z',
    updatedAt: '2030-03-04T08:55:00.000Z',
    ...over,
  };
}

function appointmentWithSomeContract(makeStores: () => Stores): void {
  it('gives the appointment and the named participants of it; missing ones and other appointments’ are left out', async () => {
    const stores = makeStores();
    const a = anAppointment();
    await stores.appointments.create(a, HOUR);
    const waiting = aParticipant(a.id);
    const clinician = aParticipant(a.id, { role: 'clinician', linkId: null, clinicianId: 'clin-1', state: 'admitted', waitingSince: undefined });
    const elsewhere = aParticipant(randomId<AppointmentId>());
    for (const p of [waiting, clinician, elsewhere]) await stores.participants.put(p, HOUR);

    expect(await stores.joins.appointmentWithSome(a.id, [waiting.id])).toEqual({ appointment: a, participants: [waiting] });
    const some = await stores.joins.appointmentWithSome(a.id, [clinician.id, elsewhere.id, randomId<ParticipantId>(), waiting.id]);
    expect(some).toEqual({ appointment: a, participants: [clinician, waiting] });
    // The records are those the full read gives.
    const full = await stores.joins.appointmentWithParticipants(a.id);
    expect(full.appointment).toEqual(some.appointment);
    expect(full.participants.find((p) => p.id === waiting.id)).toEqual(waiting);
    expect(await stores.joins.appointmentWithSome(a.id, [])).toEqual({ appointment: a, participants: [] });
    expect(await stores.joins.appointmentWithSome(randomId<AppointmentId>(), [waiting.id])).toEqual({ appointment: null, participants: [] });
  });
}

describe('appointmentWithSome, memory', () => {
  appointmentWithSomeContract(() => createMemoryStores());
});

describe('appointmentWithSome, redis', () => {
  let server: RedisServerHandle | undefined;
  const connections: Redis[] = [];
  const redisStores = () => {
    const redis = new Redis(server!.url, { maxRetriesPerRequest: 1 });
    connections.push(redis);
    return createRedisStores(redis, { prefix: `test:${randomId()}:` });
  };
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    for (const r of connections) r.disconnect();
    await server?.stop();
  });

  appointmentWithSomeContract(redisStores);

  it('costs one MGET', async () => {
    const stores = redisStores();
    const stats = new Redis(server!.url);
    connections.push(stats);
    const a = anAppointment();
    await stores.appointments.create(a, HOUR);
    const p = aParticipant(a.id);
    await stores.participants.put(p, HOUR);
    const calls = async (): Promise<Map<string, number>> => {
      const text = await stats.info('commandstats');
      return new Map([...text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
    };
    const before = await calls();
    expect((await stores.joins.appointmentWithSome(a.id, [p.id])).participants).toEqual([p]);
    const after = await calls();
    const ran = [...after].filter(([name, n]) => name !== 'info' && n !== (before.get(name) ?? 0)).map(([name, n]) => [name, n - (before.get(name) ?? 0)]);
    expect(ran).toEqual([['mget', 1]]);
  });
});
