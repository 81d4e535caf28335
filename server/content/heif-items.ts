// The items of a HEIF file and where their bytes are: iinf (what each item
// is), iloc (its extents), iref (which items are thumbnails). Counts are
// bounded, and every extent must lie inside mdat or idat, within the file,
// and not overlap another item's: a file cannot point two items at the same
// bytes, at its own boxes, or at more data than it has.
import { BOUNDS, tooComplex } from './bounds.ts';
import { Cursor, fail, fullBox, readBoxes, type Box } from './heif-boxes.ts';

export interface Item {
  id: number;
  /** The item type (hvc1, av01, grid, Exif, mime, ...); for infe versions 0 and 1, '' (those describe files, not images). */
  type: string;
  /** For mime items, the content type. */
  contentType: string;
  infe: Box;
  /** Where the variable part of infe (name, content type, URI) starts: zeroed by the stripper. */
  textFrom: number;
}

/** One `infe` box. */
function readInfe(buf: Buffer, box: Box): Item {
  const { version, cur } = fullBox(buf, box);
  if (version > 3) fail(`infe version ${version}`);
  if (version < 2) {
    const id = cur.u16();
    cur.u16(); // protection index
    const textFrom = cur.pos;
    cur.cstring(); // item name
    return { id, type: '', contentType: cur.pos < cur.end ? cur.cstring() : '', infe: box, textFrom };
  }
  const id = version === 2 ? cur.u16() : cur.u32();
  cur.u16(); // protection index
  const type = cur.fourcc();
  const textFrom = cur.pos;
  cur.cstring(); // item name
  return { id, type, contentType: type === 'mime' && cur.pos < cur.end ? cur.cstring() : '', infe: box, textFrom };
}

export function readItems(buf: Buffer, iinf: Box): Item[] {
  const { version, cur } = fullBox(buf, iinf);
  const count = version === 0 ? cur.u16() : cur.u32();
  if (count > BOUNDS.heifItems) tooComplex('too many items');
  const entries = readBoxes(buf, cur.pos, iinf.end).filter((b) => b.type === 'infe');
  if (entries.length < count) fail('iinf has fewer entries than it declares');
  if (entries.length > BOUNDS.heifItems) tooComplex('too many items');
  return entries.map((b) => readInfe(buf, b));
}

export interface ItemLocation {
  method: number;
  dataRef: number;
  base: number;
  extents: { offset: number; length: number }[];
}

export function readIloc(buf: Buffer, iloc: Box): Map<number, ItemLocation> {
  const { version, cur } = fullBox(buf, iloc);
  if (version > 2) fail(`iloc version ${version}`);
  const sizes = cur.u8();
  const more = cur.u8();
  const [offsetSize, lengthSize, baseSize] = [sizes >> 4, sizes & 15, more >> 4];
  const indexSize = version > 0 ? more & 15 : 0;
  const count = version < 2 ? cur.u16() : cur.u32();
  if (count > BOUNDS.heifItems) tooComplex('too many located items');
  const locations = new Map<number, ItemLocation>();
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? cur.u16() : cur.u32();
    const method = version > 0 ? cur.u16() & 15 : 0;
    const dataRef = cur.u16();
    const base = cur.uint(baseSize);
    const n = cur.u16();
    if (n > BOUNDS.heifExtentsPerItem) tooComplex('too many extents for one item');
    // Zero-byte extents would let a tiny box demand many iterations per item.
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

/** Ids of the items that are thumbnails of another (iref 'thmb', from the thumbnail to its master). */
export function thumbnails(buf: Buffer, iref: Box | undefined): Set<number> {
  const out = new Set<number>();
  if (!iref) return out;
  const { version, cur } = fullBox(buf, iref);
  for (const ref of readBoxes(buf, cur.pos, iref.end)) {
    if (ref.type !== 'thmb') continue;
    const c = new Cursor(buf, ref.body, ref.end); // a reference box has no version of its own: iref's says the id size
    out.add(version === 0 ? c.u16() : c.u32());
  }
  return out;
}

export interface Range {
  start: number;
  length: number;
}

/** Where an item's offsets point: the top-level mdat boxes (method 0) or the meta box's idat (method 1). */
function dataSource(loc: ItemLocation, top: Box[], idat: Box | undefined): { containers: Box[]; origin: number } {
  if (loc.dataRef !== 0) fail('item data in another file');
  if (loc.method === 0) return { containers: top.filter((b) => b.type === 'mdat'), origin: 0 };
  if (loc.method === 1 && idat) return { containers: [idat], origin: idat.body };
  return fail(loc.method === 1 ? 'idat item without idat' : `construction method ${loc.method} (e.g. built from other items)`);
}

/** The byte ranges of an item's payload, each confined to one container so a file cannot make us rewrite its own boxes. */
export function resolve(loc: ItemLocation, top: Box[], idat: Box | undefined): Range[] {
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

/** Refuses extents that overlap (two items, or one item twice, on the same bytes). */
export function checkDisjoint(ranges: Range[]): void {
  const sorted = [...ranges].filter((r) => r.length > 0).sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.start < sorted[i - 1]!.start + sorted[i - 1]!.length) fail('overlapping item extents');
}
