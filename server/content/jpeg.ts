// Lossless JPEG metadata removal at the marker level, by allow-list: the
// entropy-coded scans are copied byte for byte (re-encoding would lose
// clinical detail) with the tables that decode them (DQT, DHT, DAC, DRI, the
// one SOF); of the application segments only rebuilt, minimal ones go out: a
// JFIF header without thumbnail, an EXIF block holding only Orientation, the
// Adobe colour-transform flag, and the ICC profile with its device and text
// fields zeroed (icc.ts). Everything else - other APPn, COM, MPF secondary
// images, unknown markers, bytes after EOI - is dropped. Segment and scan
// counts are bounded. Throws a plain Error on broken structure (content.ts
// turns it into CORRUPT_FILE) and TooComplexError past a bound.
import { BOUNDS, tooComplex } from './bounds.ts';
import { scrubIcc } from './icc.ts';

export interface StrippedJpeg {
  bytes: Buffer;
  removed: string[];
  width: number;
  height: number;
  /** Progressive frames must be decoded whole in memory: content.ts holds them to a smaller pixel budget. */
  progressive: boolean;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const COM = 0xfe;
const APP0 = 0xe0;
const APP15 = 0xef;
/** Tables the decoder needs: DQT, DHT, DAC (arithmetic), DRI. */
const TABLES = new Set([0xdb, 0xc4, 0xcc, 0xdd]);
/** Start-of-frame markers (C4 DHT, C8 JPG and CC DAC are not frames). */
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const PROGRESSIVE = new Set([0xc2, 0xc6, 0xca, 0xce]);
const ICC_TAG = 'ICC_PROFILE\0';
/** Largest ICC chunk in one APP2: 65535 minus the length field and the 14-byte chunk header. */
const ICC_CHUNK = 65519;

const fail = (why: string): never => {
  throw new Error(`JPEG: ${why}`);
};

const startsWith = (payload: Buffer, tag: string): boolean => payload.length >= tag.length && payload.toString('latin1', 0, tag.length) === tag;

/** The label a dropped APPn or COM segment is reported under. */
function label(marker: number, payload: Buffer): string {
  if (marker === COM) return 'comment (COM)';
  const n = marker - APP0;
  if (n === 0) return 'APP0 (not JFIF, e.g. JFXX thumbnail)';
  if (n === 1) {
    if (startsWith(payload, 'Exif\0')) return 'EXIF (APP1)';
    if (startsWith(payload, 'http://ns.adobe.com/xap/1.0/\0')) return 'XMP (APP1)';
    if (startsWith(payload, 'http://ns.adobe.com/xmp/extension/\0')) return 'extended XMP (APP1)';
    return 'APP1';
  }
  if (n === 2) return startsWith(payload, 'MPF\0') ? 'MPF (APP2)' : 'APP2';
  if (n === 13) return startsWith(payload, 'Photoshop 3.0\0') ? 'IPTC/Photoshop (APP13)' : 'APP13';
  if (n === 14) return 'APP14 (not Adobe)';
  return `APP${n}`;
}

/** Orientation (0x0112) from IFD0 of a TIFF block starting at `tiff`; 1 when absent or unreadable. */
export function tiffOrientation(payload: Buffer, tiff: number): number {
  if (payload.length < tiff + 8) return 1;
  const order = payload.toString('latin1', tiff, tiff + 2);
  if (order !== 'II' && order !== 'MM') return 1;
  const le = order === 'II';
  const u16 = (at: number): number => (le ? payload.readUInt16LE(at) : payload.readUInt16BE(at));
  const u32 = (at: number): number => (le ? payload.readUInt32LE(at) : payload.readUInt32BE(at));
  if (u16(tiff + 2) !== 42) return 1;
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > payload.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > payload.length) return 1;
    if (u16(entry) !== 0x0112) continue;
    const value = u16(entry + 2) === 3 && u32(entry + 4) === 1 ? u16(entry + 8) : 1;
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

/** Reads IFD0 Orientation from an EXIF APP1 payload ("Exif\0\0" + TIFF). */
export const exifOrientation = (payload: Buffer): number => tiffOrientation(payload, 6);

/** A minimal APP1 whose IFD0 holds only Orientation, so the photo still shows upright. */
export function orientationApp1(orientation: number): Buffer {
  const seg = Buffer.alloc(36);
  seg.writeUInt16BE(0xffe1, 0);
  seg.writeUInt16BE(34, 2); // length counts itself, not the marker
  seg.write('Exif\0\0MM\0*', 4, 'latin1');
  seg.writeUInt32BE(8, 14); // IFD0 right after the TIFF header
  seg.writeUInt16BE(1, 18); // one entry
  seg.writeUInt16BE(0x0112, 20);
  seg.writeUInt16BE(3, 22); // SHORT
  seg.writeUInt32BE(1, 24); // count 1; value left-justified in the 4-byte field
  seg.writeUInt16BE(orientation, 28);
  // bytes 30..35: value padding and next-IFD offset 0, already zero
  return seg;
}

const segment = (marker: number, payload: Buffer): Buffer => {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xff00 | marker, 0);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
};

