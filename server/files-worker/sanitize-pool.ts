// Untrusted files are checked off the event loop: a small pool of worker
// threads (piscina) runs content.ts, each file under a time budget (the
// thread is terminated and replaced when it runs over) and a JavaScript heap
// budget (resourceLimits; the thread dies and is replaced). Native decoding
// memory is bounded before decoding by the pixel limits in content.ts. In
// front of the pool is one global queue: at most `threads` files are checked
// at once and at most `queue` wait; past that an upload is refused at once,
// 503 UNAVAILABLE with Retry-After, instead of piling up memory and latency.
import { Piscina } from 'piscina';
// libvips must stay loaded for the life of the process, not just of a worker
// thread (glibc unloads it when the last thread holding it exits).
import 'sharp';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { ContentError, type CleanFile, type ContentLimits } from '../content/content.ts';
import type { SanitizeReply, SanitizeTask } from './sanitize-worker.ts';

export interface SanitizePoolOptions extends ContentLimits {
  threads: number;
  /** Files that may wait for a thread. */
  queue: number;
  timeoutSeconds: number;
  /** V8 heap of one thread, MiB. */
  memoryMb: number;
  /** Largest staged file the workers will read. */
  maxBytes: number;
}

const WORKER = new URL('./sanitize-worker.ts', import.meta.url).href;

const tooComplex = (why: string, cause?: unknown) => new AppError('FILE_TOO_COMPLEX', { cause: cause ?? new Error(why) });

export class SanitizePool {
  readonly #pool: Piscina<SanitizeTask, unknown>;
  readonly #options: SanitizePoolOptions;
  readonly #logger: Logger | undefined;
  /** Files being checked now (at most `threads`). */
  #running = 0;
  /** Files waiting for a thread, in arrival order. */
  readonly #waiting: (() => void)[] = [];
  #closed = false;

  constructor(options: SanitizePoolOptions, logger?: Logger) {
    this.#options = options;
    this.#logger = logger;
    this.#pool = new Piscina<SanitizeTask, unknown>({
      filename: WORKER,
      // No thread until the first file: a thread terminated while it is still
      // loading sharp (a node stopped within a second of starting) can abort
      // the whole process; one that has checked a file stops cleanly.
      minThreads: 0,
      maxThreads: options.threads,
      // The queue is ours (below), so piscina is never asked to hold more than it can run.
      maxQueue: options.threads,
      idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: options.memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, options.memoryMb >> 3)), stackSizeMb: 4 },
    });
  }

  /** The staged upload, checked and stripped (the FileService's Sanitize). */
  readonly sanitize = (input: { path: string; size: number }): Promise<CleanFile> => this.#run({ path: input.path, size: input.size });

  /** The same for bytes already in memory (tests, benchmarks); the caller's buffer is copied, not moved. */
  readonly sanitizeBytes = (bytes: Uint8Array): Promise<CleanFile> => this.#run({ bytes });

  /** How many files are being checked and waiting (for metrics and tests). */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of this.#waiting.splice(0)) wake();
    await this.#pool.destroy();
  }

  async #run(source: SanitizeTask['source']): Promise<CleanFile> {
    await this.#admit();
    const controller = new AbortController();
    // The budget starts when a thread takes the file, not while it waits.
    const timer = setTimeout(() => controller.abort(), this.#options.timeoutSeconds * 1000);
    try {
      const { maxPixels, maxProgressivePixels, maxBytes } = this.#options;
      const task: SanitizeTask = { source, limits: { maxPixels, maxProgressivePixels }, maxBytes };
      const reply = (await this.#pool.run(task, { signal: controller.signal })) as SanitizeReply;
      if (!reply.ok) throw this.#refusal(reply);
      const { ok: _ok, bytes, ...rest } = reply;
      return { ...rest, bytes: Buffer.from(bytes) };
    } catch (e) {
      throw this.#classify(e, controller.signal.aborted);
    } finally {
      clearTimeout(timer);
      this.#release();
    }
  }

  /** Waits for a thread, or refuses at once when the queue is full. */
  async #admit(): Promise<void> {
    if (this.#closed) throw new AppError('SHUTTING_DOWN');
    if (this.#running < this.#options.threads) {
      this.#running++;
      return;
    }
    if (this.#waiting.length >= this.#options.queue) {
      this.#logger?.warn({ running: this.#running, waiting: this.#waiting.length }, 'file check queue full: upload refused');
      throw new AppError('UNAVAILABLE', 'Photos are being checked for other people; please try again in a moment.', { retryAfterSeconds: 5 });
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.#closed) throw new AppError('SHUTTING_DOWN');
    this.#running++;
  }

  #release(): void {
    this.#running--;
    this.#waiting.shift()?.();
  }

  /** A worker's refusal as the error content.ts would have thrown in-process. */
  #refusal(reply: Extract<SanitizeReply, { ok: false }>): Error {
    // A ContentError is an AppError: its status and message come from the error table by its code.
    return new ContentError(reply.code, { cause: new Error(reply.reason) });
  }

  /** A file that ran out of time or heap is refused; the pool has already replaced the thread. */
  #classify(e: unknown, timedOut: boolean): unknown {
    if (e instanceof AppError) return e;
    if (timedOut) {
      this.#logger?.warn({ timeoutSeconds: this.#options.timeoutSeconds }, 'file check over its time budget: thread replaced');
      return tooComplex('over the time budget', e);
    }
    if ((e as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
      this.#logger?.warn({ memoryMb: this.#options.memoryMb }, 'file check over its memory budget: thread replaced');
      return tooComplex('over the memory budget', e);
    }
    return e;
  }
}
