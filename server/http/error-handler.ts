// One error handler for every route: typed AppErrors keep their code and
// status (with Retry-After when they carry one, as RATE_LIMITED and a store
// outage's UNAVAILABLE do); schema failures become BAD_REQUEST naming the keys at fault; anything
// else is logged and answered as a bare INTERNAL error (no stack, no detail).
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, isAppError } from '../core/errors.ts';

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (isAppError(error)) {
      // A store outage is expected to pass (the answer says when to retry): a warning, not an error per request.
      if (error.code === 'UNAVAILABLE') request.log.warn({ code: error.code, cause: (error.cause as Error | undefined)?.message }, 'store unavailable');
      else if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      if (error.retryAfterSeconds) void reply.header('Retry-After', String(error.retryAfterSeconds));
      return reply.status(error.status).send(error.toJSON());
    }
    const fe = error;
    if (fe.validation) {
      const details = fe.validation.map((v) => ({
        key: [fe.validationContext, ...v.instancePath.split('/').filter(Boolean)].filter(Boolean).join('.'),
        problem: v.message ?? 'invalid',
      }));
      return reply.status(400).send(new AppError('BAD_REQUEST', { details }).toJSON());
    }
    if (fe.statusCode === 429) {
      return reply.status(429).send(new AppError('RATE_LIMITED').toJSON());
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code = fe.statusCode === 404 ? 'NOT_FOUND' : fe.statusCode === 401 ? 'UNAUTHENTICATED' : 'BAD_REQUEST';
      const message = fe.statusCode === 413 ? 'The request body is too large.' : 'The request could not be understood.';
      return reply.status(fe.statusCode).send({ code, message });
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.status(500).send(new AppError('INTERNAL').toJSON());
  });
  app.setNotFoundHandler((_request, reply) => reply.status(404).send(new AppError('NOT_FOUND').toJSON()));
}
