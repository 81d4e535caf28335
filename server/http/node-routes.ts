// Trust IT's view of the nodes on one Redis, and a drain for any of them by
// name (the CLI's `nodes` and `drain`): whichever node takes the request asks
// the registry, so draining node B works through a proxy that sent it to A.
// The registry is matched by shape (http imports no cluster code).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../core/errors.ts';
import type { Actor } from '../domain/model.ts';
import { installScopeGuard, requestActor, requireClinic, type ScopeGuardDeps } from './auth-guard.ts';
import { DrainAccepted, DrainBody, NodeList, NodeParams, type NodeView } from '../wire/nodes.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface NodeRouteDeps {
  guard: ScopeGuardDeps;
  /** The live nodes (NodeRegistry.live()). */
  live(): Promise<NodeView[]>;
  /** Asks a live node to drain by `deadline` (epoch ms); false when there is no such node (NodeRegistry.requestDrain). */
  requestDrain(nodeId: string, deadline: number): Promise<boolean>;
  /** Puts a drain that was asked for on the audit trail (node.drain_requested, subject the node). */
  recordDrain(actor: Actor, nodeId: string): Promise<void>;
  /** The drain period when the request names none (server.drainSeconds). */
  drainSeconds: number;
  now(): number;
}

const common = { tags: ['admin'], security: SECURITY.scoped('admin') };

export const nodeRoutes: FastifyPluginAsync<NodeRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  installScopeGuard(app, deps.guard);

  app.get(
    '/api/v1/nodes',
    { config: { scope: 'admin' }, schema: { ...common, summary: 'The live nodes: media address, load, draining', response: { 200: NodeList, ...ERRORS } } },
    async (req) => {
      // The whole deployment, not one clinic's part of it.
      requireClinic(req, 'admin', undefined);
      return { nodes: await deps.live() };
    },
  );

  app.post(
    '/api/v1/nodes/:nodeId/drain',
    {
      config: { scope: 'admin' },
      schema: {
        ...common,
        summary: 'Drain a node: it takes no new consultation; its live ones move to other nodes at the deadline',
        params: NodeParams,
        body: DrainBody,
        response: { 202: DrainAccepted, ...ERRORS },
      },
    },
    async (req, reply) => {
      requireClinic(req, 'admin', undefined);
      const deadline = deps.now() + (req.body.seconds ?? deps.drainSeconds) * 1000;
      if (!(await deps.requestDrain(req.params.nodeId, deadline))) throw new AppError('NOT_FOUND', 'No live node has that id (npm run cli -- nodes lists them).');
      // Who moved a clinic's consultations between machines, and when, is a step like any other.
      await deps.recordDrain(requestActor(req), req.params.nodeId);
      return reply.status(202).send({ node: req.params.nodeId, deadline: new Date(deadline).toISOString() });
    },
  );
};
