// API keys over the real in-memory stores and audit chain: a key made once
// works with the scopes it was given; its id and secret must both match; a
// revoked key stops at once; configured keys are admin keys named config-<n>;
// and a key's use is on the audit trail, but not once per request.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../server/core/errors.ts';
import type { ClinicId } from '../../../server/core/ids.ts';
import { ApiKeyService, bootstrapKeys } from '../../../server/domain/access/api-keys.ts';
import { DomainBus, EventRecorder } from '../../../server/domain/events.ts';
import type { Actor, DomainEvent } from '../../../server/domain/model.ts';
import { createMemoryStores } from '../../../server/stores/memory/index.ts';

const ADMIN: Actor = { role: 'staff', id: 'it-admin-1' };
const CONFIGURED = ['c'.repeat(40), 'd'.repeat(40)];

function world(opts: { bootstrap?: string[] } = {}) {
  let ms = Date.parse('2030-03-04T09:00:00.000Z');
  const now = () => new Date(ms);
  const stores = createMemoryStores({ now: () => ms });
  const bus = new DomainBus();
  const recorded: DomainEvent[] = [];
  bus.on('recorded', (e) => recorded.push(e));
  const events = new EventRecorder(stores.events, bus, now);
  const keys = new ApiKeyService({ stores, events, now, bootstrap: bootstrapKeys(opts.bootstrap ?? []) });
  return { stores, keys, recorded, advance: (m: number) => (ms += m), of: (type: string) => recorded.filter((e) => e.type === type) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
  throw new Error('expected an AppError');
}

/** The key with one character of its secret changed. */
const tamper = (key: string) => key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');

describe('ApiKeyService', () => {
  it('makes a key shown once, stores only a hash, and verifies it to its scopes', async () => {
    const w = world();
    const { record, key } = await w.keys.create({ name: 'Booking system', scopes: ['appointments:write', 'appointments:read'] }, ADMIN);
    expect(key).toMatch(new RegExp(`^cr_${record.id.replace(/-/g, '\\-')}_[A-Za-z0-9_-]{43}$`));
    expect(record).toMatchObject({ name: 'Booking system', scopes: ['appointments:write', 'appointments:read'], createdBy: 'staff:it-admin-1' });
    expect(record).not.toHaveProperty('hash');
    const stored = await w.stores.apiKeys.get(record.id);
    // The secret is the last 43 characters (base64url may itself hold '_', so not split on it).
    expect(JSON.stringify(stored)).not.toContain(key.slice(-43));
    expect(JSON.stringify(await w.keys.list())).not.toContain(stored!.hash);

    expect(await w.keys.verify(key)).toEqual({ kind: 'api-key', keyId: record.id, scopes: ['appointments:write', 'appointments:read'] });
    expect(w.of('api_key.created')).toEqual([expect.objectContaining({ actor: { role: 'staff', id: 'it-admin-1' }, subject: record.id, outcome: 'ok' })]);
  });

  it('binds a key to a clinic that exists, and refuses one that does not', async () => {
    const w = world();
    const at = new Date().toISOString();
    await w.stores.clinics.create({ id: 'derm-north' as ClinicId, name: 'Dermatology', settings: {}, createdAt: at, updatedAt: at });
    const { key, record } = await w.keys.create({ name: 'Derm booking', scopes: ['appointments:write'], clinicId: 'derm-north' }, ADMIN);
    expect(await w.keys.verify(key)).toEqual({ kind: 'api-key', keyId: record.id, scopes: ['appointments:write'], clinicId: 'derm-north' });
    expect(await codeOf(w.keys.create({ name: 'x', scopes: ['admin'], clinicId: 'no-such-clinic' }, ADMIN))).toBe('NOT_FOUND');
  });

  it('refuses a tampered secret, another key id with a real secret, and things that are not keys', async () => {
    const w = world();
    const a = await w.keys.create({ name: 'A', scopes: ['admin'] }, ADMIN);
    const b = await w.keys.create({ name: 'B', scopes: ['audit:read'] }, ADMIN);
    const secretA = a.key.slice(`cr_${a.record.id}_`.length);
    expect(await w.keys.verify(tamper(a.key))).toBeNull();
    // B's id with A's secret: the secret belongs to its own id only.
    expect(await w.keys.verify(`cr_${b.record.id}_${secretA}`)).toBeNull();
    // An id no key has, with a real secret.
    expect(await w.keys.verify(`cr_${'A'.repeat(22)}_${secretA}`)).toBeNull();
    for (const junk of ['', 'cr_', a.key.slice(0, -1), `${a.key}A`, a.key.toUpperCase(), secretA, a.record.id]) {
      expect(await w.keys.verify(junk), junk).toBeNull();
    }
    expect(await w.keys.verify(a.key)).not.toBeNull();
  });

  it('refuses a revoked key at once, keeps it listed as revoked, and audits the revocation once', async () => {
    const w = world();
    const { key, record } = await w.keys.create({ name: 'Old system', scopes: ['appointments:read'] }, ADMIN);
    expect(await w.keys.verify(key)).not.toBeNull();
    w.advance(60_000);
    const revoked = await w.keys.revoke(record.id, { role: 'api', id: 'config-1' });
    expect(revoked.revokedAt).toBe('2030-03-04T09:01:00.000Z');
    expect(await w.keys.verify(key)).toBeNull();
    await w.keys.revoke(record.id, ADMIN);
    expect(w.of('api_key.revoked')).toEqual([expect.objectContaining({ actor: { role: 'api', id: 'config-1' }, subject: record.id })]);
    expect((await w.keys.list()).find((k) => k.id === record.id)).toMatchObject({ revokedAt: '2030-03-04T09:01:00.000Z' });
    expect(await codeOf(w.keys.revoke('A'.repeat(22), ADMIN))).toBe('NOT_FOUND');
  });

  it('takes configured keys as admin keys config-1, config-2, which cannot be revoked here', async () => {
    const w = world({ bootstrap: CONFIGURED });
    expect(await w.keys.verify(CONFIGURED[0]!)).toEqual({ kind: 'api-key', keyId: 'config-1', scopes: ['admin'] });
    expect(await w.keys.verify(CONFIGURED[1]!)).toEqual({ kind: 'api-key', keyId: 'config-2', scopes: ['admin'] });
    expect(await w.keys.verify('c'.repeat(39))).toBeNull();
    expect((await w.keys.list()).map((k) => [k.id, k.scopes, k.createdBy])).toEqual([
      ['config-1', ['admin'], 'config'],
      ['config-2', ['admin'], 'config'],
    ]);
    expect(await codeOf(w.keys.revoke('config-1', ADMIN))).toBe('NOT_FOUND');
    expect(await w.keys.verify(CONFIGURED[0]!)).not.toBeNull();
  });

  it('notes a key\'s use (lastUsedAt, api_key.used) at most once per 10 minutes', async () => {
    const w = world({ bootstrap: CONFIGURED });
    const { key, record } = await w.keys.create({ name: 'Busy system', scopes: ['appointments:read'] }, ADMIN);
    for (let i = 0; i < 5; i++) await w.keys.verify(key);
    await w.keys.verify(CONFIGURED[0]!);
    expect(w.of('api_key.used').map((e) => [e.actor, e.subject])).toEqual([
      [{ role: 'api', id: record.id }, record.id],
      [{ role: 'api', id: 'config-1' }, 'config-1'],
    ]);
    expect((await w.stores.apiKeys.get(record.id))?.lastUsedAt).toBe('2030-03-04T09:00:00.000Z');
    w.advance(9 * 60_000);
    await w.keys.verify(key);
    expect(w.of('api_key.used')).toHaveLength(2);
    w.advance(60_000);
    await w.keys.verify(key);
    expect(w.of('api_key.used')).toHaveLength(3);
    expect((await w.stores.apiKeys.get(record.id))?.lastUsedAt).toBe('2030-03-04T09:10:00.000Z');
    // A refused key is not a use.
    await w.keys.verify(tamper(key));
    w.advance(20 * 60_000);
    await w.keys.verify(tamper(key));
    expect(w.of('api_key.used')).toHaveLength(3);
    // No audit record carries the key or its secret.
    expect(JSON.stringify(w.recorded)).not.toContain(key.slice(-43));
  });
});
