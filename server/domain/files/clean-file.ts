// What the file service receives from the content checker (server/content/,
// run in worker threads): the checked copy of an upload. Declared here so the
// domain names what it needs without importing sharp or the image parsers.
import type { FileKind } from '../model.ts';

export interface CleanFile {
  kind: FileKind;
  mime: string;
  bytes: Buffer;
  /** Stored pixel size (before any EXIF rotation); absent for PDF, and for HEIC without `ispe`. */
  width?: number;
  height?: number;
  /** Human-readable list of what was stripped, e.g. ['EXIF (APP1)', 'XMP (APP1)', 'trailer after EOI']. */
  removed: string[];
}
