// socket.io messages of the consultation's thread: chat, photo requests and
// what the pages do with shared files (URLs, viewed, save, deliver). Each
// handler calls one domain method; the domain re-checks admission every time.
// Made once per namespace: the caller is the socket's data.
import type { FileId, ParticipantId } from '../core/ids.ts';
import type { FileService } from '../domain/files/service.ts';
import type { ThreadService } from '../domain/thread.ts';
import type { ClientHandlers } from './handle.ts';
import { THREAD_PAGE_MAX } from '../wire/thread.ts';
import type { SocketIdentity } from './auth.ts';

export interface ThreadHandlerDeps {
  thread: ThreadService;
  files: FileService;
}

/** Who sends: the socket's identity and its client address (for the audit trail). */
export interface ThreadCaller {
  data: Pick<SocketIdentity, 'appointmentId' | 'participantId' | 'role'> & { address: string };
}

export function threadMessages<S extends ThreadCaller>(d: ThreadHandlerDeps): ClientHandlers<S> {
  const fid = (x: string) => x as FileId;
  return {
    'thread:list': async ({ data: me }, { before, limit }) => ({
      ...(await d.thread.list(me.participantId, me.appointmentId, { limit: limit ?? THREAD_PAGE_MAX, ...(before !== undefined ? { before } : {}) })),
      limits: { maxTextLength: d.thread.maxTextLength, maxFileBytes: d.files.maxBytes, accept: d.files.acceptedFor(me.role), recordSystem: d.files.recordSystem },
    }),
    'thread:send': async ({ data: me }, { text, to }) => ({
      item: await d.thread.send(me.participantId, me.appointmentId, text, to as ParticipantId | undefined, me.address),
    }),
    'thread:requestPhoto': async ({ data: me }, { participantId }) => ({
      item: await d.thread.requestPhoto(me.participantId, me.appointmentId, participantId as ParticipantId, me.address),
    }),
    'files:url': ({ data: me }, { fileId, download }) => d.files.url(me.participantId, me.appointmentId, fid(fileId), download === true),
    'files:viewed': async ({ data: me }, { fileId }) => {
      await d.files.viewed(me.participantId, me.appointmentId, fid(fileId), me.address);
      return {};
    },
    'files:save': async ({ data: me }, { fileId }) => ({ sidecar: await d.files.save(me.participantId, me.appointmentId, fid(fileId), me.address) }),
    'files:deliver': ({ data: me }, { fileId }) => d.files.deliver(me.participantId, me.appointmentId, fid(fileId), me.address),
  };
}
