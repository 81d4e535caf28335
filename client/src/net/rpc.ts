// A typed request/response layer over socket.io acks: one promise per message,
// rejected with a ClientError carrying the server's stable error code.
import type { Socket } from 'socket.io-client';
import type { Ack } from '../../../server/wire/errors.ts';
import type { ClientMessage, ClientMessageName, ClientReplies, ClientToServerEvents, ServerToClientEvents } from '../../../server/wire/socket.ts';

export type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export class ClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ClientError';
    this.code = code;
  }
}

export interface Rpc {
  request<K extends ClientMessageName>(name: K, payload: ClientMessage<K>): Promise<ClientReplies[K]>;
}

export function rpcOver(socket: AppSocket, timeoutMs = 10_000): Rpc {
  return {
    request<K extends ClientMessageName>(name: K, payload: ClientMessage<K>): Promise<ClientReplies[K]> {
      return new Promise((resolve, reject) => {
        // socket.io's typed emit cannot see through the mapped event type; ClientToServerEvents is the contract.
        const timed = socket.timeout(timeoutMs) as unknown as {
          emit(ev: string, p: unknown, cb: (err: Error | null, reply: Ack<ClientReplies[K]>) => void): void;
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
