// The chat burst limit holds across nodes: two ThreadServices, each over its
// own connection to one Redis (two nodes), share one budget per person, so a
// flood split between them is refused at the same message as on one node.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId, type ParticipantId } from '../../server/core/ids.ts';
import { keyRing, TokenService } from '../../server/domain/access/tokens.ts';
import { AppointmentService } from '../../server/domain/appointments.ts';
import { ConsultationService } from '../../server/domain/consultation.ts';
import { DomainBus, EventRecorder } from '../../server/domain/events.ts';
import type { Participant } from '../../server/domain/model.ts';
import type { Stores } from '../../server/domain/stores.ts';
import { ThreadService } from '../../server/domain/thread.ts';
import { createRedisStores } from '../../server/stores/redis/index.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { API_ACTOR, CLINICIAN, ISSUER, newP256, POLICY } from '../unit/domain/harness.ts';

const BURST = 20;

interface Node {
  stores: Stores;
  appointments: AppointmentService;
  thread: ThreadService;
}

describe('chat burst limit on Redis', () => {
  let redis: RedisServerHandle;
  const nodes: Node[] = [];
  const keys = keyRing({ kid: 'k1', privateKey: newP256().privateKey });
  const prefix = `test:${randomId()}:`;

  /** One node's services as server/deps.ts wires them, over its own Redis connection. */
  async function node(): Promise<Node> {
    const now = (): Date => new Date();
    const stores = createRedisStores(new Redis(redis.url, { maxRetriesPerRequest: 1 }), { prefix });
    await stores.ping();
    const bus = new DomainBus();
    const events = new EventRecorder(stores.events, bus, now);
    const tokens = new TokenService(keys, ISSUER, () => Date.now());
    const appointments = new AppointmentService({ stores, tokens, events, bus, now, policy: POLICY });
    const consultations = new ConsultationService({ stores, appointments, events, bus, maxParticipants: 4, now });
    const thread = new ThreadService({ stores, consultations, appointments, events, bus, now, policy: { maxTextLength: 2000, retentionSeconds: 3600, burst: BURST, burstWindowSeconds: 30 } });
    const n = { stores, appointments, thread };
    nodes.push(n);
    return n;
  }

  beforeAll(async () => {
    redis = await startRedisServer({ appendOnly: false });
  });
  afterAll(async () => {
    for (const n of nodes) await n.stores.close();
    await redis.stop();
  });

  /** An admitted patient of a fresh appointment (the admission itself is the waiting room's business, tested elsewhere). */
  async function admittedPatient(a: Node): Promise<Participant> {
    const created = await a.appointments.create({ clinician: CLINICIAN, patient: { name: 'Aroha Wiremu' }, startsAt: new Date().toISOString(), durationMinutes: 30 }, API_ACTOR);
    const at = new Date().toISOString();
    const patient: Participant = {
      id: randomId<ParticipantId>(),
      appointmentId: created.appointment.id,
      role: 'patient',
      name: 'Aroha Wiremu',
      linkId: randomId(),
      deviceId: randomId(),
      device: 'Firefox on Linux',
      state: 'admitted',
      linkReused: false,
      waitingSince: at,
      updatedAt: at,
    };
    await a.stores.participants.put(patient, 3600);
    return patient;
  }

  it(`refuses the ${String(BURST + 1)}st message across both nodes with RATE_LIMITED and Retry-After, and stores only ${String(BURST)}`, async () => {
    const a = await node();
    const b = await node();
    const patient = await admittedPatient(a);
    // Alternate nodes, one at a time: each node alone has seen only half the budget.
    for (let i = 0; i < BURST; i++) {
      await (i % 2 ? b : a).thread.send(patient.id, patient.appointmentId, `message ${String(i)}`, undefined);
    }
    const refused = await b.thread.send(patient.id, patient.appointmentId, 'one too many', undefined).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'RATE_LIMITED' });
    const retryAfter = (refused as { retryAfterSeconds?: number }).retryAfterSeconds;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    await expect(a.thread.send(patient.id, patient.appointmentId, 'still too many', undefined)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    const page = await a.thread.list(patient.id, patient.appointmentId, { limit: 100 });
    expect(page.items.map((i) => i.text)).toEqual(Array.from({ length: BURST }, (_, i) => `message ${String(i)}`));

    // Another person's budget is their own.
    const other = await admittedPatient(b);
    await expect(b.thread.send(other.id, other.appointmentId, 'hello', undefined)).resolves.toMatchObject({ text: 'hello' });
  });

  it('a concurrent flood split across both nodes stores exactly the budget', async () => {
    const a = await node();
    const b = await node();
    const patient = await admittedPatient(a);
    const answers = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => (i % 2 ? b : a).thread.send(patient.id, patient.appointmentId, `m${String(i)}`, undefined)));
    const refused = answers.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(30 - BURST);
    for (const r of refused) expect(r.reason).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await b.thread.list(patient.id, patient.appointmentId, { limit: 100 })).items).toHaveLength(BURST);
  });
});
