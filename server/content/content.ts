// What an uploaded file really is, judged by its bytes alone (never its name
// or declared type), and a copy of it holding only what is needed to show
// the picture. JPEG and PNG are rebuilt losslessly from an allow-list of
// segments/chunks and then decoded once to prove they still render; HEIF-family
// files have everything but the image items neutralised in place (the bundled
// libvips cannot decode HEVC); PDFs pass unchanged after a framing check.
// Pixel counts come from the headers and are checked before any decoding.
// This module runs in a worker thread (server/files-worker/), never on the
// event loop. Every failure is a ContentError with a stable code and a
// message safe to show; the parser's own reason is kept as `cause` for logs.
import sharp from 'sharp';
import { AppError, type ErrorCode } from '../core/errors.ts';
import { TooComplexError } from './bounds.ts';
import { heifMime, stripHeif } from './heif.ts';
import { stripJpeg } from './jpeg.ts';
import { PNG_SIGNATURE, stripPng } from './png.ts';

import type { CleanFile } from '../domain/files/clean-file.ts';
import type { FileKind } from '../domain/model.ts';

export type { CleanFile, FileKind };

/** The usual MIME type per kind; `sniff` refines HEIF to image/heic or image/avif from the brands. */
export const MIME: Readonly<Record<FileKind, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

export interface Sniffed {
  kind: FileKind;
  mime: string;
}

export type ContentErrorCode = Extract<ErrorCode, 'UNSUPPORTED_TYPE' | 'CORRUPT_FILE' | 'FILE_TOO_COMPLEX'>;

/** What a file may cost to check (config files.maxPixels, files.maxProgressivePixels). */
export interface ContentLimits {
  /** Width x height from the header, checked before decoding and again by libvips. */
  maxPixels: number;
  /** For progressive JPEG and interlaced PNG, which are decoded whole in memory. */
  maxProgressivePixels: number;
}

export const DEFAULT_LIMITS: ContentLimits = { maxPixels: 50_000_000, maxProgressivePixels: 16_000_000 };

/** An AppError whose status and message come from the error table, so a refusal needs no mapping on its way out. */
export class ContentError extends AppError {
  declare readonly code: ContentErrorCode;

  constructor(code: ContentErrorCode, options?: { cause?: unknown }) {
    super(code, options);
    this.name = 'ContentError';
  }
}

const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');
const PDF_EOF = Buffer.from('%%EOF', 'latin1');
const PDF_TAIL = 1024;

const startsWith = (bytes: Uint8Array, magic: Uint8Array): boolean =>
  bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

/** The file's kind from its magic bytes alone, or null for anything we do not accept. */
export function sniff(bytes: Uint8Array): Sniffed | null {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { kind: 'jpeg', mime: MIME.jpeg };
  if (startsWith(bytes, PNG_SIGNATURE)) return { kind: 'png', mime: MIME.png };
  if (startsWith(bytes, PDF_MAGIC)) return { kind: 'pdf', mime: MIME.pdf };
  const heif = heifMime(bytes);
  return heif === null ? null : { kind: 'heif', mime: heif };
}

interface Stripped {
  bytes: Buffer;
  removed: string[];
  width?: number;
  height?: number;
  progressive?: boolean;
}

/** A PDF is passed through; it only has to be framed like one (a truncated upload lacks the %%EOF). */
function checkPdf(src: Buffer): Stripped {
  if (!src.subarray(Math.max(0, src.length - PDF_TAIL)).includes(PDF_EOF)) throw new Error('PDF: no %%EOF near the end');
  return { bytes: src, removed: [] };
}

/** Runs the format's stripper; any failure while reading untrusted bytes means the file is corrupt. */
function strip(kind: FileKind, src: Buffer): Stripped {
  try {
    if (kind === 'jpeg') return stripJpeg(src);
    if (kind === 'png') return stripPng(src);
    if (kind === 'heif') return stripHeif(src);
    return checkPdf(src);
  } catch (cause) {
    throw new ContentError(cause instanceof TooComplexError ? 'FILE_TOO_COMPLEX' : 'CORRUPT_FILE', { cause });
  }
}

/** Refuses, before any decoding, a picture whose header declares more pixels than the limits allow. */
function checkPixels(out: Stripped, limits: ContentLimits): void {
  if (out.width === undefined || out.height === undefined) return;
  const pixels = out.width * out.height;
  const limit = out.progressive ? Math.min(limits.maxProgressivePixels, limits.maxPixels) : limits.maxPixels;
  if (pixels > limit) throw new ContentError('FILE_TOO_COMPLEX', { cause: new Error(`${out.width} x ${out.height}${out.progressive ? ' progressive' : ''} is over ${limit} pixels`) });
}

/**
 * Decodes the whole file once to prove the stripped file renders. To a small
 * size: libjpeg's shrink-on-load still reads every scan (truncation and bad
 * Huffman data still fail) but skips most of the inverse DCT, about 5x faster
 * on a 12 MP photo than a full-size decode (npm run bench -- sharing).
 */
async function decodedSize(bytes: Buffer, limits: ContentLimits): Promise<{ width: number; height: number }> {
  const options = { failOn: 'error', limitInputPixels: limits.maxPixels, sequentialRead: true } as const;
  try {
    const { width, height } = await sharp(bytes, options).metadata();
    await sharp(bytes, options).resize({ width: Math.min(width, 512), fastShrinkOnLoad: true, withoutEnlargement: true }).raw().toBuffer();
    return { width, height };
  } catch (cause) {
    // libvips' own pixel limit (e.g. an AVIF whose ispe understated its size).
    throw new ContentError(/pixel limit/i.test((cause as Error).message) ? 'FILE_TOO_COMPLEX' : 'CORRUPT_FILE', { cause });
  }
}

/** JPEG, PNG and AVIF can be decoded here; HEVC cannot, so HEIC keeps its `ispe` size, if any. */
const decodable = (found: Sniffed): boolean => found.kind === 'jpeg' || found.kind === 'png' || found.mime === 'image/avif';

/** The file with its metadata removed, or a ContentError saying why it is refused. */
export async function sanitize(bytes: Uint8Array, limits: ContentLimits = DEFAULT_LIMITS): Promise<CleanFile> {
  const found = sniff(bytes);
  if (found === null) throw new ContentError('UNSUPPORTED_TYPE');
  const src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = strip(found.kind, src);
  checkPixels(out, limits);
  // AVIF is decoded below; without an ispe its size would be known only by decoding.
  if (found.mime === 'image/avif' && out.width === undefined) throw new ContentError('CORRUPT_FILE', { cause: new Error('AVIF without ispe') });
  const size = decodable(found) ? await decodedSize(out.bytes, limits) : out;
  const dims = size.width !== undefined && size.height !== undefined ? { width: size.width, height: size.height } : {};
  return { kind: found.kind, mime: found.mime, bytes: out.bytes, ...dims, removed: out.removed };
}
