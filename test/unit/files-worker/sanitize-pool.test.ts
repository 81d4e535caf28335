// The worker-thread pool that checks uploaded files: the bytes go through
// content.ts in another thread and come back stripped; refusals keep their
// codes across the thread boundary; a full queue is refused at once with
// Retry-After; a file over its time budget is refused and its thread
// replaced; the event loop is never the one decoding.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../server/core/errors.ts';
import { ContentError } from '../../../server/content/content.ts';
import { SanitizePool, type SanitizePoolOptions } from '../../../server/files-worker/sanitize-pool.ts';

const OPTIONS: SanitizePoolOptions = { threads: 1, queue: 2, timeoutSeconds: 10, memoryMb: 128, maxBytes: 20_000_000, maxPixels: 50_000_000, maxProgressivePixels: 16_000_000 };
const pools: SanitizePool[] = [];
const pool = (over: Partial<SanitizePoolOptions> = {}) => {
  const p = new SanitizePool({ ...OPTIONS, ...over });
  pools.push(p);
  return p;
};
const dir = mkdtempSync(path.join(tmpdir(), 'sanitize-pool-'));
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
});

const photo = (width = 320, height = 240) =>
  sharp({ create: { width, height, channels: 3, background: '#777', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg()
    .withExif({ IFD0: { Make: 'PhoneCo', Model: 'X1' } })
    .toBuffer();

async function refusal(p: Promise<unknown>): Promise<Error & { code?: string; status?: number; retryAfterSeconds?: number }> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error & { code?: string };
}

describe('SanitizePool', () => {
  it('strips a staged file in a worker thread and hands back its bytes', async () => {
    const input = await photo();
    const file = path.join(dir, 'staged.jpg');
    writeFileSync(file, input);
    const out = await pool().sanitize({ path: file, size: input.length });
    expect(out).toMatchObject({ kind: 'jpeg', mime: 'image/jpeg', width: 320, height: 240, removed: ['EXIF (APP1)'] });
    expect(Buffer.isBuffer(out.bytes)).toBe(true);
    expect(out.bytes.includes('PhoneCo')).toBe(false);
    expect((await sharp(out.bytes).metadata()).width).toBe(320);
  });

  it('refuses a staged file whose size is not the one announced, or over maxBytes (a fault, not a refusal)', async () => {
    const input = await photo(32, 32);
    const file = path.join(dir, 'short.jpg');
    writeFileSync(file, input);
    const p = pool({ maxBytes: 100_000 });
    expect((await refusal(p.sanitize({ path: file, size: input.length + 1 }))).message).toMatch(/announced size/);
    expect((await refusal(p.sanitize({ path: file, size: 200_000 }))).message).toMatch(/size out of range/);
  });

  it('keeps the refusal codes across the thread boundary', async () => {
    const p = pool();
    const unsupported = await refusal(p.sanitizeBytes(Buffer.from('<html><script>alert(1)</script>')));
    expect(unsupported).toBeInstanceOf(ContentError);
    expect(unsupported.code).toBe('UNSUPPORTED_TYPE');
    const corrupt = await refusal(p.sanitizeBytes((await photo()).subarray(0, 600)));
    expect(corrupt).toBeInstanceOf(ContentError);
    expect(corrupt.code).toBe('CORRUPT_FILE');
    const big = await refusal(pool({ maxPixels: 10_000 }).sanitizeBytes(await photo()));
    expect(big).toBeInstanceOf(AppError);
    expect(big).toMatchObject({ code: 'FILE_TOO_COMPLEX', status: 422 });
  });

  it('refuses at once, 503 UNAVAILABLE with Retry-After, when every thread is busy and the queue is full', async () => {
    const p = pool({ threads: 1, queue: 2 });
    const input = await photo(800, 600);
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => p.sanitizeBytes(input)));
    // Three taken (one checked, two waiting), three refused without waiting.
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    for (const o of outcomes.filter((x) => x.status === 'rejected')) {
      expect(o.reason).toBeInstanceOf(AppError);
      expect(o.reason).toMatchObject({ code: 'UNAVAILABLE', status: 503, retryAfterSeconds: 5 });
    }
    expect(p.load).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses a file over its time budget as FILE_TOO_COMPLEX, replaces the thread, and goes on', async () => {
    const p = pool({ timeoutSeconds: 0.001 });
    const input = await photo(1200, 900);
    for (let i = 0; i < 3; i++) expect(await refusal(p.sanitizeBytes(input))).toMatchObject({ code: 'FILE_TOO_COMPLEX', status: 422 });
    expect(p.load).toEqual({ running: 0, waiting: 0 });
  }, 60_000);

  it('decodes off the event loop: the loop never stalls while big photos are checked', async () => {
    const input = await photo(3000, 2000);
    const p = pool({ threads: 2, queue: 8 });
    await p.sanitizeBytes(await photo(64, 64)); // warm the threads
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const results = await Promise.all(Array.from({ length: 4 }, () => p.sanitizeBytes(input)));
    h.disable();
    expect(results.every((r) => r.width === 3000)).toBe(true);
    // Generous: one 12 MP decode on the loop takes well over this.
    expect(h.max / 1e6).toBeLessThan(200);
  }, 60_000);
});
