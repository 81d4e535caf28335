// The domain bus of each node, joined into one: the events every node acts on
// for its own sockets (BRIDGED_EVENTS) go out on the ClusterBus when they
// happen here, and come back in from other nodes as replays on the local bus,
// which the bridge never sends out again (no echo between nodes).
import type { DomainBus, DomainBusEvents } from '../domain/events.ts';
import { BRIDGED_EVENTS, type BridgedEvent, type ClusterBus, type ClusterEvents } from './contract.ts';

/** Joins `bus` to the other nodes through `cluster`; returns a function that undoes it. */
export function bridgeDomainBus(bus: DomainBus, cluster: ClusterBus): () => void {
  let attached = true;
  const detachers = BRIDGED_EVENTS.map(<K extends BridgedEvent>(event: K) => {
    // ClusterEvents[K] is DomainBusEvents[K] for a bridged K (contract.ts picks them); TypeScript cannot see it through K.
    const outgoing = (...args: DomainBusEvents[K]): void => {
      if (!bus.replaying) cluster.publish(event, ...(args as unknown as ClusterEvents[K]));
    };
    bus.on(event, outgoing as never);
    // The ClusterBus has no off(): a detached bridge ignores what still arrives.
    cluster.on(event, (...args) => {
      if (attached) bus.replay(event, ...(args as unknown as DomainBusEvents[K]));
    });
    return () => bus.off(event, outgoing as never);
  });
  return () => {
    attached = false;
    for (const detach of detachers) detach();
  };
}
