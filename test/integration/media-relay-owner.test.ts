// A media request relayed over Redis is checked again by the node that runs it:
// the relay's envelope is checked on arrival (cluster-bus.test.ts), and here
// the message inside it, against the same schema the socket's gate uses. A
// real server on a real Redis; the requests are published as another node
// (or anyone with Redis access) would publish them.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterKeysFor } from '../../server/cluster/cluster-keys.ts';
import { createAppointment } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const OWNER = 'node-owner';
const FROM = 'node-elsewhere';
const keys = clusterKeysFor();

let redisServer: RedisServerHandle;
let s: TestServer;
let pub: Redis;
let sub: Redis;
const replies = new Map<string, (ack: unknown) => void>();

beforeAll(async () => {
  redisServer = await startRedisServer({ appendOnly: false });
  s = await startTestServer({ REDIS_URL: redisServer.url, NODE_ID: OWNER });
  pub = new Redis(redisServer.url);
  sub = new Redis(redisServer.url);
  sub.on('message', (_channel: string, message: string) => {
    const { id, ack } = JSON.parse(message) as { id: string; ack: unknown };
    replies.get(id)?.(ack);
  });
  await sub.subscribe(keys.relayReplies(FROM));
}, 60_000);

afterAll(async () => {
  sub?.disconnect();
  pub?.disconnect();
  await s?.stop();
  await redisServer?.stop();
});

let n = 0;
/** Publishes one request to the owner as node FROM would, and waits for its answer. */
function ask(req: Record<string, unknown>): Promise<{ ok: boolean; error?: { code: string; message: string; details?: unknown[] } }> {
  const id = `req-${++n}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${id}`)), 5000);
    replies.set(id, (ack) => {
      clearTimeout(timer);
      resolve(ack as never);
    });
    void pub.publish(keys.relayRequests(OWNER), JSON.stringify({ id, from: FROM, req }));
  });
}

describe('a relayed media request on the node that runs it', () => {
  it('is refused BAD_REQUEST when its message is not in the form of its schema, naming the problems and not echoing the values', async () => {
    const apt = await createAppointment(s.url);
    const ack = await ask({ appointmentId: apt.id, participantId: 'AAAAAAAAAAAAAAAAAAAAAA', op: 'media:connectTransport', payload: { transportId: 'Jane Smith 1970-01-01' } });
    expect(ack.ok).toBe(false);
    expect(ack.error?.code).toBe('BAD_REQUEST');
    expect(ack.error?.details?.length).toBeGreaterThan(0);
    expect(JSON.stringify(ack)).not.toContain('Jane Smith');
    expect(s.logs.join('\n')).not.toContain('Jane Smith');
  });

  it('is refused BAD_REQUEST for an operation that does not exist, whatever its prefix', async () => {
    const apt = await createAppointment(s.url);
    for (const op of ['media:nope', 'media:__proto__', 'media:constructor']) {
      const ack = await ask({ appointmentId: apt.id, participantId: 'AAAAAAAAAAAAAAAAAAAAAA', op, payload: {} });
      expect(ack, op).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
  });

  it('in its form, goes on to the admission check (someone not in the consultation gets no media)', async () => {
    const apt = await createAppointment(s.url);
    const ack = await ask({ appointmentId: apt.id, participantId: 'AAAAAAAAAAAAAAAAAAAAAA', op: 'media:capabilities', payload: {} });
    expect(ack.ok).toBe(false);
    expect(ack.error?.code).not.toBe('BAD_REQUEST');
    expect(ack.error?.code).not.toBe('INTERNAL');
    // The node is unharmed and still serves.
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });
});
