// Files in a consultation over HTTP: the page uploads raw bytes (any declared
// type: the content decides), and fetches through short-lived URLs minted over
// the socket (files:url). Both are authorised by the session cookie on every
// request; the domain checks admission at that moment.
import type { FastifyError, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../core/errors.ts';
import { ID_PATTERN, type AppointmentId, type ItemId, type ParticipantId } from '../core/ids.ts';
import type { SessionService } from '../domain/access/sessions.ts';
import type { FileService, Requester } from '../domain/files/service.ts';
import { CLINICIAN_COOKIE, GUEST_COOKIE } from './cookies.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface FileRouteDeps {
  files: FileService;
  sessions: SessionService;
}

const Id = Type.String({ pattern: ID_PATTERN });
const UploadParams = Type.Object({ appointmentId: Id }, { additionalProperties: false });
const UploadQuery = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 255, description: "the file's name on the sender's device (shown, never trusted)" })),
    requestId: Type.Optional(Type.String({ pattern: ID_PATTERN, description: 'the photo request this answers' })),
  },
  { additionalProperties: false },
);
const FetchParams = Type.Object({ token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'from files:url' }) }, { additionalProperties: false });
const FileViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  mime: Type.String(),
  kind: Type.Enum(['jpeg', 'png', 'heif', 'pdf']),
  size: Type.Integer(),
  sha256: Type.String({ description: 'SHA-256 (hex) of the bytes as stored and served' }),
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  removed: Type.Array(Type.String(), { description: 'what was stripped before anyone saw it' }),
});
const ItemSchema = Type.Object({
  item: Type.Object({
    id: Type.String(),
    at: Type.String({ format: 'date-time' }),
    kind: Type.Enum(['text', 'photo-request', 'file']),
    from: Type.Object({ id: Type.String(), role: Type.String(), name: Type.String() }),
    to: Type.Optional(Type.String()),
    text: Type.Optional(Type.String()),
    file: Type.Optional(FileViewSchema),
    requestId: Type.Optional(Type.String()),
  }),
});
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

export const fileRoutes: FastifyPluginAsync<FileRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  // The declared type is ignored (the content decides), so every type is read as bytes, here only.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.files.maxBytes }, (_req, body, done) => done(null, body));
  // Fastify refuses an over-long body before reading it (Content-Length) or as soon as it passes the limit.
  app.setErrorHandler((error: FastifyError, _req, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const e = deps.files.tooLarge();
      return reply.status(e.status).send(e.toJSON());
    }
    if (error.code === 'FST_ERR_CTP_EMPTY_TYPE' || error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const e = new AppError('UNSUPPORTED_TYPE', 'Send the file as the request body.');
      return reply.status(e.status).send(e.toJSON());
    }
    throw error; // the app's own handler
  });

  app.post(
    '/api/v1/consultations/:appointmentId/files',
    {
      bodyLimit: deps.files.maxBytes,
      schema: {
        tags,
        security: SECURITY.guestOrClinician,
        summary: 'Share a photo or document in a consultation (the raw bytes are the body)',
        description:
          'Admitted participants only. The type is decided by content (JPEG, PNG, HEIC/HEIF, PDF); location and device metadata are stripped from images before anyone sees them. A guest\'s file goes to the clinician only; the clinician\'s to everyone in the call.',
        params: UploadParams,
        querystring: UploadQuery,
        response: { 201: ItemSchema, ...ERRORS },
      },
    },
    async (req, reply) => {
      const appointmentId = req.params.appointmentId as AppointmentId;
      let participantId: ParticipantId | null = null;
      for (const who of await requesters(req, deps.sessions)) {
        const p = await deps.files.participantFor(who, appointmentId);
        if (p) participantId = p.id;
        if (p?.state === 'admitted') break;
      }
      if (!participantId) throw new AppError('UNAUTHENTICATED', 'No session for this consultation; open your link again.');
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const item = await deps.files.upload(participantId, appointmentId, body, {
        ...(req.query.name !== undefined ? { name: req.query.name } : {}),
        ...(req.query.requestId ? { requestId: req.query.requestId as ItemId } : {}),
      }, req.ip);
      return reply.status(201).send({ item });
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
