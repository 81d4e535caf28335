// Files in a consultation over HTTP: the page uploads raw bytes (any declared
// type: the content decides), and fetches through short-lived URLs minted over
// the socket (files:url). Both are authorised by the session cookie on every
// request; the domain checks admission at that moment. An upload is
// authorised before a byte of its body is read (an onRequest hook: Fastify
// parses bodies after it), then streamed to a staging file within the limits;
// a refusal closes the connection instead of reading what was sent.
import { rm } from 'node:fs/promises';
import { constants as h2 } from 'node:http2';
import type { Http2ServerRequest } from 'node:http2';
import type { Readable } from 'node:stream';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../core/errors.ts';
import type { AppointmentId, ItemId, ParticipantId } from '../core/ids.ts';
import type { SessionService } from '../domain/access/sessions.ts';
import type { FileService, Requester, StagedFile } from '../domain/files/service.ts';
import { bodyToFile, sweepStaged } from './body-to-file.ts';
import { CLINICIAN_COOKIE, GUEST_COOKIE } from '../edge/cookies.ts';
import { ERRORS, SECURITY } from './openapi.ts';
import { FetchParams, ItemReply, UploadParams, UploadQuery } from '../wire/thread.ts';
import { UploadSlots } from './upload-slots.ts';

export interface UploadLimits {
  /** Where uploads are staged while they arrive and are checked (a directory only this server reads). */
  stagingDir: string;
  timeoutSeconds: number;
  perAddress: number;
  perParticipant: number;
}

export interface FileRouteDeps {
  files: FileService;
  sessions: SessionService;
  upload: UploadLimits;
}

const tags = ['files'];

/** Every session this request's cookies hold (a browser may hold a guest's and a clinician's). */
async function requesters(req: FastifyRequest, sessions: SessionService): Promise<Requester[]> {
  const out: Requester[] = [];
  const g = await sessions.get(req.cookies[GUEST_COOKIE]);
  if (g?.kind === 'guest') out.push({ kind: 'guest', participantId: g.participantId });
  const c = await sessions.get(req.cookies[CLINICIAN_COOKIE]);
  if (c?.kind === 'clinician') out.push({ kind: 'clinician', clinicianId: c.clinicianId });
  return out;
}

/** RFC 6266 filename*, and a plain ASCII fallback. */
function disposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7E]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** The declared length, when there is a valid one. */
function declaredLength(req: FastifyRequest): number | null {
  const raw = req.headers['content-length'];
  return raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : null;
}

