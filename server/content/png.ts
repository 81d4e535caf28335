// Lossless PNG metadata removal at the chunk level, by allow-list: the image
// chunks (IHDR, PLTE, tRNS, the IDAT run, IEND) are copied whole, so their
// CRCs stay valid; of the colour chunks gAMA, cHRM, sRGB and cICP are plain
// numbers and stay, and iCCP is rebuilt with a neutral name and its profile's
// device and text fields zeroed (icc.ts). eXIf becomes a minimal block with
// only Orientation. Every text, time, physical-size, APNG and unknown
// ancillary chunk goes, and so does anything after IEND. The chunk count is
// bounded. Throws a plain Error on broken structure (content.ts turns it into
// CORRUPT_FILE) and TooComplexError past a bound.
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { BOUNDS, tooComplex } from './bounds.ts';
import { scrubIcc } from './icc.ts';
import { orientationApp1, tiffOrientation } from './jpeg.ts';

export interface StrippedPng {
  bytes: Buffer;
  removed: string[];
  width: number;
  height: number;
  /** Adam7 interlacing: decoded whole in memory, so content.ts holds it to a smaller pixel budget. */
  progressive: boolean;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const IMAGE = new Set(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND']);
const COLOUR = new Set(['gAMA', 'cHRM', 'sRGB', 'cICP']);
const LABELS: Record<string, string> = {
  eXIf: 'EXIF (eXIf)',
  tEXt: 'text (tEXt)',
  zTXt: 'compressed text (zTXt)',
  iTXt: 'international text, e.g. XMP (iTXt)',
  tIME: 'timestamp (tIME)',
};

const fail = (why: string): never => {
  throw new Error(`PNG: ${why}`);
};

interface Chunk {
  type: string;
  start: number;
  end: number;
}

/** Reads and checks one chunk's framing (length, type letters) starting at `at`. */
function readChunk(src: Buffer, at: number): Chunk {
  if (at + 12 > src.length) fail('truncated chunk header');
  const length = src.readUInt32BE(at);
  if (length > 0x7fffffff) fail('chunk length above 2^31-1');
  const end = at + 12 + length;
  if (end > src.length) fail('chunk runs past the end of the file');
  const type = src.toString('latin1', at + 4, at + 8);
  if (!/^[A-Za-z]{4}$/.test(type)) fail('chunk type is not four letters');
  return { type, start: at, end };
}

const crcOk = (src: Buffer, c: Chunk): boolean => crc32(src.subarray(c.start + 4, c.end - 4)) === src.readUInt32BE(c.end - 4);

/** A chunk with its length and CRC. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** iCCP with a neutral name and a scrubbed profile, or null when it does not inflate or parse (it is only colour). */
function iccp(data: Buffer): Buffer | null {
  const nul = data.indexOf(0);
  if (nul < 1 || nul > 79 || data[nul + 1] !== 0) return null;
  let profile: Buffer;
  try {
    profile = scrubIcc(inflateSync(data.subarray(nul + 2), { maxOutputLength: BOUNDS.iccBytes }));
  } catch (e) {
    if ((e as Error).name === 'TooComplexError') throw e;
    return null;
  }
  return pngChunk('iCCP', Buffer.concat([Buffer.from('ICC Profile\0\0', 'latin1'), deflateSync(profile)]));
}

/** eXIf (a bare TIFF block) reduced to Orientation, or null when it is 1 or unreadable. */
function exif(data: Buffer): Buffer | null {
  const orientation = tiffOrientation(data, 0);
  return orientation === 1 ? null : pngChunk('eXIf', orientationApp1(orientation).subarray(10));
}

export function stripPng(src: Buffer): StrippedPng {
  if (src.length < 8 || !src.subarray(0, 8).equals(PNG_SIGNATURE)) fail('no signature');
  const head: Buffer[] = [];
  const colour: Buffer[] = [];
  const body: Buffer[] = [];
  const removed = new Set<string>();
  let ihdr: Chunk | null = null;
  let idat: 'before' | 'in' | 'after' = 'before';
  let pos = 8;
  for (let count = 0; ; count++) {
    if (count > BOUNDS.pngChunks) tooComplex('too many chunks');
    const chunk = readChunk(src, pos);
    pos = chunk.end;
    const { type } = chunk;
    if (count === 0 && type !== 'IHDR') fail('first chunk is not IHDR');
    if (type === 'IDAT') {
      if (idat === 'after') fail('IDAT chunks are not consecutive');
      idat = 'in';
    } else if (idat === 'in') idat = 'after';
    if (IMAGE.has(type) || COLOUR.has(type)) {
      // Only kept chunks must be intact: a damaged text chunk is dropped anyway.
      if (!crcOk(src, chunk)) fail(`bad CRC on ${type}`);
      if (type === 'IHDR') {
        if (ihdr || chunk.end - chunk.start !== 25) fail('IHDR twice or of the wrong size');
        ihdr = chunk;
      }
      (IMAGE.has(type) ? body : colour).push(src.subarray(chunk.start, chunk.end));
      if (type === 'IEND') break;
      continue;
    }
    // Upper-case first letter = critical: a decoder must refuse what it cannot read.
    if (type.charCodeAt(0) < 0x61) fail(`unknown critical chunk ${type}`);
    const data = src.subarray(chunk.start + 8, chunk.end - 4);
    const rebuilt = type === 'iCCP' && crcOk(src, chunk) ? iccp(data) : type === 'eXIf' && idat === 'before' && crcOk(src, chunk) ? exif(data) : null;
    if (rebuilt) head.push(rebuilt);
    // A chunk rebuilt as it was (a second pass) removed nothing.
    if (rebuilt?.equals(src.subarray(chunk.start, chunk.end))) continue;
    if (type === 'iCCP') removed.add(rebuilt ? 'ICC profile name and device fields (iCCP)' : 'ICC profile (iCCP)');
    else removed.add(LABELS[type] ?? `ancillary chunk ${type}`);
  }
  if (idat === 'before') fail('no IDAT');
  if (pos < src.length) removed.add('trailer after IEND');
  const h = src.subarray(ihdr!.start + 8, ihdr!.end - 4);
  const [width, height] = [h.readUInt32BE(0), h.readUInt32BE(4)];
  if (width === 0 || height === 0) fail('zero image size');
  // IHDR first, then the rebuilt and colour chunks (all allowed before PLTE and IDAT), then the image.
  const out = [PNG_SIGNATURE, body[0]!, ...head, ...colour, ...body.slice(1)];
  return { bytes: Buffer.concat(out), removed: [...removed], width, height, progressive: h[12] === 1 };
}
