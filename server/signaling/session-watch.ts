// A staff member's open socket keeps asking whether its session still lives:
// revoked on another node (whose `sessionEnded` never reaches this one), or
// past its idle or absolute end. Gone: the page is told 'signed-out' and
// disconnected. Alive: with `touch`, the open connection counts as use (an
// open consultation never goes idle); the staff socket passes none, so a
// console left open on the waiting area still times out. One timer per
// socket, cleared on disconnect.
import type { Socket } from 'socket.io';
import type { SessionId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { StaffSession } from '../domain/model.ts';

export interface SessionWatchDeps {
  /** The live staff session by its stored id (SessionService.liveStaff), or null once it has ended. */
  liveStaff(id: SessionId): Promise<StaffSession | null>;
  /** Notes use (SessionService.touch; throttled there); absent: being connected is not use. */
  touch?: (s: StaffSession) => Promise<void>;
  everySeconds: number;
  logger: Logger;
  /** Tells the page its session ended (default: consultation:ended 'signed-out'); the socket is disconnected after. */
  tell?: () => void;
}

/** Watches one staff socket's session until the socket goes. */
export function watchStaffSession(socket: Pick<Socket, 'id' | 'connected' | 'emit' | 'disconnect' | 'once'>, sessionId: SessionId, d: SessionWatchDeps): void {
  let checking = false;
  const check = async () => {
    if (checking || !socket.connected) return;
    checking = true;
    try {
      const s = await d.liveStaff(sessionId);
      if (!s) {
        if (d.tell) d.tell();
        else socket.emit('consultation:ended', { reason: 'signed-out' });
        socket.disconnect(true);
        return;
      }
      if (d.touch) await d.touch(s);
    } catch (e) {
      // The store not answering is not a sign-out: the next check decides.
      d.logger.warn({ err: e, socketId: socket.id }, 'could not re-check a staff session');
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void check(), d.everySeconds * 1000);
  timer.unref();
  socket.once('disconnect', () => clearInterval(timer));
}