export const fileRoutes: FastifyPluginAsync<FileRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const limits = deps.upload;
  const slots = new UploadSlots({ perAddress: limits.perAddress, perParticipant: limits.perParticipant, retryAfterSeconds: 10 });
  // Per upload, from its authorisation to the end of the request: who sends, and who owns the staged file.
  const uploads = new WeakMap<FastifyRequest, { sender: ParticipantId; release: () => void; handled: boolean }>();
  // Leftovers of a crash: nothing live is older than the upload deadline (plus checking time).
  await sweepStaged(limits.stagingDir, (limits.timeoutSeconds + 3600) * 1000, Date.now());

  /**
   * Before the body is read: the sessions must stand for an admitted participant
   * of this consultation, the declared size must fit, and a slot must be free.
   */
  async function authorise(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { appointmentId } = req.params as { appointmentId: string };
    const sender = await deps.files.admittedSender(await requesters(req, deps.sessions), appointmentId as AppointmentId);
    const declared = declaredLength(req);
    if (declared !== null) await deps.files.checkRoom(appointmentId as AppointmentId, declared);
    const release = slots.acquire(req.ip, sender.id);
    const state = { sender: sender.id, release, handled: false };
    uploads.set(req, state);
    // 'close' comes once the response is sent or the connection is gone, whichever way the request ended.
    reply.raw.once('close', () => {
      release();
      const staged = req.body as StagedFile | undefined;
      if (!state.handled && staged?.path) void rm(staged.path, { force: true });
    });
  }

  // The declared type is ignored (the content decides): every type is streamed to a staging file, here only.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', async (req: FastifyRequest, payload: NodeJS.ReadableStream) => {
    if (!uploads.has(req)) throw new AppError('UNAUTHENTICATED', 'No session for this consultation; open your link again.');
    return bodyToFile(payload as Readable, limits.stagingDir, {
      maxBytes: deps.files.maxBytes,
      timeoutMs: limits.timeoutSeconds * 1000,
      tooLarge: () => deps.files.tooLarge(),
      tooSlow: () => new AppError('REQUEST_TIMEOUT', 'The upload took too long; try again on a better connection, or send a smaller photo.'),
      interrupted: () => new AppError('BAD_REQUEST', 'The upload was interrupted.'),
    });
  });
  app.setErrorHandler((error: FastifyError, _req, reply) => {
    if (error.code === 'FST_ERR_CTP_EMPTY_TYPE' || error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const e = new AppError('UNSUPPORTED_TYPE', 'Send the file as the request body.');
      return reply.status(e.status).send(e.toJSON());
    }
    throw error; // the app's own handler
  });

  app.post(
    '/api/v1/consultations/:appointmentId/files',
    {
      onRequest: authorise,
      // A refusal sent before the whole body arrived ends the connection (HTTP/1.1) or the
      // stream (HTTP/2): the rest of the body is never read.
      onSend: async (req, reply) => {
        if (!req.raw.complete && req.raw.httpVersionMajor === 1) void reply.header('connection', 'close');
      },
      onResponse: async (req) => {
        if (!req.raw.complete && req.raw.httpVersionMajor === 2) (req.raw as unknown as Http2ServerRequest).stream.close(h2.NGHTTP2_NO_ERROR);
      },
      schema: {
        tags,
        security: SECURITY.guestOrClinician,
        summary: 'Share a photo or document in a consultation (the raw bytes are the body)',
        description:
          'Admitted participants only. The type is decided by content (JPEG, PNG, HEIC/HEIF, PDF); location and device metadata are stripped from images before anyone sees them. A guest\'s file goes to the clinician only; the clinician\'s to everyone in the call. Guests may send photos only (PDFs when the server allows them). Refused before the body is read when the session is not an admitted participant (401/403), the declared length is over the file limit or the consultation\'s storage quota (413), or too many uploads are in progress from this participant or address (429, Retry-After); a body that does not arrive in time is cut (408).',
        params: UploadParams,
        querystring: UploadQuery,
        response: { 201: ItemReply, ...ERRORS },
      },
    },
    async (req, reply) => {
      const state = uploads.get(req)!;
      state.handled = true;
      const staged = (req.body as StagedFile | undefined) ?? { path: '', size: 0 };
      try {
        const item = await deps.files.upload(state.sender, req.params.appointmentId as AppointmentId, staged, {
          ...(req.query.name !== undefined ? { name: req.query.name } : {}),
          ...(req.query.requestId ? { requestId: req.query.requestId as ItemId } : {}),
        }, req.ip);
        return await reply.status(201).send({ item });
      } finally {
        if (staged.path) await rm(staged.path, { force: true });
      }
    },
  );

  app.get(
    '/api/v1/files/:token',
    {
      schema: {
        tags,
        security: SECURITY.guestOrClinician,
        summary: 'The bytes of a shared file, through a short-lived URL from files:url',
        description: 'The URL works only for the participant it was made for, only while they are admitted, and only for a few minutes; otherwise 404.',
        params: FetchParams,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'The file, with its real type as Content-Type' }), ...ERRORS },
      },
    },
    async (req, reply) => {
      const { file, bytes, download } = await deps.files.fetch(req.params.token, await requesters(req, deps.sessions), req.ip);
      return reply
        .header('Content-Type', file.mime)
        .header('Content-Length', String(bytes.length))
        .header('Content-Disposition', disposition(download || file.kind === 'pdf' ? 'attachment' : 'inline', file.name))
        // Never cached anywhere, never run as a page, never sniffed into something else.
        .header('Cache-Control', 'no-store, private')
        .header('Content-Security-Policy', "default-src 'none'; sandbox")
        .header('Cross-Origin-Resource-Policy', 'same-origin')
        .header('X-Content-SHA256', file.sha256)
        .send(bytes);
    },
  );
};
