// GET /metrics in the Prometheus text format. It carries counts only (no ids,
// no names); a bearer token can still be required so only the trust's
// Prometheus reads it.
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../core/errors.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

export const metricsRoute: FastifyPluginAsync<{ registry: Registry; token?: string | undefined }> = async (app, opts) => {
  const expected = opts.token ? digest(opts.token) : null;
  app.get('/metrics', { logLevel: 'warn' }, async (req, reply) => {
    if (expected) {
      const m = /^Bearer (.{1,512})$/.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(digest(m[1]!), expected)) throw new AppError('UNAUTHENTICATED', 'A metrics token is required.');
    }
    return reply.header('Content-Type', opts.registry.contentType).send(await opts.registry.metrics());
  });
};
