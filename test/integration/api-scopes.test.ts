// Each API scope enforced on every REST route, driven by the OpenAPI document
// the running server serves: every /api/v1 operation declares exactly one
// scope (or is one of the few cookie routes that keep their own checks); one
// key per scope, a clinic-bound key and a revoked key call every operation;
// a key with the scope (or admin) is never refused, any other gets 403
// SCOPE_MISSING and leaves an access.refused record, the revoked one gets 401.
// A clinic-bound key reaches only its own clinic's appointments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinicId } from '../../server/core/ids.ts';
import { API_SCOPES, type ApiKeyCreated, type ApiScope } from '../../server/wire/auth.ts';
import { api, Device } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { routesOf } from '../support/routes.ts';

interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { in: string; name: string }[];
}
interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
}
interface AuditLine {
  action?: string;
  actor?: { role: string; id: string };
  subject?: string;
  reason?: string;
  outcome?: string;
  appointmentId?: string | null;
}

/** /api/v1 operations that are not for API keys: browser pages' cookie routes, which keep their own checks. */
const COOKIE_OPERATIONS = new Set([
  'POST /api/v1/session',
  'GET /api/v1/session',
  'DELETE /api/v1/session',
  'GET /api/v1/clinician/appointments',
  'POST /api/v1/consultations/{appointmentId}/files',
  'GET /api/v1/files/{token}',
]);

const SOME_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const CLINIC_A = 'clinic-a';
const CLINIC_B = 'clinic-b';
const soon = () => new Date(Date.now() + 60_000).toISOString();
const newAppointment = (clinicId?: string) => ({
  clinician: { id: 'gp-1', name: 'Dr Asha Patel' },
  patient: { name: 'Jane Doe' },
  startsAt: soon(),
  durationMinutes: 15,
  ...(clinicId ? { clinicId } : {}),
});

/** A minimal valid body for each operation that takes one (a new operation with a body needs a line here). */
const BODIES: Record<string, () => unknown> = {
  'POST /api/v1/appointments': () => newAppointment(),
  'POST /api/v1/appointments/{id}/invites': () => ({ name: 'Sam Okafor', role: 'interpreter' }),
  'POST /api/v1/appointments/{id}/links/{linkId}/reissue': () => ({}),
  'POST /api/v1/appointments/{id}/cancel': () => ({}),
  'PATCH /api/v1/appointments/{id}': () => ({ startsAt: soon(), links: 'keep' }),
  'POST /api/v1/clinician-tokens': () => ({ clinician: { id: 'gp-1', name: 'Dr Asha Patel' } }),
  'POST /api/v1/api-keys': () => ({ name: 'made by the scope test', scopes: ['appointments:read'] }),
  'POST /api/v1/clinics': () => ({ id: 'clinic-z', name: 'Clinic Z' }),
  'PATCH /api/v1/clinics/{clinicId}': () => ({ name: 'Clinic A' }),
  'PUT /api/v1/clinics/{clinicId}/members/{userId}': () => ({ roles: ['clinic-coordinator'] }),
  'POST /api/v1/nodes/{nodeId}/drain': () => ({ seconds: 60 }),
};

/** Each path parameter by name: a value of the right shape (an appointment of no clinic for {id}). */
function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`no value for path parameter {${name}} in ${path}: add one to the test`);
    return encodeURIComponent(v);
  });
}

async function createKey(s: TestServer, body: { name: string; scopes: ApiScope[]; clinicId?: string }): Promise<ApiKeyCreated> {
  const res = await api(s.url, 'POST', '/api/v1/api-keys', body);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as ApiKeyCreated;
}

async function auditLines(s: TestServer): Promise<AuditLine[]> {
  const res = await api(s.url, 'GET', '/api/v1/audit');
  expect(res.status).toBe(200);
  return (await res.text()).trimEnd().split('\n').slice(0, -1).map((l) => JSON.parse(l) as AuditLine);
}