/** JFIF 1.01 with the source's pixel density (it sets the aspect ratio) and no thumbnail. */
function jfif(payload: Buffer): Buffer | null {
  if (payload.length < 14) return null;
  const out = Buffer.alloc(14);
  out.write('JFIF\0', 0, 'latin1');
  out[5] = 1;
  out[6] = 1;
  payload.copy(out, 7, 7, 12); // units, X density, Y density
  return segment(APP0, out);
}

/** Adobe APP14 with only the colour transform flag (YCbCr/YCCK vs RGB/CMYK). */
function adobe(payload: Buffer): Buffer | null {
  if (payload.length < 12) return null;
  const out = Buffer.alloc(12);
  out.write('Adobe', 0, 'latin1');
  out.writeUInt16BE(100, 5);
  out[11] = payload[11]!;
  return segment(0xee, out);
}

/** The ICC profile from its APP2 chunks (sequence numbers 1..count), or null when they do not add up. */
function joinIcc(chunks: Buffer[]): Buffer | null {
  const count = chunks[0]![ICC_TAG.length + 1]!;
  if (count !== chunks.length) return null;
  const ordered: Buffer[] = [];
  for (const c of chunks) {
    const seq = c[ICC_TAG.length]!;
    if (seq < 1 || seq > count || c[ICC_TAG.length + 1] !== count || ordered[seq - 1]) return null;
    ordered[seq - 1] = c.subarray(ICC_TAG.length + 2);
  }
  return Buffer.concat(ordered);
}

/** The scrubbed profile as APP2 segments, or [] when it is malformed (it is only colour; the photo still shows). */
function iccSegments(chunks: Buffer[]): Buffer[] {
  if (chunks.length === 0) return [];
  const joined = joinIcc(chunks);
  let profile: Buffer;
  try {
    if (joined === null) return [];
    profile = scrubIcc(joined);
  } catch (e) {
    if ((e as Error).name === 'TooComplexError') throw e;
    return [];
  }
  const n = Math.ceil(profile.length / ICC_CHUNK);
  return Array.from({ length: n }, (_, i) =>
    segment(0xe2, Buffer.concat([Buffer.from(ICC_TAG, 'latin1'), Buffer.from([i + 1, n]), profile.subarray(i * ICC_CHUNK, (i + 1) * ICC_CHUNK)])),
  );
}

/** Skips fill bytes; returns the marker code and the offset of its FF. */
function readMarker(src: Buffer, pos: number): { marker: number; at: number } {
  if (src[pos] !== 0xff) fail(`expected a marker at ${pos}`);
  let at = pos;
  while (src[at + 1] === 0xff) at++;
  const marker = src[at + 1];
  if (marker === undefined) return fail('truncated before a marker');
  return { marker, at };
}

/** End of the entropy-coded data after an SOS header: the next FF that is not FF00 stuffing or RSTn. */
function scanEnd(src: Buffer, from: number): number {
  let i = from;
  for (;;) {
    i = src.indexOf(0xff, i);
    if (i < 0 || i + 1 >= src.length) return fail('truncated inside a scan');
    const next = src[i + 1]!;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) i += 2;
    else if (next === 0xff) i += 1; // fill byte before a marker
    else return i;
  }
}

