// Lossless PNG metadata stripping at the chunk level: kept chunks are copied
// whole (so their CRCs stay valid), text, time and EXIF chunks go. Throws a
// plain Error on broken structure; content.ts turns it into
// ContentError('CORRUPT_FILE').
import { crc32 } from 'node:zlib';

export interface StrippedPng {
  bytes: Buffer;
  removed: string[];
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRITICAL = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);
// Ancillary chunks that only affect how the pixels look, never who or where.
const RENDERING = new Set(['iCCP', 'sRGB', 'gAMA', 'cHRM', 'pHYs', 'sBIT', 'bKGD', 'tRNS']);
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

/** Only kept chunks must be intact: a damaged text chunk is dropped anyway. */
function checkCrc(src: Buffer, chunk: Chunk): void {
  if (crc32(src.subarray(chunk.start + 4, chunk.end - 4)) !== src.readUInt32BE(chunk.end - 4)) fail(`bad CRC on ${chunk.type}`);
}

/** Whether a chunk stays; throws on a critical chunk no decoder will know. */
function keeps(type: string): boolean {
  if (CRITICAL.has(type) || RENDERING.has(type)) return true;
  // Upper-case first letter = critical: a decoder must refuse what it cannot read.
  if (type.charCodeAt(0) < 0x61) fail(`unknown critical chunk ${type}`);
  return false;
}

export function stripPng(src: Buffer): StrippedPng {
  if (src.length < 8 || !src.subarray(0, 8).equals(PNG_SIGNATURE)) fail('no signature');
  const kept: Buffer[] = [PNG_SIGNATURE];
  const removed = new Set<string>();
  let pos = 8;
  for (let first = true; ; first = false) {
    const chunk = readChunk(src, pos);
    if (first && chunk.type !== 'IHDR') fail('first chunk is not IHDR');
    if (keeps(chunk.type)) {
      checkCrc(src, chunk);
      kept.push(src.subarray(chunk.start, chunk.end));
    } else removed.add(LABELS[chunk.type] ?? `ancillary chunk ${chunk.type}`);
    pos = chunk.end;
    if (chunk.type === 'IEND') break;
  }
  if (pos < src.length) removed.add('trailer after IEND');
  return { bytes: Buffer.concat(kept), removed: [...removed] };
}
