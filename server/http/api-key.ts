// Bearer API keys for the REST API (booking systems, trust IT). Keys are
// compared as SHA-256 digests with timingSafeEqual, so neither their length
// nor their content leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function apiKeyGuard(keys: readonly string[]): (req: FastifyRequest) => Promise<void> {
  const digests = keys.map(digest);
  return async (req) => {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(header) : null;
    if (!m) throw new AppError('UNAUTHENTICATED', 'An API key is required (Authorization: Bearer <key>).');
    const d = digest(m[1]!);
    let ok = false;
    for (const k of digests) ok = timingSafeEqual(k, d) || ok;
    if (!ok) throw new AppError('UNAUTHENTICATED', 'That API key is not valid.');
  };
}
