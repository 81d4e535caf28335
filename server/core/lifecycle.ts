// The server's life: running, then draining after SIGTERM (no new
// consultations; live ones may finish until the deadline), then closed.
import { EventEmitter } from 'node:events';

export type LifecycleEvents = {
  draining: [deadlineMs: number];
};

export class Lifecycle extends EventEmitter<LifecycleEvents> {
  #deadline: number | null = null;

  get draining(): boolean {
    return this.#deadline !== null;
  }

  get deadline(): number | null {
    return this.#deadline;
  }

  startDraining(deadlineMs: number): void {
    if (this.#deadline !== null) return;
    this.#deadline = deadlineMs;
    this.emit('draining', deadlineMs);
  }
}
