// What happens to connections and media on this node, for /metrics and
// monitoring: the signalling layer emits, observability counts. Payloads are
// fixed codes and outcomes only, never ids or names (ids go to the logs).
import { EventEmitter } from 'node:events';

export type SignalEventMap = {
  socketConnected: [];
  socketDisconnected: [reason: string];
  /** A media call answered with an error code (NOT_ADMITTED, MEDIA_REJECTED, SHUTTING_DOWN, ...). */
  mediaRefused: [code: string];
  iceRestarted: [];
  /** A page asked to take its media over after a reconnect; resumed: the server still held it. */
  mediaResumed: [resumed: boolean];
  /** A newer connection of the same participant replaced an older one. */
  socketReplaced: [];
};

export class SignalEvents extends EventEmitter<SignalEventMap> {}
