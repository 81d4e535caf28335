// The mediasoup worker processes across a planned restart.
//
// 1. They keep running when this process gets SIGTERM or SIGINT. mediasoup's
// Node side registers `process.once('SIGTERM' | 'SIGINT', onSignal)` for every
// worker it creates (node/lib/Worker.js) and closes the worker on the signal:
// so the first SIGTERM of a planned restart used to kill every call at once,
// before the drain had begun. main.ts drains on those signals itself and
// closes the workers at the end (deps.close()), so each new worker's handlers
// are taken off as it starts (mediasoup's `newworker` observer fires before
// createWorker() resolves; replacements of dead workers included).
//
// The worker binary also closes itself on SIGTERM/SIGINT (worker/src/Worker.cpp
// adds a SignalHandle for both); that only matters when the signal reaches the
// worker processes too, i.e. is sent to the whole process group or cgroup
// (Ctrl-C in a terminal, systemd's default KillMode=control-group): see
// docs/deploy.md (KillMode=mixed).
//
// 2. At the end, this process waits until they have exited: closing a worker
// only asks it to go, and the next process (started as soon as this one
// exits) binds the same WebRtcServer ports.
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { Logger } from '../core/logger.ts';
import { settlesWithin } from '../core/settles.ts';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export interface WorkerProcesses {
  /** Resolves true once every worker process started so far has exited, false after `timeoutMs`. */
  exited(timeoutMs: number): Promise<boolean>;
  /** Stops watching new workers. */
  stop(): void;
}

/** Call before any worker starts. */
export function watchWorkerProcesses(log: Logger): WorkerProcesses {
  const running = new Set<types.Worker>();
  const onWorker = (worker: types.Worker): void => {
    if (!worker.subprocessClosed) {
      running.add(worker);
      worker.once('subprocessclose', () => running.delete(worker));
    }
    // A private arrow property of mediasoup's WorkerImpl (3.x): the one process listener it adds per signal.
    const handler = (worker as unknown as { onSignal?: unknown }).onSignal;
    if (typeof handler !== 'function') {
      log.warn({ pid: worker.pid }, 'could not detach mediasoup signal handlers: this worker will close on SIGTERM');
      return;
    }
    for (const signal of SIGNALS) process.removeListener(signal, handler as () => void);
  };
  mediasoup.observer.on('newworker', onWorker);
  return {
    async exited(timeoutMs) {
      const gone = [...running].map((w) => new Promise<void>((resolve) => (w.subprocessClosed ? resolve() : w.once('subprocessclose', () => resolve()))));
      const all = await settlesWithin(Promise.all(gone), timeoutMs);
      if (!all) log.warn({ pids: [...running].map((w) => w.pid) }, 'mediasoup worker processes still running at exit');
      return all;
    },
    stop: () => {
      mediasoup.observer.off('newworker', onWorker);
    },
  };
}
