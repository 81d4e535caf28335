// The REST API's OpenAPI 3.1 document, generated from the route schemas by
// @fastify/swagger, and a browsable copy at /docs (@fastify/swagger-ui, its
// assets served from this origin). Only routes with tags are described: the
// pages, their assets and the docs themselves stay out of it (socket.io is not
// a Fastify route at all). Register before any route: the document is built
// from the routes registered after it.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import pkg from '../../package.json' with { type: 'json' };
import { CLINICIAN_COOKIE, GUEST_COOKIE } from '../edge/cookies.ts';
import { ErrorBody } from '../wire/errors.ts';

export const DOCS_PREFIX = '/docs';


/** The shared error schema (wire/errors.ts), referred to by its $id. */
const ErrorRef = Type.Unsafe<ErrorBody>(Type.Ref('Error'));

/** The error responses every route may give (any 4xx and 5xx has this body). */
export const ERRORS = { '4xx': ErrorRef, '5xx': ErrorRef } as const;

/** A route's `security`: any one of the requirements will do ({} means none needed). */
type Requirement = Readonly<Record<string, readonly string[]>>;
const anyOf = (...requirements: Requirement[]): readonly Requirement[] => requirements;

/** `security` values for route schemas; the schemes are defined below. */
export const SECURITY = {
  apiKey: anyOf({ apiKey: [] }),
  /** A guarded route (http/auth-guard.ts): an API key with the scope, or a staff session whose role gives it. */
  scoped: (scope: string) => anyOf({ apiKey: [scope] }, { clinicianSession: [scope] }),
  guestOrClinician: anyOf({ guestSession: [] }, { clinicianSession: [] }),
  clinician: anyOf({ clinicianSession: [] }),
  /** Only when METRICS_TOKEN is set. */
  metrics: anyOf({}, { metricsToken: [] }),
  none: anyOf(),
};

const TAGS = [
  { name: 'appointments', description: 'Appointments and their one-time links, for booking systems and trust IT (API key with a scope).' },
  { name: 'admin', description: 'Clinician console links, API keys and the state of this node, for trust IT (API key with a scope).' },
  { name: 'audit', description: "The trust's tamper-evident audit trail (API key with audit:read)." },
  { name: 'sessions', description: 'Device sessions of the browser pages (a link token exchanged once for HttpOnly cookies).' },
  { name: 'files', description: 'Photos and documents shared in a consultation by its admitted participants (session cookies).' },
  { name: 'operations', description: 'Liveness, readiness and Prometheus metrics, for orchestrators and monitoring.' },
];

/**
 * Adds the shared schemas the routes refer to (always: Fastify serializes
 * error responses with them) and, when docs are on, the document and /docs.
 */
export async function registerOpenApi(app: FastifyInstance, opts: { docs: boolean }): Promise<void> {
  app.addSchema(ErrorBody);
  if (!opts.docs) return;
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'consultroom API',
        version: pkg.version,
        description:
          'Video consultations with one-time links and a server-enforced waiting room. Errors always have the body ' +
          '`{ code, message, details? }`; 5xx details are never shown.',
      },
      tags: TAGS,
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A REST API key (`cr_<keyId>_<secret>`, made with POST /api/v1/api-keys or `npm run cli -- create-api-key`). ' +
              'Each key carries scopes (appointments:read, appointments:write, audit:read, clinics:write; admin implies all) and ' +
              'optionally a clinic, and each operation lists the one scope it needs: without it the answer is 403 SCOPE_MISSING. ' +
              'A clinic-bound key acts only on its clinic\'s records (404 elsewhere). Keys from API_KEYS or API_KEYS_FILE have scope admin.',
          },
          guestSession: { type: 'apiKey', in: 'cookie', name: GUEST_COOKIE, description: 'Set by POST /api/v1/session for a one-time link.' },
          clinicianSession: { type: 'apiKey', in: 'cookie', name: CLINICIAN_COOKIE, description: 'Set by POST /api/v1/session for a console link.' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, required only when it is set.' },
        },
      },
    },
    hideUntagged: true,
    // Shared schemas keep their $id as their name in components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${String(i)}`) },
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    theme: { title: 'consultroom API' },
    // BaseLayout: no top bar, whose "Explore" box fetches other documents and
    // whose inline SVG logo carries a <style> the CSP (rightly) refuses. With
    // it the page needs nothing the site-wide CSP does not allow (its scripts,
    // including the initializer, and its styles are files from this origin),
    // so /docs keeps that CSP unchanged. No validatorUrl: the document is never
    // sent to validator.swagger.io.
    uiConfig: { layout: 'BaseLayout', deepLinking: true, defaultModelsExpandDepth: 0 },
  });
}
