// Structural limits on untrusted containers, checked while parsing and before
// any decoding, so the cost of reading a file grows with its size and never
// with counts a few bytes can declare. A file over a limit is refused as too
// complex (FILE_TOO_COMPLEX), not as damaged: it may be well formed.

/** Thrown by the parsers when a file is over a structural limit; content.ts maps it to FILE_TOO_COMPLEX. */
export class TooComplexError extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'TooComplexError';
  }
}

export const BOUNDS = {
  /** JPEG: marker segments of any kind (a 12 MP photo has about 20). */
  jpegSegments: 4096,
  /** JPEG: scans; each progressive scan is another pass over the whole coefficient buffer (libjpeg writes 10). */
  jpegScans: 64,
  /** PNG: chunks (IDATs of 8 KiB fill 160 MiB at this count). */
  pngChunks: 20_000,
  /** PNG: an inflated ICC profile. */
  iccBytes: 4 * 1024 * 1024,
  /** ICC: tags in one profile (sRGB has 17, Display P3 10). */
  iccTags: 200,
  /** HEIF: boxes side by side in one container (top level, meta, ipco, iinf, iref). */
  heifBoxes: 4096,
  /** HEIF: items (an iPhone photo has about 50: the grid's tiles, Exif, a thumbnail). */
  heifItems: 4096,
  /** HEIF: extents of one item. */
  heifExtentsPerItem: 64,
} as const;

export const tooComplex = (why: string): never => {
  throw new TooComplexError(why);
};
