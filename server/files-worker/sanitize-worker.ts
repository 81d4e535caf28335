// The entry of a sanitize worker thread (piscina loads it by file name; Node
// strips the types). It reads the staged upload itself, so the bytes never
// cross the event loop on the way in, runs content.ts, and sends the clean
// bytes back by transfer, not by copy. A refusal is a value, not a throw, so
// its code survives the thread boundary exactly.
import { open } from 'node:fs/promises';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import sharp from 'sharp';
import { ContentError, sanitize, type CleanFile, type ContentErrorCode, type ContentLimits } from '../content/content.ts';

export interface SanitizeTask {
  /** A staged upload on disk, or bytes handed over (tests, benchmarks). */
  source: { path: string; size: number } | { bytes: Uint8Array };
  limits: ContentLimits;
  /** Never read more than this from disk, whatever `size` says. */
  maxBytes: number;
}

export type SanitizeReply =
  | ({ ok: true; bytes: ArrayBuffer } & Omit<CleanFile, 'bytes'>)
  | { ok: false; code: ContentErrorCode; reason: string };

/** Reads exactly `size` bytes; a file of another size was not staged by us as announced. */
async function readStaged(path: string, size: number, maxBytes: number): Promise<Buffer> {
  if (!Number.isSafeInteger(size) || size < 0 || size > maxBytes) throw new Error('staged size out of range');
  const file = await open(path, 'r');
  try {
    const { size: actual } = await file.stat();
    if (actual !== size) throw new Error('staged file is not the announced size');
    const buf = Buffer.alloc(size);
    for (let at = 0; at < size; ) {
      const { bytesRead } = await file.read(buf, at, size - at, at);
      if (bytesRead === 0) throw new Error('staged file shrank while read');
      at += bytesRead;
    }
    return buf;
  } finally {
    await file.close();
  }
}

/** An ArrayBuffer holding exactly these bytes, safe to transfer (never a pooled or shared one). */
function own(bytes: Buffer): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer && bytes.byteLength > 4096) return bytes.buffer;
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

export default async function sanitizeTask(task: SanitizeTask): Promise<unknown> {
  // libvips' cache and thread count are per process; a checker wants neither a cache of hostile images nor every core.
  sharp.cache(false);
  sharp.concurrency(1);
  const input = 'path' in task.source ? await readStaged(task.source.path, task.source.size, task.maxBytes) : task.source.bytes;
  let clean: CleanFile;
  try {
    clean = await sanitize(input, task.limits);
  } catch (e) {
    if (!(e instanceof ContentError)) throw e;
    const cause = e.cause instanceof Error ? e.cause.message : '';
    return { ok: false, code: e.code, reason: cause } satisfies SanitizeReply;
  }
  const bytes = own(clean.bytes);
  const reply: SanitizeReply = { ...clean, ok: true, bytes };
  // move() marks the pair so piscina transfers `bytes` instead of copying it.
  return move({ [transferableSymbol]: [bytes], [valueSymbol]: reply });
}
