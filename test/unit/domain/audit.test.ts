// The audit chain: canonical hashing, the recorder, and the verifier. Every
// single alteration, deletion and adjacent swap of a 30-record export must be
// named at the line where it happened.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { randomId, type AppointmentId } from '../../../server/core/ids.ts';
import { AuditChain } from '../../../server/domain/audit/chain.ts';
import { exportLines, type ExportQuery } from '../../../server/domain/audit/export.ts';
import { canonicalJson, EMPTY_HEAD, GENESIS_HASH, hashOf, seal, type AuditRecord } from '../../../server/domain/audit/record.ts';
import { describeVerdict, verifyExport } from '../../../server/domain/audit/verify.ts';
import { DomainBus, EventRecorder } from '../../../server/domain/events.ts';
import { EVENT_TYPES, type DomainEvent } from '../../../server/domain/model.ts';
import type { EventStore } from '../../../server/domain/stores.ts';
import { createMemoryStores } from '../../../server/stores/memory/index.ts';
import { book, Clock, clinicianSession, device, makeWorld, PATIENT_NAME, tokenOf } from './harness.ts';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

async function text(events: EventStore, query: ExportQuery = {}): Promise<string> {
  let out = '';
  for await (const chunk of exportLines(events, query)) out += chunk;
  return out;
}

const linesOf = (t: string): string[] => t.trimEnd().split('\n');
const join = (lines: readonly string[]): string => `${lines.join('\n')}\n`;

/** 30 records of every shape: with and without appointment, subject, reason and source. */
async function thirty(): Promise<{ events: EventStore; a: AppointmentId; full: string }> {
  const clock = new Clock();
  const stores = createMemoryStores({ now: clock.nowMs, trustId: 'test-trust' });
  const recorder = new EventRecorder(stores.events, new DomainBus(), clock.now);
  const a = randomId<AppointmentId>();
  const b = randomId<AppointmentId>();
  for (let i = 0; i < 30; i++) {
    clock.advance(1000);
    const type = EVENT_TYPES[i % EVENT_TYPES.length]!;
    const appointment = i % 5 === 4 ? null : i % 3 === 0 ? b : a;
    const actor = { role: i % 2 ? ('clinician' as const) : ('patient' as const), id: `actor-${String(i)}`, ...(i % 4 ? { address: `192.0.2.${String(i)}` } : {}) };
    const extra = i % 7 === 3 ? { outcome: 'refused' as const, reason: 'TOKEN_INVALID' } : i % 2 ? { subject: `subject-${String(i)}` } : {};
    await recorder.record(type, appointment, actor, extra);
  }
  return { events: stores.events, a, full: await text(stores.events) };
}

/** A different value of the same type, so the record still looks like one. */
function altered(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (value === null) return randomId();
  if (typeof value === 'string') {
    if (/^[0-9a-f]{64}$/.test(value)) return `${value[0] === '0' ? '1' : '0'}${value.slice(1)}`;
    if (value === 'ok') return 'refused';
    if (value === 'refused') return 'ok';
    if (value === 'clinician') return 'patient';
    if (value === 'patient') return 'clinician';
    if ((EVENT_TYPES as readonly string[]).includes(value)) return value === 'link.issued' ? 'link.revoked' : 'link.issued';
    return `${value.slice(0, -1)}${value.endsWith('0') ? '1' : '0'}`;
  }
  throw new Error(`no alteration for ${JSON.stringify(value)}`);
}

/** Every field of a record, nested ones as paths. */
const fieldPaths = (r: Record<string, unknown>): string[][] =>
  Object.entries(r).flatMap(([k, v]) => (v && typeof v === 'object' ? Object.keys(v).map((n) => [k, n]) : [[k]]));

function withAltered(line: string, path: readonly string[]): string {
  const r = JSON.parse(line) as Record<string, unknown>;
  let node = r;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path.at(-1)!;
  node[last] = altered(node[last]);
  return JSON.stringify(r);
}

