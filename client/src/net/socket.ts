// Opening the page's one socket.io connection (websocket only; the session
// cookie authenticates it, `auth` names the appointment on the console).
import { io } from 'socket.io-client';
import type { AppSocket } from './rpc.ts';

export function consultationSocket(auth?: Record<string, string>): AppSocket {
  return auth ? io({ transports: ['websocket'], auth }) : io({ transports: ['websocket'] });
}

/** The /check page's loopback namespace (no session needed). */
export function selftestSocket(): AppSocket {
  return io('/selftest', { transports: ['websocket'] });
}