// Memory and Redis stores: keys are verified (and revoked) through the store.
for (const kind of ['memory', 'redis'] as const) describe(`API scopes on every REST operation (${kind} store)`, { timeout: 120_000 }, () => {
  let redis: RedisServerHandle | undefined;
  let s: TestServer;
  let doc: OpenApiDoc;
  /** "METHOD /path" -> its one scope. */
  const guarded = new Map<string, ApiScope>();

  beforeAll(async () => {
    if (kind === 'redis') redis = await startRedisServer();
    s = await startTestServer(redis ? { REDIS_URL: redis.url } : {});
    const res = await fetch(`${s.url}/docs/json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDoc;
    const at = new Date().toISOString();
    for (const id of [CLINIC_A, CLINIC_B]) await s.deps.stores.clinics.create({ id: id as ClinicId, name: id, settings: {}, createdAt: at, updatedAt: at });
  });
  afterAll(async () => {
    await s?.stop();
    await redis?.stop();
  });

  it('has exactly one scope on every /api/v1 operation but the cookie routes, the same for keys and staff sessions', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const [method, op] of Object.entries(ops)) {
        const label = `${method.toUpperCase()} ${path}`;
        const key = op.security?.find((r) => 'apiKey' in r);
        if (!key) {
          expect(COOKIE_OPERATIONS.has(label), `${label} declares no API scope`).toBe(true);
          continue;
        }
        expect(key.apiKey, `${label} must name exactly one scope`).toHaveLength(1);
        const scope = key.apiKey![0] as ApiScope;
        expect(API_SCOPES, label).toContain(scope);
        expect(op.security, label).toEqual([{ apiKey: [scope] }, { clinicianSession: [scope] }]);
        guarded.set(label, scope);
      }
    }
    // The document is the app: every /api/v1 route the app has is described, guarded or a known cookie route.
    const appRoutes = routesOf(s).filter((r) => r.split(' ')[1]!.startsWith('/api/v1/'));
    for (const op of guarded.keys()) expect(appRoutes, `${op} is documented but not a route`).toContain(op);
    expect(appRoutes.filter((r) => !guarded.has(r) && !COOKIE_OPERATIONS.has(r)), 'routes with no scope in the document').toEqual([]);
    expect(guarded.size).toBeGreaterThanOrEqual(9);
    expect(guarded.get('POST /api/v1/appointments')).toBe('appointments:write');
    expect(guarded.get('GET /api/v1/audit')).toBe('audit:read');
    expect(guarded.get('DELETE /api/v1/api-keys/{keyId}')).toBe('admin');
  });

  it('lets each key do what its scope allows and nothing else; refusals are on the audit trail', async () => {
    expect(guarded.size, 'the first test reads the document').toBeGreaterThan(0);
    const keys: { label: string; key: string; id: string; scopes: ApiScope[] }[] = [];
    for (const scope of API_SCOPES) {
      const k = await createKey(s, { name: `only ${scope}`, scopes: [scope] });
      keys.push({ label: scope, key: k.key, id: k.id, scopes: [scope] });
    }
    const bound = await createKey(s, { name: 'clinic A booking', scopes: ['appointments:read', 'appointments:write'], clinicId: CLINIC_A });
    keys.push({ label: 'bound to clinic A', key: bound.key, id: bound.id, scopes: bound.scopes });
    const revoked = await createKey(s, { name: 'old', scopes: ['admin'] });
    expect((await api(s.url, 'DELETE', `/api/v1/api-keys/${revoked.id}`)).status).toBe(204);

    const created = await api(s.url, 'POST', '/api/v1/appointments', newAppointment());
    expect(created.status).toBe(201);
    const params = { id: ((await created.json()) as { id: string }).id, linkId: SOME_ID, keyId: SOME_ID, sessionId: SOME_ID, clinicId: CLINIC_A, userId: 'user-1', nodeId: 'no-such-node' };

    const refusals: { keyId: string; subject: string }[] = [];
    const seen = new Set<string>();
    for (const [label, scope] of guarded) {
      const [method, path] = label.split(' ') as [string, string];
      const hasBody = ['POST', 'PUT', 'PATCH'].includes(method);
      if (hasBody) expect(BODIES[label], `no body fixture for ${label}: add one to BODIES`).toBeDefined();
      const url = fillPath(path, params);
      const call = (key: string | undefined) => api(s.url, method, url, hasBody ? BODIES[label]!() : undefined, key ?? '');
      seen.add(label);

      for (const k of keys) {
        const res = await call(k.key);
        const text = await res.text();
        const allowed = k.scopes.includes(scope) || k.scopes.includes('admin');
        const what = `${label} with the ${k.label} key: ${String(res.status)} ${text}`;
        if (allowed) {
          expect([401, 403], what).not.toContain(res.status);
        } else {
          expect(res.status, what).toBe(403);
          expect(JSON.parse(text), what).toMatchObject({ code: 'SCOPE_MISSING', details: [{ key: 'scope', problem: `needs ${scope}` }] });
          refusals.push({ keyId: k.id, subject: `${method} ${path.replace(/\{(\w+)\}/g, ':$1')} (${scope})` });
        }
      }
      const gone = await call(revoked.key);
      expect(gone.status, `${label} with a revoked key`).toBe(401);
      expect(await gone.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      const none = await call(undefined);
      expect(none.status, `${label} with no key`).toBe(401);
      await none.text();
    }
    expect(seen).toEqual(new Set(guarded.keys()));
    // Every scope but admin was refused somewhere (admin only gets 403 from nothing).
    expect(refusals.length).toBeGreaterThan(guarded.size);

    const recorded = (await auditLines(s)).filter((l) => l.action === 'access.refused');
    const got = recorded.map((l) => ({ keyId: l.actor!.id, subject: l.subject!, reason: l.reason, role: l.actor!.role, outcome: l.outcome }));
    const want = refusals.map((r) => ({ ...r, reason: 'SCOPE_MISSING', role: 'api', outcome: 'refused' }));
    const order = (a: { keyId: string; subject: string }, b: { keyId: string; subject: string }) => `${a.keyId} ${a.subject}`.localeCompare(`${b.keyId} ${b.subject}`);
    expect(got.sort(order)).toEqual(want.sort(order));
  });

  it('binds a clinic key to its clinic: 201 there, 404 for appointments of another clinic or of none', async () => {
    const bound = await createKey(s, { name: 'clinic A only', scopes: ['appointments:read', 'appointments:write'], clinicId: CLINIC_A });
    const own = await api(s.url, 'POST', '/api/v1/appointments', newAppointment(), bound.key);
    expect(own.status).toBe(201);
    const ownId = ((await own.json()) as { id: string }).id;
    const detail = await api(s.url, 'GET', `/api/v1/appointments/${ownId}`, undefined, bound.key);
    expect(detail.status).toBe(200);
    expect(await detail.json()).toMatchObject({ id: ownId, clinicId: CLINIC_A, patient: { name: 'Jane Doe' } });
    expect((await api(s.url, 'POST', `/api/v1/appointments/${ownId}/invites`, { name: 'Sam', role: 'carer' }, bound.key)).status).toBe(201);

    // Naming another clinic is refused; naming its own is fine.
    const elsewhere = await api(s.url, 'POST', '/api/v1/appointments', newAppointment(CLINIC_B), bound.key);
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.json()).toMatchObject({ code: 'BAD_REQUEST', details: [{ key: 'body.clinicId' }] });
    expect((await api(s.url, 'POST', '/api/v1/appointments', newAppointment(CLINIC_A), bound.key)).status).toBe(201);

    const inB = await api(s.url, 'POST', '/api/v1/appointments', newAppointment(CLINIC_B));
    const inNone = await api(s.url, 'POST', '/api/v1/appointments', newAppointment());
    for (const res of [inB, inNone]) {
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      const reads = [
        await api(s.url, 'GET', `/api/v1/appointments/${id}`, undefined, bound.key),
        await api(s.url, 'POST', `/api/v1/appointments/${id}/invites`, { name: 'Sam', role: 'carer' }, bound.key),
        await api(s.url, 'DELETE', `/api/v1/appointments/${id}/links/${SOME_ID}`, undefined, bound.key),
        await api(s.url, 'POST', `/api/v1/appointments/${id}/links/${SOME_ID}/reissue`, {}, bound.key),
        await api(s.url, 'PATCH', `/api/v1/appointments/${id}`, { startsAt: soon(), links: 'keep' }, bound.key),
        await api(s.url, 'POST', `/api/v1/appointments/${id}/cancel`, {}, bound.key),
      ];
      for (const r of reads) {
        expect(r.status).toBe(404);
        expect(await r.json()).toMatchObject({ code: 'NOT_FOUND' });
      }
      // The unbound admin key still sees it.
      expect((await api(s.url, 'GET', `/api/v1/appointments/${id}`)).status).toBe(200);
    }
    // Trust-wide routes are not for a bound key, even with the scope: a day's console link spans clinics.
    expect((await api(s.url, 'POST', '/api/v1/clinician-tokens', { clinician: { id: 'gp-1', name: 'Dr A' } }, bound.key)).status).toBe(404);

    // Reading a patient's details is on the audit trail, with the key as the actor.
    const viewed = (await auditLines(s)).filter((l) => l.action === 'appointment.viewed' && l.appointmentId === ownId);
    expect(viewed).toEqual([expect.objectContaining({ actor: { role: 'api', id: bound.id }, outcome: 'ok' })]);
  });

  it('refuses a signed-in clinician (no REST scopes: they use the console) with 403 NOT_PERMITTED, on the audit trail', async () => {
    const link = await api(s.url, 'POST', '/api/v1/clinician-tokens', { clinician: { id: 'gp-40', name: 'Dr Ida Moss' } });
    const laptop = new Device(s.url);
    expect((await laptop.redeem(((await link.json()) as { url: string }).url)).status).toBe(200);
    for (const [label, scope] of guarded) {
      const [method, path] = label.split(' ') as [string, string];
      if (method !== 'GET') continue;
      const res = await laptop.fetch(method, fillPath(path, { id: SOME_ID, clinicId: CLINIC_A, userId: 'gp-40' }));
      expect(res.status, label).toBe(403);
      expect(await res.json(), label).toMatchObject({ code: 'NOT_PERMITTED', details: [{ key: 'scope', problem: `needs ${scope}` }] });
    }
    const refused = (await auditLines(s)).filter((l) => l.action === 'access.refused' && l.actor?.id === 'gp-40');
    expect(refused.length).toBe([...guarded.keys()].filter((l) => l.startsWith('GET ')).length);
    expect(refused.every((l) => l.actor!.role === 'staff' && l.reason === 'NOT_PERMITTED')).toBe(true);
  });

  it('records the key id as the actor of what a key does', async () => {
    const k = await createKey(s, { name: 'booking', scopes: ['appointments:write'] });
    const res = await api(s.url, 'POST', '/api/v1/appointments', newAppointment(), k.key);
    const { id } = (await res.json()) as { id: string };
    const lines = (await auditLines(s)).filter((l) => l.appointmentId === id);
    expect(lines.map((l) => [l.action, l.actor])).toEqual([
      ['appointment.created', { role: 'api', id: k.id }],
      ['link.issued', { role: 'api', id: k.id }],
    ]);
    const made = (await auditLines(s)).filter((l) => l.action === 'api_key.created' && l.subject === k.id);
    expect(made).toEqual([expect.objectContaining({ actor: { role: 'api', id: 'config-1' } })]);
  });
});
