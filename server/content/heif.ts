// HEIF/HEIC/AVIF metadata removal at the ISOBMFF container level, by
// allow-list and in place. The bundled libvips cannot decode HEVC, so nothing
// is re-encoded, and since item offsets are absolute no byte may move: what
// is not needed to decode the image is overwritten with neutral bytes of the
// same length instead. Kept: ftyp (known brands only), meta with hdlr, pitm,
// iloc, iinf, iref, iprp and idat, and the bytes of image items that are not
// thumbnails. Zeroed: Exif (left as a valid empty Exif block), XMP and every
// other non-image item, thumbnails, item and handler names, the parts of mdat
// and idat no kept item uses, unknown item properties, the device and text
// fields of ICC profiles (icc.ts), and every other box, which becomes a
// zero-filled `free` box; boxes after the last needed one are cut off.
// Counts, extents and overlaps are bounded (heif-items.ts). A plain Error
// means malformed; content.ts turns it into CORRUPT_FILE.
import { fail, fullBox, readBoxes, single, type Box } from './heif-boxes.ts';
import { checkDisjoint, readIloc, readItems, resolve, thumbnails, type Item, type ItemLocation, type Range } from './heif-items.ts';
import { scrubIcc } from './icc.ts';

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
/** Brands a reader may look for; any other compatible brand is replaced by the major brand. */
const KNOWN_BRANDS = new Set([...HEIC_BRANDS, ...AVIF_BRANDS, ...GENERIC_BRANDS, 'mif2', 'miaf', 'MA1A', 'MA1B', 'jpeg', 'isom', 'iso8', 'unif', 'MiHA', 'MiHB', 'MiHE', 'MiPr', 'heif', 'avio', 'tmap']);
/** Item types whose bytes are (part of) a picture. */
const IMAGE_ITEMS = new Set(['hvc1', 'hev1', 'av01', 'grid', 'iden', 'iovl', 'jpeg', 'j2k1', 'unci', 'vvc1', 'avc1', 'tmap', 'hvt1', 'lhv1']);
/** Item properties a decoder reads (ISO/IEC 23008-12, 23000-22, AV1-ISOBMFF); others keep their header and lose their content. */
const PROPERTIES = new Set(['ispe', 'pixi', 'hvcC', 'av1C', 'vvcC', 'avcC', 'jpgC', 'uncC', 'cmpd', 'irot', 'imir', 'clap', 'pasp', 'auxC', 'lsel', 'a1op', 'a1lx', 'clli', 'mdcv', 'cclv', 'amve', 'colr', 'rloc']);
const META_BOXES = new Set(['hdlr', 'pitm', 'iloc', 'iinf', 'iref', 'iprp', 'idat']);
const TOP_BOXES = new Set(['ftyp', 'meta', 'mdat']);

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

/** A valid Exif item with no entries: offset 0, then "MM\0*", IFD0 at 8 with 0 entries, next IFD 0, zero padding. */
export function emptyExifItem(length: number): Buffer {
  const out = Buffer.alloc(length);
  if (length < 18) return out;
  out.write('MM\0*', 4, 'latin1');
  out.writeUInt32BE(8, 8);
  return out;
}

/** Writes `content` across the ranges in order, as a reader concatenating the extents would see it. */
function overwrite(out: Buffer, ranges: Range[], content: (length: number) => Buffer): void {
  const data = content(ranges.reduce((sum, r) => sum + r.length, 0));
  let from = 0;
  for (const r of ranges) {
    data.copy(out, r.start, from, from + r.length);
    from += r.length;
  }
}

