// Applies the FailureLimiter to the API: an address over its limit is refused
// before any work is done, and every refusal that guessing produces (400, 401,
// 403, 404, 410) counts against the address that caused it.
import type { FastifyInstance } from 'fastify';
import type { FailureLimiter } from './failure-limiter.ts';

const GUESSING = new Set([400, 401, 403, 404, 410]);

export function installFailureGuard(app: FastifyInstance, limiter: FailureLimiter): void {
  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/api/')) await limiter.check(req.ip);
  });
  app.addHook('onResponse', async (req, reply) => {
    if (req.url.startsWith('/api/') && GUESSING.has(reply.statusCode)) await limiter.fail(req.ip);
  });
}
