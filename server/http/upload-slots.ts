// Uploads in progress on this node, counted per client address and per
// participant, so one address or one admitted guest cannot hold every
// connection and disk write the node has. A slot is taken before the body is
// read and given back once, when the request is over, whatever its outcome.
import { AppError } from '../core/errors.ts';

export interface UploadSlotLimits {
  perAddress: number;
  perParticipant: number;
  /** Sent as Retry-After when refusing. */
  retryAfterSeconds: number;
}

export class UploadSlots {
  readonly #limits: UploadSlotLimits;
  readonly #byAddress = new Map<string, number>();
  readonly #byParticipant = new Map<string, number>();

  constructor(limits: UploadSlotLimits) {
    this.#limits = limits;
  }

  /** Takes a slot for this address and participant; returns its release (idempotent), or throws RATE_LIMITED. */
  acquire(address: string, participantId: string): () => void {
    if ((this.#byAddress.get(address) ?? 0) >= this.#limits.perAddress || (this.#byParticipant.get(participantId) ?? 0) >= this.#limits.perParticipant) {
      throw new AppError('RATE_LIMITED', 'Another upload is still in progress; wait for it to finish, then try again.', {
        retryAfterSeconds: this.#limits.retryAfterSeconds,
      });
    }
    bump(this.#byAddress, address, 1);
    bump(this.#byParticipant, participantId, 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      bump(this.#byAddress, address, -1);
      bump(this.#byParticipant, participantId, -1);
    };
  }

  /** Uploads in progress (for tests and metrics). */
  get inProgress(): number {
    let n = 0;
    for (const v of this.#byAddress.values()) n += v;
    return n;
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}
