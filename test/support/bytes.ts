// Big-endian byte builders for the tests that craft files by hand (JPEG
// segments, PNG chunks, ISO-BMFF boxes): one copy, used by the content
// checker's unit tests, the hostile-content attack and the planted media.
import { crc32 } from 'node:zlib';

export const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
export const u8 = (n: number): Buffer => Buffer.from([n]);
export const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
export const u64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
/** A JPEG segment: marker, length, payload. */
export const segment = (marker: number, payload: Buffer): Buffer => Buffer.concat([u8(0xff), u8(marker), u16(payload.length + 2), payload]);
/** A PNG chunk: length, type, data, CRC. */
export const chunk = (type: string, data: Buffer): Buffer => Buffer.concat([u32(data.length), latin1(type), data, u32(crc32(Buffer.concat([latin1(type), data])))]);
/** An ISO-BMFF box: size, type, body. */
export const box = (type: string, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([u32(body.length + 8), latin1(type), body]);
};
export const insertAt = (buf: Buffer, at: number, ...parts: Buffer[]): Buffer => Buffer.concat([buf.subarray(0, at), ...parts, buf.subarray(at)]);
