// ICC colour profiles keep only what a colour transform reads. A profile
// from a phone or an editor also names the device, its maker, the software
// and the date (header fields, and text tags such as desc, cprt, dmnd, dmdd);
// by allow-list, the copy keeps the header fields that define the colour
// space, the tag table, and the data of colour tags (primaries, tone curves,
// white point, adaptation, LUTs). Every other byte is zero: text tags become
// empty strings of their own type, so the profile stays valid and the same
// length (HEIF rewrites it in place). Numeric colour tables can still encode
// arbitrary bits, as pixels can; that is not metadata about the patient.
import { BOUNDS, tooComplex } from './bounds.ts';

const fail = (why: string): never => {
  throw new Error(`ICC: ${why}`);
};

/** Tags a colour transform reads (ICC.1:2022 section 9.2); everything else is zeroed. */
const COLOUR_TAGS = new Set([
  'rXYZ', 'gXYZ', 'bXYZ', 'rTRC', 'gTRC', 'bTRC', 'kTRC', 'wtpt', 'bkpt', 'chad', 'chrm', 'cicp', 'gamt',
  'A2B0', 'A2B1', 'A2B2', 'B2A0', 'B2A1', 'B2A2', 'D2B0', 'D2B1', 'D2B2', 'D2B3', 'B2D0', 'B2D1', 'B2D2', 'B2D3',
]);
/** Text types whose zeroed body is a valid empty string (mluc also needs its record size). */
const TEXT_TYPES = new Set(['desc', 'mluc', 'text']);

/** Header byte ranges that define the colour space: size, version, class, data colour space, PCS, 'acsp', intent, illuminant. */
const HEADER_KEPT: [number, number][] = [
  [0, 4],
  [8, 24],
  [36, 40],
  [64, 80],
];

/** A same-length copy with only the colour-defining bytes; throws on a malformed profile. */
export function scrubIcc(src: Buffer): Buffer {
  if (src.length < 132) fail('shorter than a header');
  const size = src.readUInt32BE(0);
  if (size !== src.length) fail('declared size differs from the data');
  if (src.toString('latin1', 36, 40) !== 'acsp') fail('no acsp signature');
  const count = src.readUInt32BE(128);
  if (count > BOUNDS.iccTags) tooComplex('too many ICC tags');
  if (132 + count * 12 > size) fail('tag table runs past the profile');
  const out = Buffer.alloc(size);
  for (const [from, to] of HEADER_KEPT) src.copy(out, from, from, to);
  src.copy(out, 128, 128, 132 + count * 12);
  for (let i = 0; i < count; i++) {
    const at = 132 + i * 12;
    const sig = src.toString('latin1', at, at + 4);
    const offset = src.readUInt32BE(at + 4);
    const length = src.readUInt32BE(at + 8);
    if (offset < 132 + count * 12 || offset + length > size || length < 8) fail(`tag ${i} out of bounds`);
    if (COLOUR_TAGS.has(sig)) {
      src.copy(out, offset, offset, offset + length);
      continue;
    }
    const type = src.toString('latin1', offset, offset + 4);
    // Shared data (a colour tag pointing at the same bytes) was copied above or will be; only add a text type over zeros.
    if (TEXT_TYPES.has(type) && out.readUInt32BE(offset) === 0) {
      out.write(type, offset, 'latin1');
      if (type === 'mluc' && length >= 16) out.writeUInt32BE(12, offset + 12);
    }
  }
  return out;
}
