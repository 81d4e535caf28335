// Applies the FailureLimiter to the API: an address over its limit is refused
// before any work is done, and every refusal that guessing produces (400, 401,
// 403, 404, 410) counts against the address that caused it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FailureLimiter } from './failure-limiter.ts';

const GUESSING = new Set([400, 401, 403, 404, 410, 414]);

/**
 * Whether a request is for the API. The route the router matched decides
 * (so /%61pi/... is the API too); for unmatched paths, the decoded path.
 */
function isApi(req: FastifyRequest): boolean {
  const route = req.routeOptions.url;
  if (route) return route.startsWith('/api/');
  const path = req.url.split('?')[0] ?? '';
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Broken percent-encoding is a guess like any other.
  }
  return decoded.toLowerCase().startsWith('/api/') || path.toLowerCase().startsWith('/%61pi') || decoded === '/api';
}

export function installFailureGuard(app: FastifyInstance, limiter: FailureLimiter): void {
  app.addHook('onRequest', async (req) => {
    if (isApi(req)) await limiter.check(req.ip);
  });
  app.addHook('onResponse', async (req, reply) => {
    if (isApi(req) && GUESSING.has(reply.statusCode)) await limiter.fail(req.ip);
  });
}