/** Width and height from the primary item's `ispe`, if the file says. */
function primarySize(buf: Buffer, pitm: Box | undefined, ipma: Box | undefined, properties: Box[]): { width: number; height: number } | undefined {
  if (!pitm || !ipma) return undefined;
  const p = fullBox(buf, pitm);
  const primary = p.version === 0 ? p.cur.u16() : p.cur.u32();
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

/** Turns a box into a zero-filled `free` box of the same size. */
function toFree(out: Buffer, box: Box, removed: Set<string>, where: string): void {
  if (box.type === 'free' && !out.subarray(box.body, box.end).some((b) => b !== 0)) return; // already neutral (a second pass)
  out.write('free', box.start + 4, 'latin1');
  out.fill(0, box.body, box.end);
  removed.add(`${where} box ${box.type}`);
}

/** Zeroes what an item property may say beyond decoding: unknown properties, ICC device and text fields. */
function scrubProperties(out: Buffer, src: Buffer, properties: Box[], removed: Set<string>): void {
  for (const prop of properties) {
    if (!PROPERTIES.has(prop.type)) {
      out.fill(0, prop.body, prop.end);
      removed.add(`item property ${prop.type}`);
    } else if (prop.type === 'colr' && prop.end - prop.body > 4) {
      const kind = src.toString('latin1', prop.body, prop.body + 4);
      if (kind !== 'prof' && kind !== 'rICC') continue;
      const icc = scrubIcc(src.subarray(prop.body + 4, prop.end));
      if (!icc.equals(src.subarray(prop.body + 4, prop.end))) removed.add('ICC profile device and text fields (colr)');
      icc.copy(out, prop.body + 4);
    }
  }
}

/** Zeroes every byte of mdat and idat outside the items' extents; true when any was not zero already. */
function zeroUnused(out: Buffer, containers: Box[], kept: Range[]): boolean {
  const sorted = [...kept].sort((a, b) => a.start - b.start);
  let changed = false;
  for (const c of containers) {
    let at = c.body;
    for (const r of sorted) {
      if (r.start + r.length <= c.body || r.start >= c.end) continue;
      if (r.start > at && out.subarray(at, r.start).some((b) => b !== 0)) changed = true;
      out.fill(0, at, Math.max(at, r.start));
      at = Math.max(at, r.start + r.length);
    }
    if (at < c.end && out.subarray(at, c.end).some((b) => b !== 0)) changed = true;
    out.fill(0, at, c.end);
  }
  return changed;
}

function label(item: Item, thumb: boolean): string {
  if (thumb) return 'thumbnail (thmb item)';
  if (item.type === 'Exif') return 'EXIF (Exif item)';
  if (item.type === 'mime' || item.type === '') return item.contentType.split(';')[0]!.trim().toLowerCase() === 'application/rdf+xml' ? 'XMP (mime item)' : 'mime item';
  return `${item.type} item`;
}

/** ftyp with its minor version zeroed and unknown compatible brands replaced by the major brand. */
function scrubFtyp(out: Buffer, ftyp: Box): void {
  if (ftyp.end - ftyp.body < 8) fail('short ftyp');
  out.fill(0, ftyp.body + 4, ftyp.body + 8);
  for (let at = ftyp.body + 8; at + 4 <= ftyp.end; at += 4) if (!KNOWN_BRANDS.has(out.toString('latin1', at, at + 4))) out.copy(out, at, ftyp.body, ftyp.body + 4);
}

export function stripHeif(src: Buffer): StrippedHeif {
  const top = readBoxes(src, 0, src.length);
  if (top[0]?.type !== 'ftyp') fail('ftyp is not the first box');
  const meta = single(top, 'meta') ?? fail('no meta box');
  const metaKids = readBoxes(src, fullBox(src, meta).cur.pos, meta.end);
  const iinf = single(metaKids, 'iinf');
  const iloc = single(metaKids, 'iloc');
  const idat = single(metaKids, 'idat');
  const iprp = single(metaKids, 'iprp');
  const iprpKids = iprp ? readBoxes(src, iprp.body, iprp.end) : [];
  const ipco = single(iprpKids, 'ipco');
  const properties = ipco ? readBoxes(src, ipco.body, ipco.end) : [];
  const items = iinf ? readItems(src, iinf) : [];
  const locations = iloc ? readIloc(src, iloc) : new Map<number, ItemLocation>();
  const thumbs = thumbnails(src, single(metaKids, 'iref'));
  const out = Buffer.from(src); // a copy: the caller's bytes stay as they were
  const removed = new Set<string>();

  const all: Range[] = [];
  const byId = new Map(items.map((i) => [i.id, i]));
  for (const [id, loc] of locations) {
    const ranges = resolve(loc, top, idat);
    all.push(...ranges);
    const item = byId.get(id);
    if (item && IMAGE_ITEMS.has(item.type) && !thumbs.has(id)) continue;
    // Not a picture, a thumbnail, or located without being declared: its bytes go.
    const why = item ? label(item, thumbs.has(id)) : 'undeclared item';
    const fill = why === 'EXIF (Exif item)' ? emptyExifItem : why === 'XMP (mime item)' ? (n: number) => Buffer.alloc(n, 0x20) : (n: number) => Buffer.alloc(n);
    overwrite(out, ranges, fill);
    removed.add(why);
  }
  checkDisjoint(all);
  if (all.reduce((n, r) => n + r.length, 0) > src.length) fail('item data longer than the file');
  const containers = [...top.filter((b) => b.type === 'mdat'), ...(idat ? [idat] : [])];
  if (zeroUnused(out, containers, all)) removed.add('data no item uses');
  for (const item of items) out.fill(0, item.textFrom, item.infe.end);
  const hdlr = single(metaKids, 'hdlr');
  if (hdlr && hdlr.end - hdlr.body > 24) out.fill(0, hdlr.body + 24, hdlr.end); // version/flags, pre_defined, handler type, reserved; then the name
  scrubProperties(out, src, properties, removed);
  scrubFtyp(out, top[0]!);
  for (const box of metaKids.filter((b) => !META_BOXES.has(b.type))) toFree(out, box, removed, 'meta');
  const lastNeeded = top.reduce((n, b, i) => (TOP_BOXES.has(b.type) ? i : n), 0);
  for (const box of top.slice(0, lastNeeded).filter((b) => !TOP_BOXES.has(b.type))) toFree(out, box, removed, 'top-level');
  if (lastNeeded < top.length - 1) removed.add('boxes after the image data');
  return { bytes: out.subarray(0, top[lastNeeded]!.end), removed: [...removed], ...primarySize(src, single(metaKids, 'pitm'), single(iprpKids, 'ipma'), properties) };
}
