// Cookies are sent by the browser whatever page asks: SameSite=Strict keeps
// other sites out, but not another page of the same site (another port, a
// sibling subdomain's page on the same registrable domain). So a request that
// changes something and carries one of our cookies must come from one of our
// own pages: its Origin must be this server's public origin. Browsers send
// Origin on every POST, PUT, PATCH and DELETE; when it is missing (older
// browsers, privacy settings) Sec-Fetch-Site or the Referer's origin decides;
// with none of the three the request is refused. Requests with no cookie of
// ours (booking systems with an API key) are not affected.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';
import { CLINICIAN_COOKIE, DEVICE_COOKIE, GUEST_COOKIE } from '../edge/cookies.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const COOKIES = [GUEST_COOKIE, CLINICIAN_COOKIE, DEVICE_COOKIE];

/** Whether the request says it comes from a page of `origin`. */
export function fromOrigin(headers: FastifyRequest['headers'], origin: string): boolean {
  if (headers.origin !== undefined) return headers.origin === origin;
  const site = headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const referer = headers.referer;
  if (referer === undefined) return false;
  try {
    return new URL(referer).origin === origin;
  } catch {
    return false;
  }
}

/** Registered after @fastify/cookie (it reads the parsed cookies) and before any body is read. */
export function installOriginGuard(app: FastifyInstance, opts: { publicUrl: string }): void {
  const origin = new URL(opts.publicUrl).origin;
  app.addHook('onRequest', async (req) => {
    if (SAFE_METHODS.has(req.method)) return;
    const cookies = req.cookies as Record<string, string | undefined>;
    if (!COOKIES.some((name) => cookies[name] !== undefined)) return;
    if (!fromOrigin(req.headers, origin)) {
      throw new AppError('FORBIDDEN', 'This request must come from the consultation page itself.');
    }
  });
}