/** The byte after a length-prefixed segment whose marker sits at `at`. */
function segmentEnd(src: Buffer, at: number): number {
  if (at + 4 > src.length) fail('truncated segment header');
  const length = src.readUInt16BE(at + 2);
  if (length < 2) fail('segment length below 2');
  const end = at + 2 + length;
  if (end > src.length) fail('segment runs past the end of the file');
  return end;
}

interface Found {
  image: Buffer[];
  removed: Set<string>;
  jfif: Buffer | null;
  adobe: Buffer | null;
  icc: Buffer[];
  orientation: number;
  frame: { width: number; height: number; progressive: boolean } | null;
  scans: number;
  end: number;
}

/** Sorts one segment: kept for the image, rebuilt from, or dropped. */
function sort(found: Found, marker: number, seg: Buffer): void {
  const payload = seg.subarray(4);
  if (SOF.has(marker)) {
    if (found.frame) fail('more than one frame');
    if (payload.length < 6) fail('short SOF');
    const height = payload.readUInt16BE(1);
    const width = payload.readUInt16BE(3);
    // Height 0 defers to a DNL marker, which no camera writes; refusing it keeps the pixel check honest.
    if (width === 0 || height === 0) fail('zero frame size');
    found.frame = { width, height, progressive: PROGRESSIVE.has(marker) };
    found.image.push(seg);
  } else if (marker === SOS) {
    if (!found.frame) fail('scan before frame');
    if (++found.scans > BOUNDS.jpegScans) tooComplex('too many scans');
    found.image.push(seg);
  } else if (TABLES.has(marker)) found.image.push(seg);
  else if (marker === APP0 && startsWith(payload, 'JFIF\0') && !found.jfif) found.jfif = jfif(payload);
  else if (marker === APP0 + 14 && startsWith(payload, 'Adobe') && !found.adobe) found.adobe = adobe(payload);
  else if (marker === APP0 + 2 && startsWith(payload, ICC_TAG) && payload.length > ICC_TAG.length + 2) found.icc.push(payload);
  else if ((marker >= APP0 && marker <= APP15) || marker === COM) {
    const why = label(marker, payload);
    found.removed.add(why);
    if (why === 'EXIF (APP1)' && found.orientation === 1) found.orientation = exifOrientation(payload);
  } else found.removed.add(`unknown marker ${marker.toString(16).toUpperCase()}`);
}

function walk(src: Buffer): Found {
  const found: Found = { image: [], removed: new Set(), jfif: null, adobe: null, icc: [], orientation: 1, frame: null, scans: 0, end: 0 };
  let pos = 2;
  for (let segments = 0; ; segments++) {
    if (segments > BOUNDS.jpegSegments) tooComplex('too many segments');
    const { marker, at } = readMarker(src, pos);
    if (marker === EOI) {
      found.end = at + 2;
      return found;
    }
    // SOI again, TEM, RSTn outside a scan and FF00 are never valid here.
    if (marker === SOI || marker === 0x01 || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7)) fail(`unexpected marker ${marker.toString(16)}`);
    const end = marker === SOS ? scanEnd(src, segmentEnd(src, at)) : segmentEnd(src, at);
    sort(found, marker, src.subarray(at, end));
    pos = end;
  }
}

export function stripJpeg(src: Buffer): StrippedJpeg {
  if (src[0] !== 0xff || src[1] !== SOI) fail('no SOI');
  const found = walk(src);
  if (!found.frame || found.scans === 0) return fail('no frame or no scan');
  const icc = iccSegments(found.icc);
  if (found.icc.length > 0 && (icc.length === 0 || !Buffer.concat(icc).equals(Buffer.concat(found.icc.map((p) => segment(0xe2, p)))))) {
    found.removed.add(icc.length === 0 ? 'ICC profile (malformed)' : 'ICC profile device and text fields');
  }
  if (found.end < src.length) found.removed.add('trailer after EOI');
  const head = [
    Buffer.from([0xff, SOI]),
    ...(found.jfif ? [found.jfif] : []),
    ...(found.orientation !== 1 ? [orientationApp1(found.orientation)] : []),
    ...icc,
    ...(found.adobe ? [found.adobe] : []),
  ];
  const { width, height, progressive } = found.frame;
  return { bytes: Buffer.concat([...head, ...found.image, Buffer.from([0xff, EOI])]), removed: [...found.removed], width, height, progressive };
}
