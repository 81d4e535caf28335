// Streams a request body to a new file in a staging directory, never holding
// more than one chunk in memory: refused as soon as it passes maxBytes, cut
// when it has not all arrived by the deadline. On any failure the file is
// removed before the promise rejects; on success the caller owns it (and
// removes it when the request is over). The staging directory is 0700 and
// each file 0600: it holds an upload's bytes before they are checked and
// sealed, for as long as the request lasts.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { StagedFile } from '../domain/files/service.ts';

export interface BodyLimits {
  maxBytes: number;
  timeoutMs: number;
  /** The errors to reject with (typed by the caller). */
  tooLarge: () => Error;
  tooSlow: () => Error;
  interrupted: () => Error;
}

export async function bodyToFile(body: Readable, dir: string, limits: BodyLimits): Promise<StagedFile> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${randomBytes(16).toString('hex')}.upload`);
  const out = (await open(file, 'wx', 0o600)).createWriteStream();
  let size = 0;
  return new Promise<StagedFile>((resolve, reject) => {
    let settled = false;
    const stop = () => {
      settled = true;
      clearTimeout(timer);
      body.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const fail = (err: Error) => {
      if (settled) return;
      stop();
      // Stop reading: the reply goes out with Connection: close and the rest is never read.
      body.pause();
      out.destroy();
      void rm(file, { force: true }).finally(() => reject(err));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBytes) return fail(limits.tooLarge());
      if (!out.write(chunk)) {
        body.pause();
        out.once('drain', () => settled || body.resume());
      }
    };
    const onEnd = () => {
      if (settled) return;
      stop();
      out.end();
      out.once('close', () => resolve({ path: file, size }));
    };
    const onError = () => fail(limits.interrupted());
    const onClose = () => fail(limits.interrupted());
    const timer = setTimeout(() => fail(limits.tooSlow()), limits.timeoutMs);
    out.once('error', (e) => fail(e));
    body.on('data', onData).once('end', onEnd).once('error', onError).once('close', onClose);
  });
}

/** Removes staged files older than maxAgeMs: leftovers of a crash (no live upload is that old). */
export async function sweepStaged(dir: string, maxAgeMs: number, nowMs: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  let removed = 0;
  for (const name of names.filter((n) => n.endsWith('.upload'))) {
    const p = path.join(dir, name);
    const s = await stat(p).catch(() => null);
    if (s && nowMs - s.mtimeMs > maxAgeMs) {
      await rm(p, { force: true });
      removed++;
    }
  }
  return removed;
}
