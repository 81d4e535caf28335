// The console's /staff socket (socket.io namespace): who is waiting, arrival
// alerts and the clinic's actions on its waiting area, for the page's whole
// life. Websocket only, like the consultation socket, on a connection of its
// own (forceNew): opening and closing consultations never touches it, and
// socket.io reconnects it by itself after a network drop. The session cookie
// authenticates it. Only types come from server/wire/staff-socket.ts: its
// schemas would pull the schema library into the page.
import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../../../server/wire/errors.ts';
import type {
  STAFF_NAMESPACE,
  StaffClientToServerEvents,
  StaffMessage,
  StaffMessageName,
  StaffReplies,
  StaffServerToClientEvents,
} from '../../../server/wire/staff-socket.ts';
import { ClientError } from './rpc.ts';

export type StaffSocket = Socket<StaffServerToClientEvents, StaffClientToServerEvents>;

const NAMESPACE: typeof STAFF_NAMESPACE = '/staff';

export function staffSocket(): StaffSocket {
  return io(NAMESPACE, {
    transports: ['websocket'],
    forceNew: true,
    // Not the consultation socket's 1 s: nothing here waits on it second by second, and a whole clinic's consoles reconnect together.
    reconnectionDelay: 1_000,
    reconnectionDelayMax: 10_000,
    randomizationFactor: 0.5,
    timeout: 5_000,
  });
}

export interface StaffRpc {
  request<K extends StaffMessageName>(name: K, payload: StaffMessage<K>): Promise<StaffReplies[K]>;
}

/** One promise per message, rejected with a ClientError carrying the server's stable code (TIMEOUT when unanswered). */
export function staffRpcOver(socket: StaffSocket, timeoutMs = 10_000): StaffRpc {
  return {
    request<K extends StaffMessageName>(name: K, payload: StaffMessage<K>): Promise<StaffReplies[K]> {
      return new Promise((resolve, reject) => {
        // socket.io's typed emit cannot see through the mapped event type; StaffClientToServerEvents is the contract.
        const timed = socket.timeout(timeoutMs) as unknown as {
          emit(ev: string, p: unknown, cb: (err: Error | null, reply: Ack<StaffReplies[K]>) => void): void;
        };
        timed.emit(name, payload, (err, reply) => {
          if (err) return reject(new ClientError('TIMEOUT', 'The server did not answer in time.'));
          if (reply.ok) resolve(reply.data);
          else reject(new ClientError(reply.error.code, reply.error.message));
        });
      });
    },
  };
}
