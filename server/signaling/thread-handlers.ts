// socket.io messages of the consultation's thread: chat, photo requests and
// what the pages do with shared files (URLs, viewed, save, deliver). Each
// handler calls one domain method; the domain re-checks admission every time.
import type { Socket } from 'socket.io';
import type { FileId, ParticipantId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { FileService } from '../domain/files/service.ts';
import type { ThreadService } from '../domain/thread.ts';
import { handle } from './handle.ts';
import { THREAD_PAGE_MAX } from '../wire/thread.ts';
import type { SocketIdentity } from './auth.ts';

export interface ThreadHandlerDeps {
  thread: ThreadService;
  files: FileService;
  address: string;
}

export function registerThreadHandlers(socket: Socket, log: Logger, me: SocketIdentity, d: ThreadHandlerDeps): void {
  const { appointmentId: apt, participantId: self } = me;
  const fid = (x: string) => x as FileId;
  handle(socket, log, 'thread:list', async ({ before, limit }) => ({
    ...(await d.thread.list(self, apt, { limit: limit ?? THREAD_PAGE_MAX, ...(before !== undefined ? { before } : {}) })),
    limits: { maxTextLength: d.thread.maxTextLength, maxFileBytes: d.files.maxBytes, accept: d.files.acceptedFor(me.role), recordSystem: d.files.recordSystem },
  }));
  handle(socket, log, 'thread:send', async ({ text, to }) => ({
    item: await d.thread.send(self, apt, text, to as ParticipantId | undefined, d.address),
  }));
  handle(socket, log, 'thread:requestPhoto', async ({ participantId }) => ({
    item: await d.thread.requestPhoto(self, apt, participantId as ParticipantId, d.address),
  }));
  handle(socket, log, 'files:url', ({ fileId, download }) => d.files.url(self, apt, fid(fileId), download === true));
  handle(socket, log, 'files:viewed', async ({ fileId }) => {
    await d.files.viewed(self, apt, fid(fileId), d.address);
    return {};
  });
  handle(socket, log, 'files:save', async ({ fileId }) => ({ sidecar: await d.files.save(self, apt, fid(fileId), d.address) }));
  handle(socket, log, 'files:deliver', ({ fileId }) => d.files.deliver(self, apt, fid(fileId), d.address));
}
