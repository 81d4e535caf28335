// Uploaded clinical photos: the kind is judged by the bytes alone, and what is
// handed on carries no location, device, author or comment metadata while the
// pixels stay exactly as taken. Every fixture is made here with sharp (and by
// hand for the HEIC container, which sharp cannot write), and exifr checks
// both ways: the input really has the GPS and device tags (so a test that
// passes is not passing on an empty input), and the output really has none.
import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import exifr from 'exifr';
import fc from 'fast-check';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { ContentError, sanitize, sniff, type CleanFile, type ContentLimits } from '../../../server/content/content.ts';
import { BOUNDS } from '../../../server/content/bounds.ts';
import { scrubIcc } from '../../../server/content/icc.ts';
import { MARKER, PLANTED_EXIF, plantedIcc } from '../../support/planted-media.ts';
import { box, chunk, insertAt, latin1, segment, u16, u32, u64, u8 } from '../../support/bytes.ts';

// ---------------------------------------------------------------- fixtures

const GPS_EXIF = {
  IFD0: { Make: 'PhoneCo', Model: 'X1', Software: 'CameraApp 9' },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
};
const XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Jane Patient"/></rdf:RDF></x:xmpmeta>';

/** A deterministic noisy photo, so the entropy-coded data has real structure (FF00 stuffing and all). */
function photo(width = 640, height = 480): Sharp {
  const px = Buffer.alloc(width * height * 3);
  let seed = 12345;
  for (let i = 0; i < px.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    px[i] = ((i % (width * 3)) >> 2) ^ (seed >>> 27);
  }
  return sharp(px, { raw: { width, height, channels: 3 } });
}


