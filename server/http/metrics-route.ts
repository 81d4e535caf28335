// GET /metrics in the Prometheus text format. It carries counts only (no ids,
// no names); a bearer token can still be required so only the trust's
// Prometheus reads it. A wrong token is a guess like any other: the failure
// guard (failure-guard.ts) counts /metrics with the API.
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../core/errors.ts';
import { ERRORS, SECURITY } from './openapi.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

const schema = {
  tags: ['operations'],
  security: SECURITY.metrics,
  summary: 'Prometheus metrics (counts only; a bearer token when METRICS_TOKEN is set)',
  response: {
    200: {
      description: 'The Prometheus text exposition format.',
      content: { 'text/plain': { schema: Type.String() } },
    },
    ...ERRORS,
  },
};

export const metricsRoute: FastifyPluginAsync<{ registry: Registry; token?: string | undefined }> = async (app, opts) => {
  const expected = opts.token ? digest(opts.token) : null;
  app.get('/metrics', { logLevel: 'warn', schema }, async (req, reply) => {
    if (expected) {
      const m = /^Bearer (.{1,512})$/.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(digest(m[1]!), expected)) throw new AppError('UNAUTHENTICATED', 'A metrics token is required.');
    }
    return reply.header('Content-Type', opts.registry.contentType).send(await opts.registry.metrics());
  });
};
