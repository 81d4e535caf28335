// Verifies an audit export (see export.ts) and names the first line at fault.
// Pure: text in, verdict out; scripts/audit-verify.ts and the tests use it.
//
// Every record's hash is recomputed. A complete export must then be the whole
// chain: seq 1, 2, 3... each prevHash the hash before it (64 zeros first),
// ending at the trailer's head. A filtered export (one appointment, a time
// range) has gaps by design: its seqs must increase, and records that are
// neighbours in the chain must link; where records are missing is not known.
import { GENESIS_HASH, hashOf, type ChainHead } from './record.ts';

export type Verdict =
  | { ok: true; records: number; complete: boolean; head: ChainHead }
  | { ok: false; line: number; seq?: number; problem: string };

type Json = Record<string, unknown>;

interface RecordLine {
  kind: 'record';
  line: number;
  seq: number;
  prevHash: string;
  hash: string;
  body: Json;
}
interface TrailerLine {
  kind: 'trailer';
  line: number;
  complete: boolean;
  records: number;
  head: ChainHead;
}
interface BadLine {
  kind: 'bad';
  line: number;
  problem: string;
}
type Line = RecordLine | TrailerLine | BadLine;

const HEX64 = /^[0-9a-f]{64}$/;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const isHash = (v: unknown): v is string => typeof v === 'string' && HEX64.test(v);

function parseLine(text: string, line: number): Line {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'bad', line, problem: 'not JSON' };
  }
  if (!isObject(value)) return { kind: 'bad', line, problem: 'not a JSON object' };
  if ('export' in value && !('seq' in value)) {
    const t = value.export;
    const head = isObject(t) ? t.head : undefined;
    if (
      !isObject(t) ||
      typeof t.complete !== 'boolean' ||
      typeof t.records !== 'number' ||
      !isObject(head) ||
      !(head.seq === 0 || isSeq(head.seq)) ||
      !isHash(head.hash)
    ) {
      return { kind: 'bad', line, problem: 'the export trailer is not in the expected form' };
    }
    return { kind: 'trailer', line, complete: t.complete, records: t.records, head: { seq: head.seq, hash: head.hash } };
  }
  if (!isSeq(value.seq) || !isHash(value.prevHash) || !isHash(value.hash)) {
    return { kind: 'bad', line, problem: 'not an audit record (seq, prevHash and hash are required)' };
  }
  return { kind: 'record', line, seq: value.seq, prevHash: value.prevHash, hash: value.hash, body: value };
}

const fail = (line: number, problem: string, seq?: number): Verdict => ({ ok: false, line, problem, ...(seq === undefined ? {} : { seq }) });

export function verifyExport(text: string): Verdict {
  const raw = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (raw.at(-1) === '') raw.pop();
  const lines = raw.map((l, i) => parseLine(l, i + 1));
  const trailerAt = lines.findIndex((l) => l.kind === 'trailer');
  const trailer = trailerAt >= 0 ? (lines[trailerAt] as TrailerLine) : undefined;
  const complete = trailer?.complete ?? false;
  // Where each seq first appears, to tell a record that comes later (out of order) from one that is gone.
  const lineOfSeq = new Map<number, number>();
  for (const l of lines) if (l.kind === 'record' && !lineOfSeq.has(l.seq)) lineOfSeq.set(l.seq, l.line);

  let previous: { seq: number; hash: string } | null = null;
  let count = 0;
  for (const l of lines) {
    if (l.kind === 'bad') return fail(l.line, l.problem);
    if (l.kind === 'trailer') {
      if (l.line !== lines.length) return fail(l.line + 1, 'a line after the export trailer');
      break;
    }
    if (hashOf(l.body) !== l.hash) return fail(l.line, 'record altered (hash mismatch)', l.seq);
    if (complete) {
      const expected = (previous?.seq ?? 0) + 1;
      if (l.seq < expected) return fail(l.line, `out of order (seq ${String(l.seq)} after seq ${String(expected - 1)})`, l.seq);
      if (l.seq > expected) {
        const later = lineOfSeq.get(expected);
        if (later !== undefined && later > l.line) return fail(l.line, `out of order (seq ${String(expected)} comes later, at line ${String(later)})`, l.seq);
        return fail(l.line, `record missing before seq ${String(l.seq)}`, l.seq);
      }
    } else if (previous && l.seq <= previous.seq) {
      return fail(l.line, `out of order (seq ${String(l.seq)} after seq ${String(previous.seq)})`, l.seq);
    }
    const linked = l.seq === 1 ? GENESIS_HASH : previous?.seq === l.seq - 1 ? previous.hash : undefined;
    if (linked !== undefined && l.prevHash !== linked) {
      return fail(l.line, l.seq === 1 ? 'chain broken (the first record must follow 64 zeros)' : `chain broken (prevHash is not the hash of seq ${String(l.seq - 1)})`, l.seq);
    }
    previous = { seq: l.seq, hash: l.hash };
    count++;
  }

  if (!trailer) return fail(lines.length + 1, 'export incomplete: no trailer line (the export was cut short?)');
  const at = trailer.line;
  const lastSeq = previous?.seq ?? 0;
  if (lastSeq > trailer.head.seq) return fail(at, `the export goes on to seq ${String(lastSeq)}, past the head it names (seq ${String(trailer.head.seq)})`);
  if (complete) {
    if (lastSeq < trailer.head.seq) return fail(at, `record missing after seq ${String(lastSeq)} (the head is seq ${String(trailer.head.seq)})`);
    if ((previous?.hash ?? GENESIS_HASH) !== trailer.head.hash) return fail(at, 'the head the trailer names is not the last record (hash mismatch)');
  }
  if (trailer.records !== count) return fail(at, `record missing: the trailer counts ${String(trailer.records)} records, the export holds ${String(count)}`);
  return { ok: true, records: count, complete, head: complete ? { seq: lastSeq, hash: previous?.hash ?? GENESIS_HASH } : trailer.head };
}

/** The verdict as the one line the verify command prints. */
export function describeVerdict(v: Verdict): string {
  if (!v.ok) return `FAIL at line ${String(v.line)}${v.seq === undefined ? '' : ` (seq ${String(v.seq)})`}: ${v.problem}`;
  if (v.complete) return `OK: ${String(v.records)} records, chain intact (head ${v.head.hash})`;
  return `OK: ${String(v.records)} records of a filtered export, each intact and in order; gaps not checked (chain head at export: seq ${String(v.head.seq)}, ${v.head.hash})`;
}
