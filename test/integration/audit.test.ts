// The audit trail end to end: a whole consultation over real HTTP and
// socket.io, exported from GET /api/v1/audit and checked by the verify
// command (npm run audit:verify), on the memory store and on Redis.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../server/domain/audit/record.ts';
import { api, createAppointment, Device, type Client } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A console ticket's staff session: no appointment of its own. */
const STAFF_SIGN_IN = ['auth.signed_in', 'ticket.redeemed'];
const CONSULTATION = [
  'appointment.created',
  'link.issued',
  'link.issued',
  'link.redeemed',
  'participant.waiting',
  'participant.joined',
  'participant.admitted',
  'participant.sent_back',
  'participant.admitted',
  'consultation.ended',
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audit-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs scripts/audit-verify.ts on the text, as `npm run audit:verify -- FILE` does. */
async function verifyWithScript(text: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = path.join(dir, `export-${String(Math.random()).slice(2)}.ndjson`);
  await writeFile(file, text);
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'scripts', 'audit-verify.ts'), file], { cwd: ROOT }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function exportOf(s: TestServer, query = ''): Promise<{ text: string; records: AuditRecord[]; trailer: { export: Record<string, unknown> } }> {
  const res = await api(s.url, 'GET', `/api/v1/audit${query}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
  const text = await res.text();
  const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const trailer = lines.pop() as { export: Record<string, unknown> };
  return { text, records: lines as unknown as AuditRecord[], trailer };
}

/** A whole consultation: create, invite, redeem, connect, admit, send back, admit, end. */
async function holdConsultation(s: TestServer, clients: Client[]): Promise<string> {
  const apt = await createAppointment(s.url);
  const invite = await api(s.url, 'POST', `/api/v1/appointments/${apt.id}/invites`, { name: 'Sam Okafor', role: 'interpreter' });
  expect(invite.status).toBe(201);
  const phone = new Device(s.url);
  expect((await phone.redeem(apt.patientUrl)).status).toBe(200);
  const patient = await phone.connect();
  clients.push(patient);
  const waiting = await patient.until((v) => v.self.state === 'waiting');
  const laptop = new Device(s.url, 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36');
  expect((await laptop.redeem(apt.clinicianUrl)).status).toBe(200);
  const gp = await laptop.connect({ appointmentId: apt.id });
  clients.push(gp);
  await gp.until((v) => v.participants.some((p) => p.id === waiting.self.id));
  const who = { participantId: waiting.self.id };
  expect(await gp.request('lobby:admit', who)).toEqual({ ok: true, data: {} });
  await patient.until((v) => v.self.state === 'admitted');
  expect(await gp.request('lobby:sendBack', who)).toEqual({ ok: true, data: {} });
  await patient.until((v) => v.self.state === 'waiting');
  expect(await gp.request('lobby:admit', who)).toEqual({ ok: true, data: {} });
  await patient.until((v) => v.self.state === 'admitted');
  expect(await gp.request('consultation:end', {})).toEqual({ ok: true, data: {} });
  return apt.id;
}

for (const kind of ['memory', 'redis'] as const) {
  describe(`audit trail (${kind} store)`, () => {
    let redis: RedisServerHandle | undefined;
    let s: TestServer;
    const clients: Client[] = [];

    beforeAll(async () => {
      if (kind === 'redis') redis = await startRedisServer();
      s = await startTestServer(redis ? { REDIS_URL: redis.url } : {});
    });
    afterAll(async () => {
      for (const c of clients) c.close();
      await s?.stop();
      await redis?.stop();
    });

    it('records a whole consultation, with source addresses, as an export the verify command accepts', async () => {
      // A refused redemption is on the trail too, with no appointment.
      expect((await new Device(s.url).fetch('POST', '/api/v1/session', { token: 'not-a-token-at-all' })).status).toBe(401);
      const aptId = await holdConsultation(s, clients);

      const mine = await exportOf(s, `?appointmentId=${aptId}`);
      expect(mine.records.map((r) => r.action)).toEqual(CONSULTATION);
      expect(mine.records.map((r) => r.actor.role)).toEqual(['api', 'api', 'api', 'patient', 'patient', 'clinician', 'clinician', 'clinician', 'clinician', 'clinician']);
      for (const r of mine.records) {
        expect(r.source).toBe('127.0.0.1');
        expect(r.appointmentId).toBe(aptId);
        expect(r.outcome).toBe('ok');
        expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(mine.records.map((r) => r.seq)).toEqual([...mine.records.map((r) => r.seq)].sort((x, y) => x - y));
      expect(mine.trailer.export).toMatchObject({ trust: 'default-trust', complete: false, records: 10, appointmentId: aptId });
      expect(mine.text).not.toContain('Jane Doe');
      expect(mine.text).not.toContain('Sam Okafor');
      expect(mine.text).not.toContain('Dr Asha Patel');

      const all = await exportOf(s);
      expect(all.records.map((r) => r.seq)).toEqual(all.records.map((_, i) => i + 1));
      const rejected = all.records.find((r) => r.action === 'token.rejected')!;
      expect(rejected).toMatchObject({ appointmentId: null, actor: { role: 'anonymous', id: 'unknown' }, outcome: 'refused', reason: 'TOKEN_INVALID', source: '127.0.0.1' });
      expect(all.trailer.export).toEqual({ trust: 'default-trust', complete: true, records: all.records.length, head: { seq: all.records.length, hash: all.records.at(-1)!.hash } });

      const ok = await verifyWithScript(all.text);
      expect(ok).toMatchObject({ code: 0, stdout: `OK: ${String(all.records.length)} records, chain intact (head ${all.records.at(-1)!.hash})\n` });
      const filtered = await verifyWithScript(mine.text);
      expect(filtered.code).toBe(0);
      expect(filtered.stdout).toMatch(/^OK: 10 records of a filtered export/);

      // Tampering: the second admission rewritten as a denial.
      const lines = all.text.trimEnd().split('\n');
      const at = all.records.findLastIndex((r) => r.action === 'participant.admitted');
      const record = all.records[at]!;
      lines[at] = JSON.stringify({ ...record, action: 'participant.denied' });
      const tampered = await verifyWithScript(`${lines.join('\n')}\n`);
      expect(tampered).toMatchObject({ code: 1, stdout: `FAIL at line ${String(at + 1)} (seq ${String(record.seq)}): record altered (hash mismatch)\n` });

      // Removing a record.
      const removed = await verifyWithScript(`${all.text.trimEnd().split('\n').filter((_, i) => i !== 2).join('\n')}\n`);
      expect(removed).toMatchObject({ code: 1, stdout: 'FAIL at line 3 (seq 4): record missing before seq 4\n' });
    });

    it('filters by time', async () => {
      const before = await exportOf(s);
      const t0 = before.records.at(-1)!.time;
      const aptId = await holdConsultation(s, clients);
      const after = await exportOf(s, `?from=${encodeURIComponent(new Date(Date.parse(t0) + 1).toISOString())}`);
      expect(after.records.filter((r) => r.appointmentId === aptId).map((r) => r.action)).toEqual(CONSULTATION);
      // Besides the consultation, only the clinician's console ticket starting their session.
      expect(after.records.filter((r) => r.appointmentId !== aptId).map((r) => r.action)).toEqual(STAFF_SIGN_IN);
      expect(after.trailer.export).toMatchObject({ complete: false, records: 12 });
      expect((await verifyWithScript(after.text)).code).toBe(0);
      const none = await exportOf(s, `?to=${encodeURIComponent(new Date(Date.parse(before.records[0]!.time) - 60_000).toISOString())}`);
      expect(none.records).toEqual([]);
    });

    it('answers only with an API key and a valid query', async () => {
      expect((await api(s.url, 'GET', '/api/v1/audit', undefined, '')).status).toBe(401);
      expect((await api(s.url, 'GET', '/api/v1/audit', undefined, 'y'.repeat(40))).status).toBe(401);
      for (const q of ['?appointmentId=nope', '?from=yesterday', '?to=2030-13-45T99:00:00Z', '?limit=5', '?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z']) {
        const res = await api(s.url, 'GET', `/api/v1/audit${q}`);
        expect(res.status, q).toBe(400);
        expect(((await res.json()) as { code: string }).code).toBe('BAD_REQUEST');
      }
      // There is no way to change the trail over the API.
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) expect((await api(s.url, method, '/api/v1/audit', {})).status, method).toBe(404);
    });
  });
}

describe('audit trail without source addresses, for another trust', () => {
  let s: TestServer;
  const clients: Client[] = [];
  beforeAll(async () => {
    s = await startTestServer({ AUDIT_RECORD_SOURCE_ADDRESS: 'false', AUDIT_TRUST_ID: 'north-trust' });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await s?.stop();
  });

  it('leaves the source out of every record, and the export still verifies', async () => {
    const aptId = await holdConsultation(s, clients);
    const all = await exportOf(s);
    expect(all.records.filter((r) => r.appointmentId === aptId).map((r) => r.action)).toEqual(CONSULTATION);
    for (const r of all.records) expect(r).not.toHaveProperty('source');
    expect(all.text).not.toContain('127.0.0.1');
    expect(all.trailer.export).toMatchObject({ trust: 'north-trust', complete: true });
    expect(all.records.filter((r) => r.appointmentId !== aptId).map((r) => r.action)).toEqual(expect.arrayContaining(STAFF_SIGN_IN));
    expect((await verifyWithScript(all.text)).stdout).toMatch(new RegExp(`^OK: ${String(all.records.length)} records, chain intact \\(head [0-9a-f]{64}\\)\\n$`));
  });
});
