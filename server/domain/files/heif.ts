// HEIF/HEIC/AVIF metadata stripping at the ISOBMFF container level. The
// bundled libvips cannot decode HEVC, so instead of re-encoding we find the
// Exif and XMP items through meta/iinf/iloc and overwrite their payloads in
// place with neutral bytes of the same length: no box size or offset moves,
// and the image items are untouched. Every read is bounds-checked; a plain
// Error means malformed, and content.ts turns it into
// ContentError('CORRUPT_FILE').

export interface StrippedHeif {
  bytes: Buffer;
  removed: string[];
  /** From the primary item's `ispe` property, when present. */
  width?: number;
  height?: number;
}

const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
const GENERIC_BRANDS = new Set(['mif1', 'msf1']);

const fail = (why: string): never => {
  throw new Error(`HEIF: ${why}`);
};

const view = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The MIME type an `ftyp` box at offset 0 announces, or null when it is not a HEIF family file. */
export function heifMime(bytes: Uint8Array): string | null {
  if (bytes.length < 16) return null;
  const buf = view(bytes);
  if (buf.toString('latin1', 4, 8) !== 'ftyp') return null;
  const size = buf.readUInt32BE(0);
  if (size < 16 || size > buf.length) return null;
  // Major brand first, then compatible brands (bytes 12..16 are the minor version).
  const brands = [buf.toString('latin1', 8, 12)];
  for (let at = 16; at + 4 <= size; at += 4) brands.push(buf.toString('latin1', at, at + 4));
  for (const brand of brands) {
    if (AVIF_BRANDS.has(brand)) return 'image/avif';
    if (HEIC_BRANDS.has(brand)) return 'image/heic';
  }
  return brands.some((b) => GENERIC_BRANDS.has(b)) ? 'image/heif' : null;
}

