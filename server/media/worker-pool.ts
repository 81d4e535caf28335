// A pool of mediasoup workers, one per core by default, each with one
// WebRtcServer (one UDP and one TCP port) so trust firewalls open a fixed,
// small port range. Routers go to the least-loaded worker. A worker that dies
// is logged with its exit code and replaced on the same port; the owners of
// its routers are told through the callback they gave at creation.
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { Logger } from '../core/logger.ts';
import { MEDIA_CODECS } from './codecs.ts';

export interface WorkerPoolOptions {
  numWorkers: number; // 0: one per core
  workerBin?: string | undefined;
  logLevel: types.WorkerLogLevel;
  listenIp: string;
  announcedAddress?: string | undefined;
  port: number; // worker N listens on port + N
}

export interface WorkerSlot {
  readonly index: number;
  worker: types.Worker;
  webRtcServer: types.WebRtcServer;
  routers: Set<types.Router>;
}

export interface WorkerStatus {
  index: number;
  pid: number;
  alive: boolean;
  routers: number;
  port: number;
}

export type WorkerPoolEvents = {
  workerDied: [{ index: number; pid: number; reason: string; lostRouters: number }];
  workerReplaced: [{ index: number; pid: number }];
};

/** Called when the worker under a router died; the router is already closed. */
export type RouterLostHandler = (reason: string) => void;

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #opts: WorkerPoolOptions;
  readonly #log: Logger;
  readonly #slots: WorkerSlot[] = [];
  readonly #lostHandlers = new WeakMap<types.Router, RouterLostHandler>();
  #closed = false;

  private constructor(opts: WorkerPoolOptions, log: Logger) {
    super();
    this.#opts = opts;
    this.#log = log;
  }

  static async create(opts: WorkerPoolOptions, log: Logger): Promise<WorkerPool> {
    const pool = new WorkerPool(opts, log);
    const n = opts.numWorkers > 0 ? opts.numWorkers : availableParallelism();
    try {
      for (let i = 0; i < n; i++) pool.#slots.push(await pool.#startSlot(i));
    } catch (e) {
      pool.close();
      throw e;
    }
    log.info({ workers: n, ports: `${opts.port}-${opts.port + n - 1}` }, 'mediasoup workers ready');
    return pool;
  }

  get size(): number {
    return this.#slots.length;
  }

  async #startSlot(index: number): Promise<WorkerSlot> {
    const worker = await mediasoup.createWorker({
      logLevel: this.#opts.logLevel,
      ...(this.#opts.workerBin ? { workerBin: this.#opts.workerBin } : {}),
      appData: { index },
    });
    const port = this.#opts.port + index;
    const listen = (protocol: 'udp' | 'tcp'): types.TransportListenInfo => ({
      protocol,
      ip: this.#opts.listenIp,
      port,
      ...(this.#opts.announcedAddress ? { announcedAddress: this.#opts.announcedAddress } : {}),
    });
    let webRtcServer: types.WebRtcServer;
    try {
      webRtcServer = await worker.createWebRtcServer({ listenInfos: [listen('udp'), listen('tcp')] });
    } catch (e) {
      worker.close();
      throw e;
    }
    const slot: WorkerSlot = { index, worker, webRtcServer, routers: new Set() };
    worker.on('died', (error) => this.#onDied(slot, error));
    return slot;
  }

  #onDied(slot: WorkerSlot, error: Error): void {
    const lost = [...slot.routers];
    slot.routers.clear();
    const info = { index: slot.index, pid: slot.worker.pid, reason: error.message, lostRouters: lost.length };
    this.#log.error(info, 'mediasoup worker died');
    this.emit('workerDied', info);
    for (const router of lost) this.#lostHandlers.get(router)?.(error.message);
    if (this.#closed) return;
    this.#startSlot(slot.index).then(
      (fresh) => {
        if (this.#closed) return fresh.worker.close();
        this.#slots[slot.index] = fresh;
        this.#log.warn({ index: slot.index, pid: fresh.worker.pid }, 'mediasoup worker replaced');
        this.emit('workerReplaced', { index: slot.index, pid: fresh.worker.pid });
      },
      (e: unknown) => this.#log.error({ index: slot.index, err: e }, 'mediasoup worker could not be replaced'),
    );
  }

  /** The alive worker with the fewest routers (ties go to the lowest index). */
  leastLoaded(): WorkerSlot {
    const alive = this.#slots.filter((s) => !s.worker.died && !s.worker.closed);
    const best = alive.sort((a, b) => a.routers.size - b.routers.size || a.index - b.index)[0];
    if (!best) throw new Error('no mediasoup worker is alive');
    return best;
  }

  /** A Router on the least-loaded worker, with the WebRtcServer its transports must use. */
  async createRouter<AppData extends types.AppData>(
    appData: AppData,
    onLost: RouterLostHandler,
  ): Promise<{ router: types.Router<AppData>; webRtcServer: types.WebRtcServer }> {
    const slot = this.leastLoaded();
    const router = await slot.worker.createRouter<AppData>({ mediaCodecs: MEDIA_CODECS, appData });
    slot.routers.add(router);
    this.#lostHandlers.set(router, onLost);
    // When the worker dies, mediasoup closes its routers before emitting 'died';
    // keep them listed until then so #onDied can tell their owners.
    router.observer.once('close', () => {
      if (!slot.worker.died) slot.routers.delete(router);
    });
    return { router, webRtcServer: slot.webRtcServer };
  }

  status(): WorkerStatus[] {
    return this.#slots.map((s) => ({
      index: s.index,
      pid: s.worker.pid,
      alive: !s.worker.died && !s.worker.closed,
      routers: s.routers.size,
      port: this.#opts.port + s.index,
    }));
  }

  allAlive(): boolean {
    return this.#slots.length > 0 && this.#slots.every((s) => !s.worker.died && !s.worker.closed);
  }

  async resourceUsage(): Promise<{ index: number; usage: types.WorkerResourceUsage }[]> {
    return Promise.all(this.#slots.map(async (s) => ({ index: s.index, usage: await s.worker.getResourceUsage() })));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#slots) s.worker.close();
  }
}
