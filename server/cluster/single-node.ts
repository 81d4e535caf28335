// One node and no Redis (single-node trial mode): this node owns every
// consultation, there is nobody to tell anything, and a relayed request is a
// local call. The same interfaces as the Redis implementations, so the
// signalling code has one path.
import { EventEmitter } from 'node:events';
import type { AppointmentId, ParticipantId } from '../core/ids.ts';
import type { Ack } from '../wire/errors.ts';
import type {
  ClusterBus,
  MediaRelay,
  NodeId,
  NodeInfo,
  NodeRegistry,
  NodeRegistryEvents,
  Placement,
  PresenceEntry,
  PresenceLedger,
  RelayRequest,
} from './contract.ts';
import { AppError } from '../core/errors.ts';

export class SingleNodeRegistry extends EventEmitter<NodeRegistryEvents> implements NodeRegistry {
  readonly nodeId: NodeId;
  readonly #self: () => NodeInfo;

  constructor(nodeId: NodeId, self: () => NodeInfo) {
    super();
    this.nodeId = nodeId;
    this.#self = self;
  }

  start = (): Promise<void> => Promise.resolve();
  stop = (): Promise<void> => Promise.resolve();
  live = (): Promise<NodeInfo[]> => Promise.resolve([this.#self()]);
  isAlive = (nodeId: NodeId): boolean => nodeId === this.nodeId;
  claimDead = (): Promise<boolean> => Promise.resolve(false);
  requestDrain(nodeId: NodeId, deadline: number): Promise<boolean> {
    if (nodeId !== this.nodeId) return Promise.resolve(false);
    this.emit('drainRequested', deadline);
    return Promise.resolve(true);
  }
}

export function singleNodePlacement(nodeId: NodeId): Placement {
  return {
    ownerOf: () => Promise.resolve(nodeId),
    owner: () => Promise.resolve(nodeId),
    release: () => Promise.resolve(true),
    releaseAll: () => Promise.resolve([] as AppointmentId[]),
  };
}

export const singleNodeBus: ClusterBus = {
  publish: () => undefined,
  on: () => undefined,
  start: () => Promise.resolve(),
  stop: () => Promise.resolve(),
};

export function singleNodeRelay(nodeId: NodeId): MediaRelay {
  let serve: ((req: RelayRequest) => Promise<Ack<unknown>>) | undefined;
  return {
    start: (s) => {
      serve = s;
      return Promise.resolve();
    },
    call: (to, req) => {
      if (to !== nodeId || !serve) return Promise.resolve({ ok: false, error: new AppError('MEDIA_ERROR').toJSON() });
      return serve(req);
    },
    stop: () => Promise.resolve(),
  };
}

export const singleNodeLedger: PresenceLedger = {
  up: (_a: AppointmentId, _p: ParticipantId) => undefined,
  down: (_a: AppointmentId, _p: ParticipantId) => undefined,
  snapshot: () => Promise.resolve([] as PresenceEntry[]),
};
