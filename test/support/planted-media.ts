// Files that carry a marker string, GPS, Make and Model in every place a
// phone, an editor or an attacker can put them, for the tests that check
// none of it survives (test/unit/domain/files-content.test.ts,
// test/security/hostile-content.test.ts).
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { chunk, latin1, segment, u16, u32, u8 } from './bytes.ts';

/** Planted everywhere a file can carry it; no byte of it may reach the clinician. */
export const MARKER = 'QZMARK7SECRET';

const s15 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(Math.round(v * 65536));
  return b;
};
const pad4 = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);

/** A valid RGB display profile whose text tags, header spare bytes and a gap between tags all carry `text`. */
export function plantedIcc(text: string): Buffer {
  const desc = (t: string) => Buffer.concat([latin1('desc'), u32(0), u32(t.length + 1), latin1(`${t}\0`), u32(0), u32(0), u16(0), u8(0), Buffer.alloc(67)]);
  const xyz = (x: number, y: number, z: number) => Buffer.concat([latin1('XYZ '), u32(0), s15(x), s15(y), s15(z)]);
  const curv = Buffer.concat([latin1('curv'), u32(0), u32(1), u16(0x0233)]);
  const tags: [string, Buffer][] = [
    ['desc', desc(`Phone ${text}`)],
    ['cprt', Buffer.concat([latin1('text'), u32(0), latin1(`(c) ${text}\0`)])],
    ['dmnd', desc(`Maker ${text}`)],
    ['dmdd', desc(`Model ${text}`)],
    ['wtpt', xyz(0.9642, 1, 0.8249)],
    ['rXYZ', xyz(0.4361, 0.2225, 0.0139)],
    ['gXYZ', xyz(0.3851, 0.7169, 0.0971)],
    ['bXYZ', xyz(0.1431, 0.0606, 0.7141)],
    ['rTRC', curv],
    ['gTRC', curv],
    ['bTRC', curv],
  ];
  const gap = pad4(latin1(`gap ${text}`));
  let at = 132 + tags.length * 12 + gap.length;
  const table: Buffer[] = [];
  const data: Buffer[] = [gap];
  for (const [sig, body] of tags) {
    table.push(latin1(sig), u32(at), u32(body.length));
    data.push(pad4(body));
    at += pad4(body).length;
  }
  const header = Buffer.alloc(128);
  header.writeUInt32BE(at, 0);
  header.write('MARK', 4, 'latin1'); // CMM
  header.writeUInt32BE(0x02100000, 8);
  header.write('mntrRGB XYZ ', 12, 'latin1');
  header.write('acspAPPL', 36, 'latin1');
  header.write('MAKRMODL', 48, 'latin1'); // device manufacturer and model
  s15(0.9642).copy(header, 68);
  s15(1).copy(header, 72);
  s15(0.8249).copy(header, 76);
  header.write(text, 100, 'latin1'); // reserved bytes
  return Buffer.concat([header, u32(tags.length), ...table, ...data]);
}


export const PLANTED_EXIF = {
  IFD0: { Make: `Make${MARKER}`, Model: `Model${MARKER}`, ImageDescription: MARKER, Artist: MARKER },
  IFD1: { ImageDescription: `thumb${MARKER}` },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
};
const XMP = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="${MARKER}"/></rdf:RDF></x:xmpmeta>`;


const picture = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#777', noise: { type: 'gaussian', mean: 120, sigma: 30 } } });

/** A phone-like JPEG: EXIF with GPS, Make, Model and a thumbnail IFD, XMP, an ICC profile, COM, APP3..APP15, MPF, a trailer. */
export async function plantedJpeg(width = 320, height = 240): Promise<Buffer> {
  const made = await picture(width, height).jpeg().withExif(PLANTED_EXIF).withXmp(XMP).toBuffer();
  const M = latin1(MARKER);
  const extra = [
    segment(0xe2, Buffer.concat([latin1('ICC_PROFILE\0'), u8(1), u8(1), plantedIcc(MARKER)])),
    segment(0xe2, Buffer.concat([latin1('MPF\0'), M])),
    segment(0xfe, M),
    ...Array.from({ length: 13 }, (_, i) => segment(0xe3 + i, Buffer.concat([latin1('Vendor\0'), M]))),
  ];
  return Buffer.concat([made.subarray(0, 2), ...extra, made.subarray(2), M]);
}

/** A PNG with eXIf (GPS, Make, Model), tEXt, zTXt, iTXt XMP, iCCP, tIME, an unknown chunk, chunks after IDAT and bytes after IEND. */
export async function plantedPng(width = 320, height = 240): Promise<Buffer> {
  const png = await picture(width, height).png().toBuffer();
  const exif = (await sharp(await picture(8, 8).jpeg().withExif(PLANTED_EXIF).toBuffer()).metadata()).exif!;
  const M = latin1(MARKER);
  const early = [
    chunk('eXIf', exif.subarray(6)),
    chunk('iCCP', Buffer.concat([latin1(`${MARKER}\0\0`), deflateSync(plantedIcc(MARKER))])),
    chunk('tEXt', Buffer.concat([latin1('Author\0'), M])),
    chunk('zTXt', Buffer.concat([latin1('Comment\0\0'), deflateSync(M)])),
    chunk('iTXt', Buffer.concat([latin1('XML:com.adobe.xmp\0\0\0\0\0'), latin1(XMP)])),
    chunk('tIME', Buffer.from([0x07, 0xe8, 1, 2, 3, 4, 5])),
    chunk('prVt', M),
  ];
  const iend = png.length - 12;
  return Buffer.concat([png.subarray(0, 33), ...early, png.subarray(33, iend), chunk('tEXt', Buffer.concat([latin1('Late\0'), M])), png.subarray(iend), M]);
}