describe('canonical form and hash', () => {
  it('sorts keys at every depth, has no whitespace and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'é"\n' }, u: undefined })).toBe('{"a":{"c":"é\\"\\n","d":[3,{"y":null,"z":true}]},"b":1}');
    expect(canonicalJson({ B: 1, a: 2, _: 3 })).toBe('{"B":1,"_":3,"a":2}');
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError);
  });

  it("hashes the record's canonical JSON without hash: SHA-256, hex, whatever the key order", () => {
    const record = { seq: 1, time: '2030-03-04T09:00:00.000Z', appointmentId: null, actor: { role: 'api', id: 'api-key' }, action: 'token.rejected', outcome: 'refused', reason: 'TOKEN_INVALID', prevHash: GENESIS_HASH };
    const expected = sha256(
      `{"action":"token.rejected","actor":{"id":"api-key","role":"api"},"appointmentId":null,"outcome":"refused","prevHash":"${GENESIS_HASH}","reason":"TOKEN_INVALID","seq":1,"time":"2030-03-04T09:00:00.000Z"}`,
    );
    expect(hashOf(record)).toBe(expected);
    expect(hashOf({ ...record, hash: 'anything' })).toBe(expected);
    const reversed = Object.fromEntries(Object.entries(record).reverse());
    expect(hashOf(reversed)).toBe(expected);
    expect(hashOf({ ...record, seq: 2 })).not.toBe(expected);
  });

  it('seal follows the head: the next seq, its hash as prevHash, and the hash of the rest', () => {
    const entry = { time: '2030-03-04T09:00:00.000Z', appointmentId: null, actor: { role: 'system' as const, id: 's' }, action: 'consultation.ended' as const, outcome: 'ok' as const };
    const first = seal(entry, EMPTY_HEAD);
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(first.hash).toBe(hashOf(first));
    const second = seal(entry, first);
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
    expect(second.hash).not.toBe(first.hash);
  });
});

describe('the recorder', () => {
  it("records the actor's address as the source, or leaves it out when configured off; ids only", async () => {
    for (const recordSourceAddress of [true, false]) {
      const stores = createMemoryStores();
      const seen: DomainEvent[] = [];
      const bus = new DomainBus();
      bus.on('recorded', (e) => seen.push(e));
      const recorder = new EventRecorder(stores.events, bus, () => new Date('2030-03-04T09:00:00.000Z'), { recordSourceAddress });
      await recorder.record('link.redeemed', null, { role: 'patient', id: 'p-1', address: '198.51.100.4' }, { subject: 'l-1' });
      await recorder.record('token.rejected', null, { role: 'anonymous', id: 'unknown' }, { outcome: 'refused', reason: 'TOKEN_INVALID' });
      const records: AuditRecord[] = [];
      for await (const r of stores.events.records()) records.push(r);
      expect(records[0]).toEqual({
        seq: 1,
        time: '2030-03-04T09:00:00.000Z',
        appointmentId: null,
        actor: { role: 'patient', id: 'p-1' },
        action: 'link.redeemed',
        outcome: 'ok',
        subject: 'l-1',
        ...(recordSourceAddress ? { source: '198.51.100.4' } : {}),
        prevHash: GENESIS_HASH,
        hash: records[0]!.hash,
      });
      expect(records[1]).not.toHaveProperty('source');
      expect(records[1]!.prevHash).toBe(records[0]!.hash);
      expect(seen[0]!.actor).toEqual({ role: 'patient', id: 'p-1', ...(recordSourceAddress ? { address: '198.51.100.4' } : {}) });
    }
  });

  it('never puts a name or a token in a record', async () => {
    const w = makeWorld();
    const created = await book(w);
    const clin = await clinicianSession(w, created);
    const g = await w.sessions.redeemLink(tokenOf(created.patientUrl), { ...device(), address: '203.0.113.9' });
    await w.consultations.enterWaitingRoom(g.participant.id, created.appointment.id, '203.0.113.9');
    await w.consultations.admit(clin, created.appointment.id, g.participant.id, '198.51.100.1');
    const trail = await text(w.stores.events);
    expect(trail).not.toContain(PATIENT_NAME);
    expect(trail).not.toContain('Dr Asha Patel');
    for (const t of [tokenOf(created.patientUrl), tokenOf(created.clinicianUrl)]) for (const part of t.split('.')) expect(trail).not.toContain(part);
    expect(trail).toContain('"source":"203.0.113.9"');
    expect(trail).toContain('"source":"198.51.100.1"');
    // Five consultation steps, and the console ticket's auth.signed_in and ticket.redeemed.
    expect(verifyExport(trail)).toMatchObject({ ok: true, records: 7 });
  });

  it('retries on the head another node moved, and appends on top of it', async () => {
    const stores = createMemoryStores();
    const other = new AuditChain(stores.events);
    const entry = (id: string) => ({ time: '2030-03-04T09:00:00.000Z', appointmentId: null, actor: { role: 'system' as const, id }, action: 'consultation.ended' as const, outcome: 'ok' as const });
    const mine = new AuditChain(stores.events);
    await mine.append(entry('mine-1'));
    // Another node appends twice; my cached head is now stale.
    await other.append(entry('other-1'));
    await other.append(entry('other-2'));
    const r = await mine.append(entry('mine-2'));
    expect(r.seq).toBe(4);
    expect(verifyExport(await text(stores.events))).toMatchObject({ ok: true, records: 4 });
  });
});