/** A read position that refuses to leave [pos, end). */
class Cursor {
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

interface Box {
  type: string;
  start: number;
  /** First byte after the header. */
  body: number;
  end: number;
}

/** The boxes filling [from, to) exactly; size 0 means "to the end of the parent". */
function readBoxes(buf: Buffer, from: number, to: number): Box[] {
  const boxes: Box[] = [];
  for (let at = from; at < to; ) {
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
function single(boxes: Box[], type: string): Box | undefined {
  const found = boxes.filter((b) => b.type === type);
  if (found.length > 1) fail(`more than one ${type} box`);
  return found[0];
}

/** Version, flags and a cursor on the content of a full box. */
function fullBox(buf: Buffer, box: Box): { version: number; flags: number; cur: Cursor } {
  const cur = new Cursor(buf, box.body, box.end);
  const word = cur.u32();
  return { version: word >>> 24, flags: word & 0xffffff, cur };
}

type MetaKind = 'exif' | 'xmp';

const isXmpType = (contentType: string): boolean => contentType.split(';')[0]!.trim().toLowerCase() === 'application/rdf+xml';

/** The item id and, when it is metadata, its kind, from one `infe` box. */
function readInfe(buf: Buffer, box: Box): { id: number; kind: MetaKind | null } {
  const { version, cur } = fullBox(buf, box);
  if (version > 3) fail(`infe version ${version}`);
  if (version < 2) {
    const id = cur.u16();
    cur.u16(); // protection index
    cur.cstring(); // item name
    return { id, kind: cur.pos < cur.end && isXmpType(cur.cstring()) ? 'xmp' : null };
  }
  const id = version === 2 ? cur.u16() : cur.u32();
  cur.u16(); // protection index
  const type = cur.fourcc();
  if (type === 'Exif') return { id, kind: 'exif' };
  if (type !== 'mime') return { id, kind: null };
  cur.cstring(); // item name
  return { id, kind: isXmpType(cur.cstring()) ? 'xmp' : null };
}

function metadataItems(buf: Buffer, iinf: Box): { id: number; kind: MetaKind }[] {
  const { version, cur } = fullBox(buf, iinf);
  const count = version === 0 ? cur.u16() : cur.u32();
  const entries = readBoxes(buf, cur.pos, iinf.end).filter((b) => b.type === 'infe');
  if (entries.length < count) fail('iinf has fewer entries than it declares');
  return entries.map((b) => readInfe(buf, b)).filter((i): i is { id: number; kind: MetaKind } => i.kind !== null);
}

interface ItemLocation {
  method: number;
  dataRef: number;
  base: number;
  extents: { offset: number; length: number }[];
}

function readIloc(buf: Buffer, iloc: Box): Map<number, ItemLocation> {
  const { version, cur } = fullBox(buf, iloc);
  if (version > 2) fail(`iloc version ${version}`);
  const sizes = cur.u8();
  const more = cur.u8();
  const [offsetSize, lengthSize, baseSize] = [sizes >> 4, sizes & 15, more >> 4];
  const indexSize = version > 0 ? more & 15 : 0;
  const count = version < 2 ? cur.u16() : cur.u32();
  const locations = new Map<number, ItemLocation>();
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? cur.u16() : cur.u32();
    const method = version > 0 ? cur.u16() & 15 : 0;
    const dataRef = cur.u16();
    const base = cur.uint(baseSize);
    const n = cur.u16();
    // Zero-byte extents would let a tiny box demand 65535 iterations per item.
    if (n > 1 && indexSize + offsetSize + lengthSize === 0) fail('empty extents');
    const extents = [];
    for (let e = 0; e < n; e++) {
      cur.uint(indexSize);
      extents.push({ offset: cur.uint(offsetSize), length: cur.uint(lengthSize) });
    }
    if (locations.has(id)) fail(`item ${id} located twice`);
    locations.set(id, { method, dataRef, base, extents });
  }
  return locations;
}

/** Where an item's offsets point: the top-level mdat boxes (method 0) or the meta box's idat (method 1). */
function dataSource(loc: ItemLocation, top: Box[], idat: Box | undefined): { containers: Box[]; origin: number } {
  if (loc.dataRef !== 0) fail('item data in another file');
  if (loc.method === 0) return { containers: top.filter((b) => b.type === 'mdat'), origin: 0 };
  if (loc.method === 1 && idat) return { containers: [idat], origin: idat.body };
  return fail(loc.method === 1 ? 'idat item without idat' : `construction method ${loc.method} (e.g. built from other items)`);
}

/** The byte ranges of an item's payload, each confined to one container so a file cannot make us rewrite its own boxes. */
function resolve(loc: ItemLocation, top: Box[], idat: Box | undefined): { start: number; length: number }[] {
  const { containers, origin } = dataSource(loc, top, idat);
  return loc.extents.map(({ offset, length }) => {
    const start = origin + loc.base + offset;
    const inside = containers.find((c) => start >= c.body && start <= c.end);
    if (!inside) return fail('item data outside mdat/idat');
    // Length 0 means "to the end of the data".
    const len = length === 0 && loc.extents.length === 1 ? inside.end - start : length;
    if (start + len > inside.end) fail('item data runs past its container');
    return { start, length: len };
  });
}

/** A valid Exif item with no entries: offset 0, then "MM\0*", IFD0 at 8 with 0 entries, next IFD 0, zero padding. */
export function emptyExifItem(length: number): Buffer {
  const out = Buffer.alloc(length);
  if (length < 18) return out;
  out.write('MM\0*', 4, 'latin1');
  out.writeUInt32BE(8, 8);
  return out;
}

/** Writes `content` across the ranges in order, as a reader concatenating the extents would see it. */
function overwrite(out: Buffer, ranges: { start: number; length: number }[], content: (length: number) => Buffer): void {
  const total = ranges.reduce((sum, r) => sum + r.length, 0);
  const data = content(total);
  let from = 0;
  for (const r of ranges) {
    data.copy(out, r.start, from, from + r.length);
    from += r.length;
  }
}

/** Width and height from the primary item's `ispe`, if the file says. */
function primarySize(buf: Buffer, metaKids: Box[]): { width: number; height: number } | undefined {
  const pitm = single(metaKids, 'pitm');
  const iprp = single(metaKids, 'iprp');
  if (!pitm || !iprp) return undefined;
  const p = fullBox(buf, pitm);
  const primary = p.version === 0 ? p.cur.u16() : p.cur.u32();
  const iprpKids = readBoxes(buf, iprp.body, iprp.end);
  const ipco = single(iprpKids, 'ipco');
  const ipma = single(iprpKids, 'ipma');
  if (!ipco || !ipma) return undefined;
  const properties = readBoxes(buf, ipco.body, ipco.end);
  for (const index of associations(buf, ipma, primary)) {
    const prop = properties[index - 1];
    if (prop?.type !== 'ispe') continue;
    const { cur } = fullBox(buf, prop);
    return { width: cur.u32(), height: cur.u32() };
  }
  return undefined;
}

/** 1-based property indices `ipma` associates with one item. */
function associations(buf: Buffer, ipma: Box, item: number): number[] {
  const { version, flags, cur } = fullBox(buf, ipma);
  const count = cur.u32();
  for (let i = 0; i < count; i++) {
    const id = version < 1 ? cur.u16() : cur.u32();
    const n = cur.u8();
    const indices = [];
    for (let a = 0; a < n; a++) indices.push(flags & 1 ? cur.u16() & 0x7fff : cur.u8() & 0x7f);
    if (id === item) return indices;
  }
  return [];
}

const LABEL: Record<MetaKind, string> = { exif: 'EXIF (Exif item)', xmp: 'XMP (mime item)' };

export function stripHeif(src: Buffer): StrippedHeif {
  const top = readBoxes(src, 0, src.length);
  if (top[0]?.type !== 'ftyp') fail('ftyp is not the first box');
  const meta = single(top, 'meta') ?? fail('no meta box');
  const metaKids = readBoxes(src, fullBox(src, meta).cur.pos, meta.end);
  const iinf = single(metaKids, 'iinf');
  const iloc = single(metaKids, 'iloc');
  const items = iinf ? metadataItems(src, iinf) : [];
  const locations = iloc ? readIloc(src, iloc) : new Map<number, ItemLocation>();
  const idat = single(metaKids, 'idat');
  const out = Buffer.from(src); // a copy: the caller's bytes stay as they were
  const removed = new Set<string>();
  for (const item of items) {
    const loc = locations.get(item.id);
    if (!loc) continue; // an item without a location has no payload
    const fill = item.kind === 'exif' ? emptyExifItem : (n: number) => Buffer.alloc(n, 0x20);
    overwrite(out, resolve(loc, top, idat), fill);
    removed.add(LABEL[item.kind]);
  }
  return { bytes: out, removed: [...removed], ...primarySize(src, metaKids) };
}
