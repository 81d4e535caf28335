// Opening the page's one socket.io connection (websocket only; the session
// cookie authenticates it, `auth` names the appointment on the console).
// Reconnection starts fast and stays fast (0.25 to 1 s between attempts, with
// jitter): media waits on the socket, and recovery should follow the network
// back within a couple of seconds, not socket.io's default 5 s steps.
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import type { AppSocket } from './rpc.ts';

const OPTIONS: Partial<ManagerOptions & SocketOptions> = {
  transports: ['websocket'],
  reconnectionDelay: 500,
  reconnectionDelayMax: 1_000,
  randomizationFactor: 0.5,
  // An attempt made while the network is still down hangs on TCP's SYN retries (at 1 s, 3 s, 7 s):
  // give up on it before the long one (socket.io's default waits 20 s), so the attempt that meets the
  // returning network is a fresh one; 5 s still leaves a slow mobile link time for its handshake.
  timeout: 5_000,
};

export function consultationSocket(auth?: Record<string, string>): AppSocket {
  return auth ? io({ ...OPTIONS, auth }) : io(OPTIONS);
}

/** The /check page's loopback namespace (no session needed). */
export function selftestSocket(): AppSocket {
  return io('/selftest', { transports: ['websocket'] });
}