describe('verifying an export', () => {
  it('says OK with the head for an intact export, the empty one too', async () => {
    const { full } = await thirty();
    const lines = linesOf(full);
    expect(lines).toHaveLength(31);
    const last = JSON.parse(lines[29]!) as AuditRecord;
    const v = verifyExport(full);
    expect(v).toEqual({ ok: true, records: 30, complete: true, head: { seq: 30, hash: last.hash } });
    expect(describeVerdict(v)).toBe(`OK: 30 records, chain intact (head ${last.hash})`);
    expect(JSON.parse(lines[30]!)).toEqual({ export: { trust: 'test-trust', complete: true, records: 30, head: { seq: 30, hash: last.hash } } });

    const empty = await text(createMemoryStores().events);
    expect(describeVerdict(verifyExport(empty))).toBe(`OK: 0 records, chain intact (head ${GENESIS_HASH})`);
  });

  it('names the line of any single altered field of any record', async () => {
    const { full } = await thirty();
    const lines = linesOf(full);
    let checked = 0;
    for (let k = 1; k <= 30; k++) {
      const paths = fieldPaths(JSON.parse(lines[k - 1]!) as Record<string, unknown>);
      expect(paths.length).toBeGreaterThanOrEqual(9);
      for (const path of paths) {
        const tampered = lines.slice();
        tampered[k - 1] = withAltered(lines[k - 1]!, path);
        const v = verifyExport(join(tampered));
        expect(v, `record ${String(k)}, ${path.join('.')}`).toMatchObject({ ok: false, line: k, problem: 'record altered (hash mismatch)' });
        checked++;
      }
      // A field added or taken away is an alteration too.
      const r = JSON.parse(lines[k - 1]!) as Record<string, unknown>;
      for (const changed of [{ ...r, note: 'x' }, Object.fromEntries(Object.entries(r).filter(([key]) => key !== 'time'))]) {
        const tampered = lines.slice();
        tampered[k - 1] = JSON.stringify(changed);
        expect(verifyExport(join(tampered))).toMatchObject({ ok: false, line: k, problem: 'record altered (hash mismatch)' });
      }
    }
    expect(checked).toBeGreaterThan(30 * 9);
    const one = lines.slice();
    one[6] = withAltered(lines[6]!, ['action']);
    expect(describeVerdict(verifyExport(join(one)))).toBe('FAIL at line 7 (seq 7): record altered (hash mismatch)');
  });

  it('names the place of any single removed record, the last one too', async () => {
    const { full } = await thirty();
    const lines = linesOf(full);
    for (let k = 1; k <= 30; k++) {
      const v = verifyExport(join(lines.filter((_, i) => i !== k - 1)));
      if (k < 30) expect(v, `record ${String(k)}`).toEqual({ ok: false, line: k, seq: k + 1, problem: `record missing before seq ${String(k + 1)}` });
      else expect(v).toEqual({ ok: false, line: 30, problem: 'record missing after seq 29 (the head is seq 30)' });
    }
    expect(describeVerdict(verifyExport(join(lines.filter((_, i) => i !== 8))))).toBe('FAIL at line 9 (seq 10): record missing before seq 10');
  });

  it('names the place of any two adjacent records swapped', async () => {
    const { full } = await thirty();
    const lines = linesOf(full);
    for (let k = 1; k < 30; k++) {
      const swapped = lines.slice();
      [swapped[k - 1], swapped[k]] = [lines[k]!, lines[k - 1]!];
      const v = verifyExport(join(swapped));
      expect(v, `records ${String(k)} and ${String(k + 1)}`).toEqual({ ok: false, line: k, seq: k + 1, problem: `out of order (seq ${String(k)} comes later, at line ${String(k + 1)})` });
    }
  });

  it('catches a record rewritten with a fresh hash where the chain breaks', async () => {
    const { full } = await thirty();
    const lines = linesOf(full);
    for (const k of [1, 12, 30]) {
      const r = JSON.parse(lines[k - 1]!) as Record<string, unknown>;
      r.outcome = r.outcome === 'ok' ? 'refused' : 'ok';
      r.hash = hashOf(r);
      const tampered = lines.slice();
      tampered[k - 1] = JSON.stringify(r);
      const v = verifyExport(join(tampered));
      if (k < 30) expect(v).toEqual({ ok: false, line: k + 1, seq: k + 1, problem: `chain broken (prevHash is not the hash of seq ${String(k)})` });
      else expect(v).toMatchObject({ ok: false, line: 31, problem: 'the head the trailer names is not the last record (hash mismatch)' });
    }
    // A forged first record must still follow 64 zeros.
    const forged = seal({ ...(JSON.parse(lines[0]!) as AuditRecord) }, { seq: 0, hash: 'e'.repeat(64) });
    expect(verifyExport(join([JSON.stringify(forged), ...lines.slice(1)]))).toMatchObject({ ok: false, line: 1, problem: 'chain broken (the first record must follow 64 zeros)' });
  });

  it('is a snapshot: records appended while an export runs are left for the next one', async () => {
    const { events } = await thirty();
    const chain = new AuditChain(events);
    const entry = { time: '2030-03-04T10:00:00.000Z', appointmentId: null, actor: { role: 'system' as const, id: 's' }, action: 'consultation.ended' as const, outcome: 'ok' as const };
    const growing: EventStore = {
      trustId: events.trustId,
      head: () => events.head(),
      append: (r) => events.append(r),
      appendBatch: (rs) => events.appendBatch(rs),
      list: (id) => events.list(id),
      async *records(scan) {
        for await (const r of events.records(scan)) {
          if (r.seq === 10) await chain.append(entry);
          yield r;
        }
      },
    };
    const during = await text(growing);
    expect(verifyExport(during)).toMatchObject({ ok: true, records: 30 });
    expect(verifyExport(await text(events))).toMatchObject({ ok: true, records: 31 });
  });

  it('fails an export that was cut short, has no trailer, or goes on after it', async () => {
    const { full } = await thirty();
    const lines = linesOf(full);
    expect(verifyExport(join(lines.slice(0, 30)))).toEqual({ ok: false, line: 31, problem: 'export incomplete: no trailer line (the export was cut short?)' });
    expect(verifyExport(join(lines.slice(0, 12)))).toMatchObject({ ok: false, line: 13 });
    expect(verifyExport(full.slice(0, full.length - 40))).toMatchObject({ ok: false, line: 31, problem: 'not JSON' });
    expect(verifyExport(join([...lines, lines[3]!]))).toMatchObject({ ok: false, line: 32, problem: 'a line after the export trailer' });
    expect(verifyExport(join([...lines.slice(0, 5), '', ...lines.slice(5)]))).toMatchObject({ ok: false, line: 6 });
    expect(verifyExport('')).toMatchObject({ ok: false, line: 1 });
    // A duplicated record.
    expect(verifyExport(join([...lines.slice(0, 5), lines[4]!, ...lines.slice(5)]))).toMatchObject({ ok: false, line: 6, problem: 'out of order (seq 5 after seq 5)' });
  });

  it("checks a filtered export's records and their order, and counts them, but not its gaps", async () => {
    const { events, a, full } = await thirty();
    const filtered = await text(events, { appointmentId: a });
    const lines = linesOf(filtered);
    const n = lines.length - 1;
    expect(n).toBeGreaterThan(5);
    expect(n).toBeLessThan(30);
    const v = verifyExport(filtered);
    expect(v).toMatchObject({ ok: true, records: n, complete: false });
    expect(describeVerdict(v)).toMatch(new RegExp(`^OK: ${String(n)} records of a filtered export, each intact and in order; gaps not checked \\(chain head at export: seq 30, [0-9a-f]{64}\\)$`));
    expect(JSON.parse(lines[n]!)).toMatchObject({ export: { complete: false, records: n, appointmentId: a } });
    for (let k = 1; k <= n; k++) {
      const tampered = lines.slice();
      tampered[k - 1] = withAltered(lines[k - 1]!, ['subject' in (JSON.parse(lines[k - 1]!) as object) ? 'subject' : 'time']);
      expect(verifyExport(join(tampered))).toMatchObject({ ok: false, line: k, problem: 'record altered (hash mismatch)' });
      if (k < n) {
        const swapped = lines.slice();
        [swapped[k - 1], swapped[k]] = [lines[k]!, lines[k - 1]!];
        expect(verifyExport(join(swapped))).toMatchObject({ ok: false, line: k + 1, problem: expect.stringMatching(/^out of order/) as unknown });
      }
      // The count in the trailer shows that one is gone, though not where.
      expect(verifyExport(join(lines.filter((_, i) => i !== k - 1)))).toMatchObject({ ok: false, line: n, problem: expect.stringMatching(/^record missing: the trailer counts/) as unknown });
    }
    // A time window is a filtered export too.
    const times = linesOf(full).slice(0, 30).map((l) => (JSON.parse(l) as AuditRecord).time);
    const window = await text(events, { from: times[9]!, to: times[20]! });
    expect(verifyExport(window)).toMatchObject({ ok: true, records: 11, complete: false });
  });
});
