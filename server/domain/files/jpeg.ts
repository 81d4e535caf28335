// Lossless JPEG metadata stripping at the marker level: the entropy-coded
// scans are copied byte for byte (re-encoding would lose clinical detail), and
// only the segments a viewer needs to render the photo faithfully are kept.
// Throws a plain Error on broken structure; content.ts turns it into
// ContentError('CORRUPT_FILE').

export interface StrippedJpeg {
  bytes: Buffer;
  removed: string[];
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const COM = 0xfe;
const APP0 = 0xe0;
const APP15 = 0xef;

const fail = (why: string): never => {
  throw new Error(`JPEG: ${why}`);
};

const startsWith = (payload: Buffer, tag: string): boolean =>
  payload.length >= tag.length && payload.toString('latin1', 0, tag.length) === tag;

/** Why an APPn or COM segment goes, or null when it stays. */
function verdict(marker: number, payload: Buffer): string | null {
  if (marker === COM) return 'comment (COM)';
  const n = marker - APP0;
  if (n === 0) return startsWith(payload, 'JFIF\0') ? null : 'APP0 (not JFIF, e.g. JFXX thumbnail)';
  if (n === 1) {
    if (startsWith(payload, 'Exif\0')) return 'EXIF (APP1)';
    if (startsWith(payload, 'http://ns.adobe.com/xap/1.0/\0')) return 'XMP (APP1)';
    if (startsWith(payload, 'http://ns.adobe.com/xmp/extension/\0')) return 'extended XMP (APP1)';
    return 'APP1';
  }
  // ICC is needed for correct colour; MPF points at secondary images with their own EXIF.
  if (n === 2) return startsWith(payload, 'ICC_PROFILE\0') ? null : startsWith(payload, 'MPF\0') ? 'MPF (APP2)' : 'APP2';
  if (n === 13) return startsWith(payload, 'Photoshop 3.0\0') ? 'IPTC/Photoshop (APP13)' : 'APP13';
  // Adobe APP14 says whether 3/4-channel data is YCbCr/YCCK or RGB/CMYK.
  if (n === 14) return startsWith(payload, 'Adobe') ? null : 'APP14 (not Adobe)';
  return `APP${n}`;
}

/** Reads IFD0 Orientation (0x0112) from an EXIF APP1 payload; 1 when absent or unreadable. */
export function exifOrientation(payload: Buffer): number {
  const tiff = 6; // after "Exif\0\0"
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

export function stripJpeg(src: Buffer): StrippedJpeg {
  if (src[0] !== 0xff || src[1] !== SOI) fail('no SOI');
  const kept: Buffer[] = [];
  const removed = new Set<string>();
  let orientation = 1;
  let pos = 2;
  for (;;) {
    const { marker, at } = readMarker(src, pos);
    if (marker === EOI) {
      pos = at + 2;
      break;
    }
    // SOI again, TEM, RSTn outside a scan and FF00 are never valid here.
    if (marker === SOI || marker === 0x01 || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7)) fail(`unexpected marker ${marker.toString(16)}`);
    let end = segmentEnd(src, at);
    if (marker === SOS) end = scanEnd(src, end);
    const isMeta = (marker >= APP0 && marker <= APP15) || marker === COM;
    const why = isMeta ? verdict(marker, src.subarray(at + 4, end)) : null;
    if (why === null) kept.push(src.subarray(at, end));
    else {
      removed.add(why);
      if (why === 'EXIF (APP1)' && orientation === 1) orientation = exifOrientation(src.subarray(at + 4, end));
    }
    pos = end;
  }
  if (pos < src.length) removed.add('trailer after EOI');
  if (orientation !== 1) {
    const afterJfif = kept[0] !== undefined && kept[0][1] === APP0 ? 1 : 0;
    kept.splice(afterJfif, 0, orientationApp1(orientation));
  }
  const soi = Buffer.from([0xff, SOI]);
  const eoi = Buffer.from([0xff, EOI]);
  return { bytes: Buffer.concat([soi, ...kept, eoi]), removed: [...removed] };
}