/** libvips writes no JFIF header; cameras and most editors do. */
const JFIF_APP0 = segment(0xe0, Buffer.from([...latin1('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]));

/** A PNG chunk with a correct CRC. */

/** Markers before the first SOS (the header, where metadata normally lives). */
function headerMarkers(jpeg: Buffer): number[] {
  const markers = [jpeg[1]!];
  for (let at = 2; at + 4 <= jpeg.length; ) {
    const marker = jpeg[at + 1]!;
    markers.push(marker);
    if (marker === 0xda || marker === 0xd9) break;
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  return markers;
}

function pngChunks(png: Buffer): string[] {
  const types: string[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    expect(crc32(png.subarray(at + 4, at + 8 + length)), `CRC of ${type}`).toBe(png.readUInt32BE(at + 8 + length));
    types.push(type);
    at += 12 + length;
  }
  return types;
}

const pixels = (b: Buffer) => sharp(b).raw().toBuffer();

/** Every EXIF/XMP/IPTC tag exifr can find (ICC, JFIF and PNG header are not metadata about the patient). */
async function tags(b: Buffer): Promise<Record<string, unknown>> {
  const found = (await exifr.parse(b, { tiff: true, ifd1: true, exif: true, gps: true, interop: true, xmp: true, iptc: true, icc: false, jfif: false, ihdr: false, translateValues: false })) as Record<string, unknown> | undefined;
  return found ?? {};
}

/** The same for a bare EXIF block as libvips reports it ("Exif\0\0" + TIFF). */
const exifTags = async (exif: Buffer | undefined) => (exif === undefined ? {} : tags(exif.subarray(exif.toString('latin1', 0, 6) === 'Exif\0\0' ? 6 : 0)));

async function expectRefused(bytes: Uint8Array, code: ContentError['code'], limits?: ContentLimits): Promise<ContentError> {
  const e: unknown = await sanitize(bytes, limits).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ContentError);
  const ce = e as ContentError;
  expect(ce.code).toBe(code);
  expect(ce.name).toBe('ContentError');
  // Safe to show: no parser wording, no offsets.
  expect(ce.message).not.toMatch(/JPEG:|PNG:|HEIF:|\d{2,}/);
  return ce;
}

// --------------------------------------------------------------- HEIC builder

const fullBox = (type: string, version: number, flags: number, ...parts: Buffer[]) => box(type, u32(((version << 24) | flags) >>> 0), ...parts);
const infe = (id: number, type: string, contentType?: string) =>
  fullBox('infe', 2, 0, u16(id), u16(0), latin1(type), latin1('\0'), ...(contentType ? [latin1(`${contentType}\0`)] : []));

interface HeicOptions {
  ilocVersion?: 0 | 1 | 2;
  /** Put the Exif item in the meta box's idat (construction method 1). */
  exifInIdat?: boolean;
  /** Split the Exif item into this many extents. */
  exifExtents?: number;
  /** A hook to damage the iloc entries: (item id, absolute offset) -> offset written. */
  offsetOf?: (id: number, offset: number) => number;
  constructionMethod?: number;
}

interface Heic {
  file: Buffer;
  /** Absolute [start, end) of each item's bytes, in order of extents. */
  ranges: Record<'image' | 'exif' | 'xmp', [number, number][]>;
}

/** The HEIF Exif item payload: 4-byte offset to the TIFF header, then "Exif\0\0" + TIFF, as iPhones write it. */
async function exifItemPayload(): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).jpeg().withExif(GPS_EXIF).toBuffer();
  const { exif } = await sharp(jpeg).metadata();
  return Buffer.concat([u32(6), exif!]);
}

/** A minimal HEIC: ftyp heic, meta (hdlr, pitm, iloc, iinf, iprp with ispe, optional idat), mdat. */
async function heic(o: HeicOptions = {}): Promise<Heic> {
  const version = o.ilocVersion ?? 0;
  const image = Buffer.alloc(96, 0xab); // stands in for the HEVC stream
  const exif = await exifItemPayload();
  const xmp = latin1(XMP);
  const ftyp = box('ftyp', latin1('heic'), u32(0), latin1('mif1heic'));
  const idatData = o.exifInIdat ? exif : Buffer.alloc(0);
  const mdatData = Buffer.concat([image, o.exifInIdat ? Buffer.alloc(0) : exif, xmp]);
  const offsetSize = version === 2 ? 8 : 4;
  const uintN = offsetSize === 8 ? u64 : u32;
  const exifParts = o.exifExtents ?? 1;

  const build = (mdatBody: number, idatBody: number) => {
    const ranges: Heic['ranges'] = { image: [], exif: [], xmp: [] };
    const place = (id: number, key: keyof Heic['ranges'], start: number, length: number, parts = 1, method = 0, origin = 0) => {
      const cut = Math.ceil(length / parts);
      const extents: Buffer[] = [];
      for (let at = 0; at < length; at += cut) {
        const len = Math.min(cut, length - at);
        ranges[key].push([origin + start + at, origin + start + at + len]);
        const written = o.offsetOf ? o.offsetOf(id, start + at) : start + at;
        extents.push(uintN(written), uintN(len));
      }
      const idField = version === 2 ? u32(id) : u16(id);
      const methodField = version === 0 ? [] : [u16(o.constructionMethod !== undefined && key === 'exif' ? o.constructionMethod : method)];
      return Buffer.concat([idField, ...methodField, u16(0), u16(extents.length / 2), ...extents]);
    };
    const entries = [
      place(1, 'image', mdatBody, image.length),
      o.exifInIdat ? place(2, 'exif', 0, exif.length, exifParts, 1, idatBody) : place(2, 'exif', mdatBody + image.length, exif.length, exifParts),
      place(3, 'xmp', mdatBody + image.length + (o.exifInIdat ? 0 : exif.length), xmp.length),
    ];
    const iloc = fullBox('iloc', version, 0, u8((offsetSize << 4) | offsetSize), u8(0), version === 2 ? u32(3) : u16(3), ...entries);
    const iinf = fullBox('iinf', 0, 0, u16(3), infe(1, 'hvc1'), infe(2, 'Exif'), infe(3, 'mime', 'application/rdf+xml'));
    const iprp = box('iprp', box('ipco', fullBox('ispe', 0, 0, u32(4032), u32(3024))), fullBox('ipma', 0, 0, u32(1), u16(1), u8(1), u8(0x81)));
    const hdlr = fullBox('hdlr', 0, 0, u32(0), latin1('pict'), u32(0), u32(0), u32(0), latin1('\0'));
    const pitm = fullBox('pitm', 0, 0, u16(1));
    const idat = o.exifInIdat ? [box('idat', idatData)] : [];
    const meta = fullBox('meta', 0, 0, hdlr, pitm, iloc, iinf, iprp, ...idat);
    return { file: Buffer.concat([ftyp, meta, box('mdat', mdatData)]), ranges, meta };
  };
  // Offsets do not change the meta box's size, so lay it out once to learn where mdat and idat start.
  const draft = build(0, 0);
  const mdatBody = ftyp.length + draft.meta.length + 8;
  const idatBody = o.exifInIdat ? ftyp.length + draft.meta.length - idatData.length : 0;
  const { file, ranges } = build(mdatBody, idatBody);
  return { file, ranges };
}

const slices = (b: Buffer, ranges: [number, number][]) => Buffer.concat(ranges.map(([s, e]) => b.subarray(s, e)));

/** What the HEIF Exif item must become: an empty but valid Exif block, zero-padded. */
function emptyExif(length: number): Buffer {
  const b = Buffer.alloc(length);
  latin1('MM\0*').copy(b, 4);
  b.writeUInt32BE(8, 8);
  return b;
}

// ------------------------------------------------------------------- tests

describe('sniff', () => {
  it('knows the accepted kinds by magic bytes, whatever the content after them', () => {
    expect(sniff(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toEqual({ kind: 'jpeg', mime: 'image/jpeg' });
    expect(sniff(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toEqual({ kind: 'png', mime: 'image/png' });
    expect(sniff(latin1('%PDF-1.7\n'))).toEqual({ kind: 'pdf', mime: 'application/pdf' });
  });

  it('names HEIF-family files by their ftyp brands', () => {
    const ftyp = (major: string, ...compatible: string[]) => box('ftyp', latin1(major), u32(0), latin1(compatible.join('')));
    expect(sniff(ftyp('heic', 'mif1', 'heic'))).toEqual({ kind: 'heif', mime: 'image/heic' });
    expect(sniff(ftyp('mif1', 'mif1', 'heix'))).toEqual({ kind: 'heif', mime: 'image/heic' });
    expect(sniff(ftyp('avif', 'mif1', 'avif', 'miaf'))).toEqual({ kind: 'heif', mime: 'image/avif' });
    expect(sniff(ftyp('msf1', 'msf1', 'avis'))).toEqual({ kind: 'heif', mime: 'image/avif' });
    expect(sniff(ftyp('mif1', 'mif1'))).toEqual({ kind: 'heif', mime: 'image/heif' });
    // An MP4 video is ISOBMFF too, but not an image.
    expect(sniff(ftyp('isom', 'isom', 'mp42'))).toBeNull();
    // A brand outside the declared ftyp size does not count.
    expect(sniff(Buffer.concat([u32(16), latin1('ftypisom'), u32(0), latin1('heic')]))).toBeNull();
  });

  it('knows nothing else: not GIF, WebP, SVG, HTML, ZIP, EXE, nor an empty or almost-matching prefix', () => {
    for (const bytes of [
      latin1('GIF89a'),
      latin1('RIFF\0\0\0\0WEBPVP8 '),
      latin1('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      latin1('<!doctype html><html>'),
      latin1('PK\x03\x04'),
      latin1('MZ\x90\0'),
      Buffer.alloc(0),
      Buffer.from([0xff, 0xd8]),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a]),
      latin1('%PDF'),
    ]) {
      expect(sniff(bytes)).toBeNull();
    }
  });
});

describe('JPEG', () => {
  it('drops EXIF with GPS, XMP, MPF, IPTC, COM and a trailer, keeps ICC and JFIF, and leaves the pixels byte-identical', async () => {
    const made = await photo().jpeg({ quality: 92 }).withIccProfile('p3').withExif(GPS_EXIF).withXmp(XMP).toBuffer();
    // What phones add besides: an MPF index, IPTC, a comment, an APP15, and a secondary image after EOI.
    const secondary = await photo(64, 48).jpeg().withExif(GPS_EXIF).toBuffer();
    const input = Buffer.concat([
      insertAt(
        made,
        2,
        JFIF_APP0,
        segment(0xe0, Buffer.from([...latin1('JFXX\0'), 0x13, 1, 1, 0xff, 0, 0])), // a 1x1 RGB thumbnail extension
        segment(0xe2, latin1('MPF\0MM\0*\0\0\0\x08')),
        segment(0xed, latin1('Photoshop 3.0\x008BIM\x04\x04\0\0\0\0\0\x10Jane Patient')),
        segment(0xfe, latin1('patient Jane Patient, NHS 943 476 5919')),
        segment(0xef, latin1('vendor data')),
      ),
      secondary,
      latin1('trailing bytes'),
    ]);
    // The input really carries what must go.
    expect(await exifr.gps(input)).toMatchObject({ latitude: 51.5 });
    expect(await tags(input)).toMatchObject({ Make: 'PhoneCo', Model: 'X1' });
    expect(input.includes('xmpmeta')).toBe(true);

    const out = await sanitize(input);
    expect(out).toMatchObject({ kind: 'jpeg', mime: 'image/jpeg', width: 640, height: 480 });
    expect(new Set(out.removed)).toEqual(
      new Set(['EXIF (APP1)', 'XMP (APP1)', 'MPF (APP2)', 'IPTC/Photoshop (APP13)', 'comment (COM)', 'APP15', 'APP0 (not JFIF, e.g. JFXX thumbnail)', 'trailer after EOI', 'ICC profile device and text fields']),
    );
    expect(await exifr.gps(out.bytes)).toBeUndefined();
    expect(await tags(out.bytes)).toEqual({});
    for (const leak of ['PhoneCo', 'Exif', 'xmpmeta', 'Jane Patient', 'MPF', 'trailing bytes']) expect(out.bytes.includes(leak), leak).toBe(false);
    // Header: SOI, APP0 JFIF, APP2 ICC, then the image's own tables.
    expect(headerMarkers(out.bytes).slice(0, 3)).toEqual([0xd8, 0xe0, 0xe2]);
    expect(out.bytes.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    // The colour profile stays, with only its colour-defining bytes (icc.ts).
    const iccIn = (await sharp(input).metadata()).icc!;
    const iccOut = (await sharp(out.bytes).metadata()).icc!;
    expect(iccOut).toEqual(scrubIcc(iccIn));
    expect(iccOut.length).toBe(iccIn.length);
    expect(iccOut.subarray(8, 24)).toEqual(iccIn.subarray(8, 24)); // version, class, colour space, PCS
    for (const text of ['Copyright', 'Display P3', 'lcms']) expect(iccOut.includes(text), text).toBe(false);
    expect((await pixels(out.bytes)).equals(await pixels(input))).toBe(true);
    // Nothing was re-encoded: the output is the input's own segments, in order.
    expect(out.bytes.length).toBeLessThan(made.length);
    expect(input.includes(out.bytes.subarray(out.bytes.indexOf(Buffer.from([0xff, 0xda])), -2))).toBe(true);
  });

  it('is idempotent: a clean file passes through unchanged', async () => {
    const first = await sanitize(await photo().jpeg().withExif(GPS_EXIF).toBuffer());
    const second = await sanitize(first.bytes);
    expect(second.removed).toEqual([]);
    expect(second.bytes.equals(first.bytes)).toBe(true);
  });

  it('walks every scan of a progressive JPEG, dropping metadata hidden between scans', async () => {
    const made = await photo().jpeg({ progressive: true }).withExif(GPS_EXIF).toBuffer();
    const firstSos = made.indexOf(Buffer.from([0xff, 0xda]));
    const secondSos = made.indexOf(Buffer.from([0xff, 0xda]), firstSos + 2); // FF DA cannot occur inside entropy data
    expect(secondSos).toBeGreaterThan(firstSos);
    const exifApp1 = segment(0xe1, Buffer.concat([latin1('Exif\0\0'), (await sharp(made).metadata()).exif!.subarray(6)]));
    const input = insertAt(made, secondSos, segment(0xfe, latin1('between scans')), exifApp1);
    const out = await sanitize(input);
    expect(out.width).toBe(640);
    expect(out.removed).toEqual(expect.arrayContaining(['EXIF (APP1)', 'comment (COM)']));
    expect(out.bytes.includes('between scans')).toBe(false);
    expect(out.bytes.includes('PhoneCo')).toBe(false);
    expect(await exifr.gps(out.bytes)).toBeUndefined();
    expect((await pixels(out.bytes)).equals(await pixels(made))).toBe(true);
    // Every scan survived.
    let scans = 0;
    for (let at = out.bytes.indexOf(Buffer.from([0xff, 0xda])); at >= 0; at = out.bytes.indexOf(Buffer.from([0xff, 0xda]), at + 2)) scans++;
    expect(scans).toBeGreaterThan(3);
  });

  it('keeps Orientation 6, and only that, in a new minimal APP1 after JFIF', async () => {
    const input = insertAt(await photo().jpeg().withMetadata({ orientation: 6 }).withExif(GPS_EXIF).toBuffer(), 2, JFIF_APP0);
    expect(await tags(input)).toMatchObject({ Orientation: 6, Make: 'PhoneCo', GPSLatitudeRef: 'N' });

    const out = await sanitize(input);
    expect(await tags(out.bytes)).toEqual({ Orientation: 6 });
    expect((await sharp(out.bytes).metadata()).orientation).toBe(6);
    expect(headerMarkers(out.bytes).slice(0, 4)).toEqual([0xd8, 0xe0, 0xe1, 0xe2]); // SOI, JFIF, the new APP1, ICC
    expect(out.bytes.includes('PhoneCo')).toBe(false);
    expect(out.removed).toContain('EXIF (APP1)');
    expect(out).toMatchObject({ width: 640, height: 480 }); // as stored; viewers rotate to 480 x 640
    expect((await pixels(out.bytes)).equals(await pixels(input))).toBe(true);
    // And a second pass rebuilds the same tiny APP1.
    expect((await sanitize(out.bytes)).bytes.equals(out.bytes)).toBe(true);
  });

  it('puts the orientation APP1 right after SOI when there is no JFIF header', async () => {
    const out = await sanitize(await photo(64, 48).jpeg().withMetadata({ orientation: 8 }).withExif(GPS_EXIF).toBuffer());
    expect(headerMarkers(out.bytes).slice(0, 3)).toEqual([0xd8, 0xe1, 0xe2]);
    expect(await tags(out.bytes)).toEqual({ Orientation: 8 });
  });

  it('adds no APP1 for Orientation 1', async () => {
    const out = await sanitize(await photo().jpeg().withMetadata({ orientation: 1 }).withExif(GPS_EXIF).toBuffer());
    expect(out.bytes.includes('Exif')).toBe(false);
    expect(await tags(out.bytes)).toEqual({});
  });

  it('refuses a JPEG cut off in the middle of the scan', async () => {
    const full = await photo().jpeg().toBuffer();
    const sos = full.indexOf(Buffer.from([0xff, 0xda]));
    await expectRefused(full.subarray(0, sos + Math.floor((full.length - sos) / 2)), 'CORRUPT_FILE');
    await expectRefused(full.subarray(0, full.length - 2), 'CORRUPT_FILE'); // no EOI
    await expectRefused(full.subarray(0, 20), 'CORRUPT_FILE'); // inside a header segment
  });

  it('refuses a segment whose length runs past the file, and garbage between segments', async () => {
    const full = await photo(64, 48).jpeg().toBuffer();
    const overlong = Buffer.from(full);
    overlong.writeUInt16BE(0xfff0, 4); // APP0's length
    await expectRefused(overlong, 'CORRUPT_FILE');
    await expectRefused(insertAt(full, 2, segment(0xfe, latin1('ok')), latin1('junk')), 'CORRUPT_FILE');
  });

  it('refuses a well-framed JPEG that does not decode (0 x 0 frame)', async () => {
    const full = Buffer.from(await photo(64, 48).jpeg().toBuffer());
    const sof = full.indexOf(Buffer.from([0xff, 0xc0]));
    full.writeUInt32BE(0, sof + 5); // height and width
    await expectRefused(full, 'CORRUPT_FILE');
  });
});

describe('PNG', () => {
  async function pngWithMetadata(): Promise<Buffer> {
    const made = await photo(320, 240).png().withExif(GPS_EXIF).withXmp(XMP).toBuffer();
    const ihdrEnd = 8 + 25;
    const iend = made.length - 12;
    return Buffer.concat([
      made.subarray(0, ihdrEnd),
      chunk('gAMA', u32(45455)),
      chunk('tEXt', latin1('Author\0Jane Patient')),
      chunk('iTXt', latin1('Comment\0\0\0\0\0NHS 943 476 5919')),
      chunk('tIME', Buffer.from([0x07, 0xe8, 1, 2, 3, 4, 5])),
      chunk('prVt', latin1('private ancillary')),
      made.subarray(ihdrEnd, iend),
      made.subarray(iend),
      latin1('trailer after the end'),
    ]);
  }

  it('drops eXIf and every text, time and unknown ancillary chunk, keeps rendering chunks, pixels identical', async () => {
    const input = await pngWithMetadata();
    expect(await tags(input)).toMatchObject({ Make: 'PhoneCo', GPSLatitudeRef: 'N' });
    expect(pngChunks(input.subarray(0, input.length - 21))).toEqual(expect.arrayContaining(['eXIf', 'tEXt', 'iTXt', 'tIME']));

    const out = await sanitize(input);
    expect(out).toMatchObject({ kind: 'png', mime: 'image/png', width: 320, height: 240 });
    // Allow-list: image chunks and the colour chunk gAMA; pHYs (print size) goes too.
    expect(new Set(pngChunks(out.bytes))).toEqual(new Set(['IHDR', 'gAMA', 'IDAT', 'IEND']));
    expect(out.removed).toEqual(
      expect.arrayContaining(['EXIF (eXIf)', 'text (tEXt)', 'international text, e.g. XMP (iTXt)', 'timestamp (tIME)', 'ancillary chunk prVt', 'ancillary chunk pHYs', 'trailer after IEND']),
    );
    expect(await tags(out.bytes)).toEqual({});
    for (const leak of ['PhoneCo', 'Jane Patient', 'NHS', 'xmpmeta', 'trailer']) expect(out.bytes.includes(leak), leak).toBe(false);
    expect((await pixels(out.bytes)).equals(await pixels(input))).toBe(true);
  });

  it('refuses a PNG cut off in the middle of a chunk', async () => {
    const full = await photo(64, 48).png().toBuffer();
    await expectRefused(full.subarray(0, 8 + 25 + 20), 'CORRUPT_FILE');
    await expectRefused(full.subarray(0, full.length - 12), 'CORRUPT_FILE'); // no IEND
    await expectRefused(full.subarray(0, 12), 'CORRUPT_FILE');
  });

  it('refuses a damaged kept chunk, an unknown critical chunk and a first chunk that is not IHDR', async () => {
    const full = await photo(64, 48).png().toBuffer();
    const badCrc = Buffer.from(full);
    badCrc[full.indexOf('IDAT') + 10]! ^= 0xff; // inside the first IDAT
    await expectRefused(badCrc, 'CORRUPT_FILE');
    await expectRefused(insertAt(full, 33, chunk('XYZW', latin1('?'))), 'CORRUPT_FILE');
    await expectRefused(insertAt(full, 8, chunk('tEXt', latin1('a\0b'))), 'CORRUPT_FILE');
    const lengthOverflow = Buffer.from(full);
    lengthOverflow.writeUInt32BE(0x7ffffff0, 33);
    await expectRefused(lengthOverflow, 'CORRUPT_FILE');
  });
});

describe('AVIF', () => {
  it('neutralises the Exif and XMP items in place; still decodes to the same pixels', async () => {
    const input = await photo(320, 240).avif().withExif(GPS_EXIF).withXmp(XMP).toBuffer();
    // exifr cannot locate Exif in libheif's AVIF (it ignores iloc base_offset), so read it through libheif.
    const before = await sharp(input).metadata();
    expect(await exifTags(before.exif)).toMatchObject({ Make: 'PhoneCo', GPSLatitudeRef: 'N' });
    expect(before.xmp?.toString()).toContain('Jane Patient');

    const out = await sanitize(input);
    expect(out).toMatchObject({ kind: 'heif', mime: 'image/avif', width: 320, height: 240 });
    expect(new Set(out.removed)).toEqual(new Set(['EXIF (Exif item)', 'XMP (mime item)']));
    expect(out.bytes.length).toBe(input.length);
    const after = await sharp(out.bytes).metadata();
    expect(await exifTags(after.exif)).toEqual({});
    expect(after.xmp === undefined || after.xmp.toString().trim() === '').toBe(true);
    for (const leak of ['PhoneCo', 'Jane Patient', 'Exif\0\0II', 'Exif\0\0MM']) expect(out.bytes.includes(leak), leak).toBe(false);
    // The metadata payloads are neutralised in place (libheif writes them after the image data).
    const exifItem = input.indexOf('Exif\0\0II') - 4; // the item starts with a 4-byte TIFF header offset
    expect(out.bytes.subarray(exifItem, exifItem + 18)).toEqual(emptyExif(18));
    expect((await pixels(out.bytes)).equals(await pixels(input))).toBe(true);
    expect(input.includes('PhoneCo')).toBe(true); // the caller's buffer is not modified
  });
});

describe('HEIC (hand-built container)', () => {
  it('overwrites the Exif payload with an empty Exif block and XMP with spaces, same length, nothing else touched', async () => {
    const { file, ranges } = await heic();
    expect(sniff(file)).toEqual({ kind: 'heif', mime: 'image/heic' });
    expect(await tags(file)).toMatchObject({ Make: 'PhoneCo', GPSLatitudeRef: 'N' }); // exifr reads this one directly

    const out = await sanitize(file);
    expect(out).toMatchObject({ kind: 'heif', mime: 'image/heic', width: 4032, height: 3024 });
    expect(new Set(out.removed)).toEqual(new Set(['EXIF (Exif item)', 'XMP (mime item)']));
    expect(out.bytes.length).toBe(file.length);
    const exifLength = ranges.exif[0]![1] - ranges.exif[0]![0];
    expect(slices(out.bytes, ranges.exif)).toEqual(emptyExif(exifLength));
    expect(slices(out.bytes, ranges.xmp).toString('latin1')).toBe(' '.repeat(XMP.length));
    expect(slices(out.bytes, ranges.image)).toEqual(slices(file, ranges.image));
    // Item names and content types are zeroed in place: every box keeps its size and place.
    expect(out.bytes.includes('application/rdf+xml')).toBe(false);
    const boxAt = (b: Buffer, type: string) => b.indexOf(type) - 4;
    for (const type of ['meta', 'iloc', 'iinf', 'iprp', 'mdat']) expect(boxAt(out.bytes, type), type).toBe(boxAt(file, type));
    expect(await tags(out.bytes)).toEqual({});
    expect(out.bytes.includes('PhoneCo')).toBe(false);
    expect(file.includes('PhoneCo')).toBe(true);
  });

  it('follows iloc version 1 into idat (construction method 1)', async () => {
    const { file, ranges } = await heic({ ilocVersion: 1, exifInIdat: true });
    expect(file.indexOf('Exif\0\0')).toBeLessThan(file.indexOf('mdat'));
    const out = await sanitize(file);
    expect(slices(out.bytes, ranges.exif)).toEqual(emptyExif(ranges.exif[0]![1] - ranges.exif[0]![0]));
    expect(out.bytes.includes('PhoneCo')).toBe(false);
    expect(out.bytes.includes('Jane Patient')).toBe(false);
  });

  it('follows iloc version 2 with 8-byte offsets across several extents', async () => {
    const { file, ranges } = await heic({ ilocVersion: 2, exifExtents: 3 });
    expect(ranges.exif).toHaveLength(3);
    const out = await sanitize(file);
    const total = ranges.exif.reduce((n, [s, e]) => n + e - s, 0);
    expect(slices(out.bytes, ranges.exif)).toEqual(emptyExif(total));
    expect(out.bytes.includes('PhoneCo')).toBe(false);
    expect(out.bytes.length).toBe(file.length);
  });

  it('refuses item data outside the file, outside mdat, or built from other items', async () => {
    await expectRefused((await heic({ offsetOf: (id, at) => (id === 2 ? at + 100_000 : at) })).file, 'CORRUPT_FILE');
    // Pointing the Exif "payload" at the iloc box itself would let a file make us rewrite its structure.
    await expectRefused((await heic({ offsetOf: (id, at) => (id === 2 ? 40 : at) })).file, 'CORRUPT_FILE');
    await expectRefused((await heic({ ilocVersion: 1, constructionMethod: 2 })).file, 'CORRUPT_FILE');
  });

  it('refuses broken box framing: truncated, oversized, duplicated meta', async () => {
    const { file } = await heic();
    await expectRefused(file.subarray(0, file.length - 10), 'CORRUPT_FILE');
    const oversized = Buffer.from(file);
    oversized.writeUInt32BE(0xffffff, 24); // meta's size
    await expectRefused(oversized, 'CORRUPT_FILE');
    const ftypLength = file.readUInt32BE(0);
    const metaLength = file.readUInt32BE(ftypLength);
    await expectRefused(insertAt(file, ftypLength + metaLength, file.subarray(ftypLength, ftypLength + metaLength)), 'CORRUPT_FILE');
    await expectRefused(file.subarray(0, ftypLength), 'CORRUPT_FILE'); // no meta at all
  });
});

describe('PDF', () => {
  const pdf = latin1('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

  it('is passed through unchanged', async () => {
    const out = await sanitize(pdf);
    expect(out).toEqual({ kind: 'pdf', mime: 'application/pdf', bytes: pdf, removed: [] } satisfies CleanFile);
  });

  it('is refused when truncated (no %%EOF in the last 1024 bytes)', async () => {
    await expectRefused(pdf.subarray(0, pdf.length - 8), 'CORRUPT_FILE');
    await expectRefused(Buffer.concat([pdf, Buffer.alloc(1100, 0x20)]), 'CORRUPT_FILE');
  });
});

describe('refusals by content', () => {
  it('refuses GIF, WebP, HTML named photo.jpg, SVG, ZIP, EXE, MP4, empty and random bytes as UNSUPPORTED_TYPE', async () => {
    const random = randomBytes(4096);
    random[0] = 0x42; // not by chance a JPEG
    const mp4 = box('ftyp', latin1('isom'), u32(0), latin1('isomiso2mp41'));
    const cases: Buffer[] = [
      await photo(32, 32).gif().toBuffer(),
      await photo(32, 32).webp().toBuffer(),
      latin1('<!doctype html><html><script>alert(1)</script></html>'), // "photo.jpg": the name is never looked at
      latin1('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
      latin1('PK\x03\x04\x14\0\0\0'),
      Buffer.concat([latin1('MZ'), Buffer.alloc(200)]),
      Buffer.concat([mp4, box('mdat', Buffer.alloc(16))]),
      Buffer.alloc(0),
      random,
    ];
    for (const bytes of cases) await expectRefused(bytes, 'UNSUPPORTED_TYPE');
  });
});

describe('garbled input', () => {
  it('never fails with anything but a ContentError (random bytes and mutated real files)', async () => {
    const seeds = [
      await photo(48, 32).jpeg().withExif(GPS_EXIF).toBuffer(),
      await photo(48, 32).jpeg({ progressive: true }).toBuffer(),
      await photo(48, 32).png().withExif(GPS_EXIF).toBuffer(),
      await photo(48, 32).avif().withExif(GPS_EXIF).toBuffer(),
      (await heic({ ilocVersion: 1 })).file,
    ];
    const mutated = fc
      .record({
        seed: fc.constantFrom(...seeds),
        flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        cut: fc.option(fc.nat(), { nil: undefined }),
      })
      .map(({ seed, flips, cut }) => {
        const b = Buffer.from(seed);
        for (const [at, v] of flips) b[at % b.length] = v;
        return cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
      });
    const random = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a));
    const withMagic = fc
      .tuple(fc.constantFrom(Buffer.from([0xff, 0xd8, 0xff]), seeds[2]!.subarray(0, 8), latin1('%PDF-'), seeds[3]!.subarray(0, 32)), fc.uint8Array({ maxLength: 300 }))
      .map(([magic, rest]) => Buffer.concat([magic, rest]));
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, random, withMagic), async (bytes) => {
        const outcome: unknown = await sanitize(bytes).then(
          (clean) => clean,
          (err: unknown) => err,
        );
        if (outcome instanceof Error) expect(outcome).toBeInstanceOf(ContentError);
        else expect((outcome as CleanFile).bytes).toBeInstanceOf(Buffer);
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});

// ------------------------------------------------- allow-list, property-based

const PLANTED_XMP = XMP.replace('Jane Patient', MARKER);

/** What must be gone: the marker, in any byte, and every EXIF tag but Orientation. */
async function expectNothingPlanted(out: Buffer): Promise<void> {
  expect(out.includes(MARKER), 'marker bytes').toBe(false);
  expect(out.includes(Buffer.from(MARKER, 'utf16le')), 'marker in UTF-16').toBe(false);
  expect(await exifr.gps(out).catch(() => undefined)).toBeUndefined();
  const found = await tags(out).catch(() => ({}));
  expect(Object.keys(found).filter((k) => k !== 'Orientation')).toEqual([]);
}

describe('allow-list: a marker, GPS, Make and Model planted anywhere never come out', () => {
  const fixtures = async () => {
    const exifBlock = (await sharp(await photo(8, 8).jpeg().withExif(PLANTED_EXIF).toBuffer()).metadata()).exif!; // "Exif\0\0" + TIFF
    return {
      exifBlock,
      baseline: await photo(48, 32).jpeg().toBuffer(),
      progressive: await photo(48, 32).jpeg({ progressive: true }).toBuffer(),
      png: await photo(48, 32).png().toBuffer(),
      icc: plantedIcc(MARKER),
    };
  };

  it('JPEG: APP0..APP15 of every kind, COM, EXIF IFD0/IFD1/GPS, XMP, ICC, MPF, JFIF thumbnail, unknown markers, trailer', async () => {
    const f = await fixtures();
    const M = latin1(MARKER);
    const iccChunks = (icc: Buffer) => [segment(0xe2, Buffer.concat([latin1('ICC_PROFILE\0'), u8(1), u8(1), icc]))];
    const app = (n: number, variant: number): Buffer[] => {
      if (n === 0) return [segment(0xe0, Buffer.concat([latin1('JFIF\0'), Buffer.from([1, 2, 1, 0, 72, 0, 72, 4, 1]), Buffer.concat([M, M]).subarray(0, 12)]))]; // a 4x1 RGB thumbnail
      if (n === 1) return [segment(0xe1, [f.exifBlock, Buffer.concat([latin1('http://ns.adobe.com/xap/1.0/\0'), latin1(PLANTED_XMP)]), Buffer.concat([latin1('Other\0'), M])][variant % 3]!)];
      if (n === 2) return variant % 2 === 0 ? iccChunks(f.icc) : [segment(0xe2, Buffer.concat([latin1('MPF\0'), M]))];
      if (n === 14) return [segment(0xee, Buffer.concat([latin1('Adobe'), u16(100), u16(0), u16(0), u8(1), M]))];
      return [segment(0xe0 + n, Buffer.concat([latin1('Vendor\0'), M]))];
    };
    const plant = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 15 }), fc.nat()).map(([n, v]) => app(n, v)),
      fc.constant([segment(0xfe, M)]),
      fc.integer({ min: 0xf0, max: 0xfd }).map((m) => [segment(m, M)]), // JPGn: markers no decoder knows
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(fc.tuple(plant, fc.boolean()), { minLength: 1, maxLength: 8 }), fc.boolean(), async (progressive, plants, trailer) => {
        const base = progressive ? f.progressive : f.baseline;
        const sos = [base.indexOf(Buffer.from([0xff, 0xda])), base.lastIndexOf(Buffer.from([0xff, 0xda]))];
        const head = plants.filter(([, late]) => !late).flatMap(([p]) => p);
        const late = plants.filter(([, l]) => l).flatMap(([p]) => p);
        const input = Buffer.concat([insertAt(insertAt(base, sos[1]!, ...late), 2, ...head), ...(trailer ? [M] : [])]);
        const out = await sanitize(input);
        expect(out.kind).toBe('jpeg');
        await expectNothingPlanted(out.bytes);
        // The frame, tables and scans are the base photo's own bytes, whatever was planted between them.
        const tables = (b: Buffer) => b.subarray(b.indexOf(Buffer.from([0xff, 0xdb])));
        expect(tables(out.bytes).equals(tables(base))).toBe(true);
        if (!out.bytes.includes('ICC_PROFILE')) expect((await pixels(out.bytes)).equals(await pixels(base))).toBe(true);
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('PNG: tEXt, zTXt, iTXt, eXIf, iCCP, tIME, unknown chunks before and after IDAT, and after IEND', async () => {
    const f = await fixtures();
    const M = latin1(MARKER);
    const kinds: Record<string, () => Buffer> = {
      tEXt: () => chunk('tEXt', Buffer.concat([latin1('Comment\0'), M])),
      zTXt: () => chunk('zTXt', Buffer.concat([latin1('Comment\0\0'), deflateSync(M)])),
      iTXt: () => chunk('iTXt', Buffer.concat([latin1('XML:com.adobe.xmp\0\0\0\0\0'), latin1(PLANTED_XMP)])),
      eXIf: () => chunk('eXIf', f.exifBlock.subarray(6)),
      iCCP: () => chunk('iCCP', Buffer.concat([latin1(`${MARKER}\0\0`), deflateSync(f.icc)])),
      tIME: () => chunk('tIME', Buffer.from([0x07, 0xe8, 1, 2, 3, 4, 5])),
      prVt: () => chunk('prVt', M),
      pHYs: () => chunk('pHYs', Buffer.concat([u32(2835), u32(2835), u8(1)])),
    };
    const ihdrEnd = 33;
    const iend = f.png.length - 12;
    await fc.assert(
      fc.asyncProperty(fc.subarray(Object.keys(kinds), { minLength: 1 }), fc.array(fc.constantFrom('tEXt', 'prVt', 'zTXt'), { maxLength: 3 }), fc.boolean(), async (early, late, trailer) => {
        const input = Buffer.concat([
          f.png.subarray(0, ihdrEnd),
          ...early.map((k) => kinds[k]!()),
          f.png.subarray(ihdrEnd, iend),
          ...late.map((k) => kinds[k]!()),
          f.png.subarray(iend),
          ...(trailer ? [M] : []),
        ]);
        const out = await sanitize(input);
        await expectNothingPlanted(out.bytes);
        // A scrubbed profile stays, under a neutral name; nothing else but image and colour chunks.
        expect(pngChunks(out.bytes).every((t) => ['IHDR', 'iCCP', 'IDAT', 'IEND'].includes(t))).toBe(true);
        const image = (b: Buffer) => b.subarray(b.indexOf('IDAT') - 4);
        expect(image(out.bytes).equals(image(f.png))).toBe(true);
        if (!early.includes('iCCP')) expect((await pixels(out.bytes)).equals(await pixels(f.png))).toBe(true);
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('HEIC: Exif and XMP items, other mime items, thumbnails, item and handler names, unknown properties, ICC, extra boxes, unused mdat bytes', async () => {
    const f = await fixtures();
    const flags = fc.record({
      exif: fc.boolean(),
      xmp: fc.boolean(),
      text: fc.boolean(),
      thumb: fc.boolean(),
      names: fc.boolean(),
      hdlr: fc.boolean(),
      udes: fc.boolean(),
      colr: fc.boolean(),
      metaBox: fc.boolean(),
      topBefore: fc.boolean(),
      topAfter: fc.boolean(),
      gap: fc.boolean(),
      brand: fc.boolean(),
    })
      // At least one thing planted in every run (all thirteen off, 1 in 8192, planted nothing to look for).
      .filter((p) => Object.values(p).some(Boolean));
    await fc.assert(
      fc.asyncProperty(flags, async (p) => {
        const input = plantedHeic(p, Buffer.concat([u32(6), f.exifBlock]), f.icc);
        expect(input.includes(MARKER) || p.exif).toBe(true);
        const out = await sanitize(input);
        expect(out).toMatchObject({ kind: 'heif', mime: 'image/heic', width: 640, height: 480 });
        await expectNothingPlanted(out.bytes);
        // The picture's own bytes are untouched.
        expect(out.bytes.includes(HEVC)).toBe(true);
      }),
      { numRuns: 80 },
    );
  }, 60_000);
});

/** Stands in for an HEVC stream. */
const HEVC = Buffer.alloc(96, 0xab);

/** A HEIC with whatever the flags plant; laid out twice so iloc offsets are right. */
function plantedHeic(
  p: Record<'exif' | 'xmp' | 'text' | 'thumb' | 'names' | 'hdlr' | 'udes' | 'colr' | 'metaBox' | 'topBefore' | 'topAfter' | 'gap' | 'brand', boolean>,
  exif: Buffer,
  icc: Buffer,
): Buffer {
  const M = latin1(MARKER);
  const name = p.names ? `${MARKER}\0` : '\0';
  const items: { id: number; type: string; contentType?: string; data: Buffer }[] = [{ id: 1, type: 'hvc1', data: HEVC }];
  if (p.exif) items.push({ id: 2, type: 'Exif', data: exif });
  if (p.xmp) items.push({ id: 3, type: 'mime', contentType: 'application/rdf+xml', data: latin1(PLANTED_XMP) });
  if (p.text) items.push({ id: 4, type: 'mime', contentType: 'text/plain', data: Buffer.concat([latin1('note '), M]) });
  if (p.thumb) items.push({ id: 5, type: 'hvc1', data: Buffer.concat([Buffer.alloc(8, 0xcd), M]) });
  const gap = p.gap ? Buffer.concat([latin1('gap '), M]) : Buffer.alloc(0);
  const brands = p.brand ? 'mif1heicQZMA' : 'mif1heic';
  const ftyp = box('ftyp', latin1('heic'), u32(0), latin1(brands));
  const build = (mdatBody: number) => {
    let at = mdatBody;
    const entries = items.map((it) => {
      const e = Buffer.concat([u16(it.id), u16(0), u16(1), u32(at), u32(it.data.length)]);
      at += it.data.length;
      return e;
    });
    const iloc = fullBox('iloc', 0, 0, u8(0x44), u8(0), u16(items.length), ...entries);
    const infes = items.map((it) => fullBox('infe', 2, 0, u16(it.id), u16(0), latin1(it.type), latin1(name), ...(it.contentType ? [latin1(`${it.contentType}\0`)] : [])));
    const iinf = fullBox('iinf', 0, 0, u16(items.length), ...infes);
    const props = [fullBox('ispe', 0, 0, u32(640), u32(480))];
    if (p.colr) props.push(box('colr', latin1('prof'), icc));
    if (p.udes) props.push(fullBox('udes', 0, 0, latin1(`en\0${MARKER}\0${MARKER}\0tag\0`)));
    const assoc = props.map((_, i) => u8(i + 1));
    const iprp = box('iprp', box('ipco', ...props), fullBox('ipma', 0, 0, u32(1), u16(1), u8(props.length), ...assoc));
    const hdlr = fullBox('hdlr', 0, 0, u32(0), latin1('pict'), u32(0), u32(0), u32(0), latin1(p.hdlr ? `${MARKER}\0` : '\0'));
    const iref = p.thumb ? [fullBox('iref', 0, 0, box('thmb', u16(5), u16(1), u16(1)))] : [];
    const extra = p.metaBox ? [box('xml ', M)] : [];
    return fullBox('meta', 0, 0, hdlr, fullBox('pitm', 0, 0, u16(1)), iloc, iinf, ...iref, iprp, ...extra);
  };
  const before = p.topBefore ? box('udta', box('©nam', M)) : Buffer.alloc(0);
  const draft = build(0);
  const mdatBody = ftyp.length + draft.length + before.length + 8;
  const meta = build(mdatBody);
  const mdat = box('mdat', ...items.map((it) => it.data), gap);
  const after = p.topAfter ? box('meco', M) : Buffer.alloc(0);
  return Buffer.concat([ftyp, meta, before, mdat, after]);
}

// ---------------------------------------------------------- cost limits

describe('limits: what a file may cost is known from its header, before decoding', () => {
  const small: ContentLimits = { maxPixels: 200_000, maxProgressivePixels: 50_000 };

  it('refuses a photo over the pixel limit, and a progressive JPEG or interlaced PNG over the smaller budget, as FILE_TOO_COMPLEX', async () => {
    await expectRefused(await photo(640, 480).jpeg().toBuffer(), 'FILE_TOO_COMPLEX', small);
    await expectRefused(await photo(320, 240).jpeg({ progressive: true }).toBuffer(), 'FILE_TOO_COMPLEX', small);
    await expectRefused(await photo(320, 240).png({ progressive: true }).toBuffer(), 'FILE_TOO_COMPLEX', small);
    // The same sizes pass as baseline / non-interlaced.
    expect((await sanitize(await photo(320, 240).jpeg().toBuffer(), small)).width).toBe(320);
    expect((await sanitize(await photo(320, 240).png().toBuffer(), small)).width).toBe(320);
  });

  it('refuses an interlaced 7000 x 7000 PNG of a few hundred bytes on its header alone (default limits)', async () => {
    const ihdr = Buffer.concat([u32(7000), u32(7000), Buffer.from([8, 2, 0, 0, 1])]);
    const png = Buffer.concat([latin1('\x89PNG\r\n\x1a\n'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1000))), chunk('IEND', Buffer.alloc(0))]);
    const e = await expectRefused(png, 'FILE_TOO_COMPLEX');
    expect((e.cause as Error).message).toMatch(/progressive/);
  });

  it('refuses a photo whose header declares more than maxPixels even when baseline (a 900 MP PNG)', async () => {
    const ihdr = Buffer.concat([u32(30_000), u32(30_000), Buffer.from([8, 2, 0, 0, 0])]);
    await expectRefused(Buffer.concat([latin1('\x89PNG\r\n\x1a\n'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1000))), chunk('IEND', Buffer.alloc(0))]), 'FILE_TOO_COMPLEX');
  });

  it('bounds JPEG segments and scans', async () => {
    const base = await photo(64, 48).jpeg({ progressive: true }).toBuffer();
    const comments = Array.from({ length: BOUNDS.jpegSegments + 1 }, () => segment(0xfe, latin1('x')));
    await expectRefused(insertAt(base, 2, ...comments), 'FILE_TOO_COMPLEX');
    // The last scan again and again: each would be another pass over the coefficients.
    const last = base.lastIndexOf(Buffer.from([0xff, 0xda]));
    const scan = base.subarray(last, base.length - 2);
    await expectRefused(insertAt(base, last, ...Array.from({ length: BOUNDS.jpegScans }, () => scan)), 'FILE_TOO_COMPLEX');
  });

  it('bounds PNG chunks', async () => {
    const base = await photo(16, 16).png().toBuffer();
    await expectRefused(insertAt(base, 33, ...Array.from({ length: BOUNDS.pngChunks + 1 }, () => chunk('tEXt', latin1('a\0b')))), 'FILE_TOO_COMPLEX');
  });

  it('bounds HEIF boxes and extents per item, and refuses overlapping extents', async () => {
    const { file } = await heic();
    await expectRefused(Buffer.concat([file, ...Array.from({ length: BOUNDS.heifBoxes }, () => box('free'))]), 'FILE_TOO_COMPLEX');
    // One extent per byte of the Exif item (it has more bytes than the bound).
    await expectRefused((await heic({ exifExtents: 10_000 })).file, 'FILE_TOO_COMPLEX');
    // The XMP item pointed at the Exif item's bytes.
    const exifAt = (await heic()).ranges.exif[0]![0];
    await expectRefused((await heic({ offsetOf: (id, at) => (id === 3 ? exifAt : at) })).file, 'CORRUPT_FILE');
  });

  it('cuts boxes after the image data and refuses bytes that are not a box', async () => {
    const { file } = await heic();
    const out = await sanitize(Buffer.concat([file, box('udta', latin1(MARKER))]));
    expect(out.bytes.length).toBe(file.length);
    expect(out.removed).toContain('boxes after the image data');
    await expectRefused(Buffer.concat([file, latin1('trailing garbage')]), 'CORRUPT_FILE');
  });
});
