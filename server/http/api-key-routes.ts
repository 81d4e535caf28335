// REST API keys for trust IT (scope admin, trust-wide: a clinic-bound
// credential gets 404, so it cannot mint itself a wider key). A new key is
// shown once, in the 201 answer; the list never shows secrets.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApiKeyService } from '../domain/access/api-keys.ts';
import { ApiKeyCreated, ApiKeyList, ApiKeyParams, CreateApiKeyBody } from '../wire/auth.ts';
import { installScopeGuard, requestActor, requireClinic, type ScopeGuardDeps } from './auth-guard.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface ApiKeyRouteDeps {
  apiKeys: ApiKeyService;
  guard: ScopeGuardDeps;
}

const common = { tags: ['admin'], security: SECURITY.scoped('admin') };
const config = { scope: 'admin' as const };

export const apiKeyRoutes: FastifyPluginAsync<ApiKeyRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  installScopeGuard(app, deps.guard);
  app.addHook('preHandler', async (req) => requireClinic(req, 'admin', undefined));

  app.get(
    '/api/v1/api-keys',
    { config, schema: { ...common, summary: 'Every API key (configured ones first, revoked ones marked); never their secrets', response: { 200: ApiKeyList, ...ERRORS } } },
    async () => ({ keys: await deps.apiKeys.list() }),
  );

  app.post(
    '/api/v1/api-keys',
    {
      config,
      schema: {
        ...common,
        summary: 'Make an API key with these scopes (and optionally bound to one clinic); the key is in this answer only',
        body: CreateApiKeyBody,
        response: { 201: ApiKeyCreated, ...ERRORS },
      },
    },
    async (req, reply) => {
      const { record, key } = await deps.apiKeys.create(req.body, requestActor(req));
      return reply.status(201).header('cache-control', 'no-store').send({ ...record, key });
    },
  );

  app.delete(
    '/api/v1/api-keys/:keyId',
    {
      config,
      schema: {
        ...common,
        summary: 'Revoke an API key: refused at once on every node (keys from API_KEYS are removed from the config instead)',
        params: ApiKeyParams,
        response: { 204: Type.Null({ description: 'Revoked.' }), ...ERRORS },
      },
    },
    async (req, reply) => {
      await deps.apiKeys.revoke(req.params.keyId, requestActor(req));
      return reply.status(204).send(null);
    },
  );
};
