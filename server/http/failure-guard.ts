// Applies the FailureLimiter to the API and to /metrics: every request from
// an address takes its place on arrival, so an address over its limit is
// refused before any work is done and a concurrent burst cannot outrun the
// count; the attempt counts as a failure when the answer is a refusal that
// guessing produces (400, 401, 403, 404, 410, 414).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FailureAttempt, FailureLimiter } from '../domain/access/failure-limiter.ts';

const GUESSING = new Set([400, 401, 403, 404, 410, 414]);

/**
 * Whether a request is for the API or the metrics. The route the router
 * matched decides (so /%61pi/... is the API too); for unmatched paths, the
 * decoded path.
 */
function isGuarded(req: FastifyRequest): boolean {
  const route = req.routeOptions.url;
  if (route) return route.startsWith('/api/') || route === '/metrics';
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
  const attempts = new WeakMap<FastifyRequest, FailureAttempt>();
  app.addHook('onRequest', async (req) => {
    if (isGuarded(req)) attempts.set(req, await limiter.attempt(req.ip));
  });
  // Settled before the answer leaves, so a client that waits for its answer
  // always finds its own failure counted and its success given back.
  app.addHook('onSend', async (req, reply, payload) => {
    const attempt = attempts.get(req);
    if (attempt && GUESSING.has(reply.statusCode)) await attempt.failed();
    else attempt?.succeeded();
    return payload;
  });
  // A request that is never answered (the client went away) counts as a failure, as a guess cut short would.
  app.addHook('onRequestAbort', async (req) => {
    await attempts.get(req)?.failed();
  });
}
