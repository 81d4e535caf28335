// The browser client, served as static files from this server's own origin:
// nothing is loaded from anywhere else. Pages are HTML files built into
// client/dist by `npm run build:client`.
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { requestLanguage } from '../i18n/request-language.ts';
import { LANGUAGE_PARAM } from '../wire/language.ts';
import { signedOutPage } from './signed-out-page.ts';

export interface PageOptions {
  clientDir: string;
  selfTest: boolean;
  /** OpenID Connect is configured: /signed-out offers "Sign in again". */
  signInAvailable?: boolean;
}

export const PAGES: Record<string, string> = {
  '/': 'index.html',
  '/join': 'join.html',
  '/console': 'console.html',
  '/check': 'check.html',
};

export const pageRoutes: FastifyPluginAsync<PageOptions> = async (app, opts) => {
  await app.register(fastifyStatic, {
    root: opts.clientDir,
    prefix: '/assets/',
    index: false,
    wildcard: true,
    cacheControl: false,
    setHeaders: (res) => {
      res.header('Cache-Control', 'no-cache');
    },
  });
  // No icon file: answering 204 keeps browsers from logging a 404 on every page.
  app.get('/favicon.ico', (_req, reply) => reply.status(204).send());
  for (const [url, file] of Object.entries(PAGES)) {
    if (url === '/check' && !opts.selfTest) continue;
    app.get(url, (_req, reply) => reply.header('Cache-Control', 'no-store').sendFile(file));
  }
  // Rendered here, not a file: it says why (a fixed sentence per ?error= code, never the value itself).
  app.get('/signed-out', (req, reply) => {
    const query = req.query as Record<string, unknown> | undefined;
    const language = requestLanguage(query?.[LANGUAGE_PARAM], req.headers['accept-language']);
    return reply
      .header('Cache-Control', 'no-store')
      .header('Vary', 'Accept-Language')
      .header('Content-Language', language)
      .type('text/html; charset=utf-8')
      .send(signedOutPage(query?.['error'], opts.signInAvailable ?? false, language));
  });
};
