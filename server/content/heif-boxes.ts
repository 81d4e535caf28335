// Reading ISOBMFF boxes (the HEIF/AVIF container) from untrusted bytes: every
// read is bounds-checked against its box, and the number of boxes side by
// side in one container is bounded. The parser in heif.ts only descends a
// fixed path (top level, meta, iinf/iprp/iref, ipco), so nesting depth is
// bounded by construction. A plain Error means malformed.
import { BOUNDS, tooComplex } from './bounds.ts';

export const fail = (why: string): never => {
  throw new Error(`HEIF: ${why}`);
};

/** A read position that refuses to leave [pos, end). */
export class Cursor {
  readonly buf: Buffer;
  readonly end: number;
  pos: number;

  constructor(buf: Buffer, pos: number, end: number) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  take(n: number): number {
    const at = this.pos;
    if (at + n > this.end) fail('field runs past its box');
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf.readUInt8(this.take(1));
  }

  u16(): number {
    return this.buf.readUInt16BE(this.take(2));
  }

  u32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }

  /** An unsigned field of 0, 4 or 8 bytes, as iloc sizes allow. */
  uint(size: number): number {
    if (size === 0) return 0;
    if (size === 4) return this.u32();
    if (size === 8) return safe(this.buf.readBigUInt64BE(this.take(8)));
    return fail(`field size ${size} is not 0, 4 or 8`);
  }

  fourcc(): string {
    const at = this.take(4);
    return this.buf.toString('latin1', at, at + 4);
  }

  /** A NUL-terminated string; tolerates a missing NUL at the end of the box. */
  cstring(): string {
    const rest = this.buf.subarray(this.pos, this.end);
    const nul = rest.indexOf(0);
    const text = rest.toString('utf8', 0, nul < 0 ? rest.length : nul);
    this.pos += nul < 0 ? rest.length : nul + 1;
    return text;
  }
}

function safe(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail('64-bit value too large');
  return Number(value);
}

export interface Box {
  type: string;
  start: number;
  /** First byte after the header. */
  body: number;
  end: number;
}

/** The boxes filling [from, to) exactly; size 0 means "to the end of the parent". */
export function readBoxes(buf: Buffer, from: number, to: number): Box[] {
  const boxes: Box[] = [];
  for (let at = from; at < to; ) {
    if (boxes.length >= BOUNDS.heifBoxes) tooComplex('too many boxes in one container');
    const cur = new Cursor(buf, at, to);
    let size = cur.u32();
    const type = cur.fourcc();
    if (size === 1) size = cur.uint(8);
    else if (size === 0) size = to - at;
    if (type === 'uuid') cur.take(16);
    if (size < cur.pos - at || at + size > to) fail(`${type} box size out of bounds`);
    boxes.push({ type, start: at, body: cur.pos, end: at + size });
    at += size;
  }
  return boxes;
}

/** One box of this type among siblings, or undefined; two would be ambiguous, so refused. */
export function single(boxes: Box[], type: string): Box | undefined {
  const found = boxes.filter((b) => b.type === type);
  if (found.length > 1) fail(`more than one ${type} box`);
  return found[0];
}

/** Version, flags and a cursor on the content of a full box. */
export function fullBox(buf: Buffer, box: Box): { version: number; flags: number; cur: Cursor } {
  const cur = new Cursor(buf, box.body, box.end);
  const word = cur.u32();
  return { version: word >>> 24, flags: word & 0xffffff, cur };
}
