// The REST API's view of the nodes on one Redis (http/node-routes.ts, the
// CLI's `nodes` and `drain`): each node's heartbeat, and a drain request.
import { Type, type Static } from 'typebox';
import { NODE_ID_PATTERN } from '../core/id-pattern.ts';
import { Time } from './ids.ts';

/** A node's name (config cluster.nodeId, env NODE_ID): the same shape the config accepts. */
export const NodeIdSchema = Type.String({ pattern: NODE_ID_PATTERN, description: "a node's id (NODE_ID)" });

const Count = (description: string) => Type.Integer({ minimum: 0, description });

export const NodeView = Type.Object({
  id: NodeIdSchema,
  mediaAddress: Type.String({ description: 'the address pages send this node media to (its announced address)' }),
  load: Type.Object({
    routers: Count('open mediasoup Routers (consultations and camera checks)'),
    consumers: Count('mediasoup consumers (streams it forwards)'),
    cpu: Type.Number({ minimum: 0, description: "the node process's CPU share over its last heartbeat, 0 to its number of cores" }),
    sockets: Count('open socket.io connections'),
  }),
  score: Type.Number({ minimum: 0, description: 'placement order: a new consultation goes to the live, non-draining node with the lowest' }),
  draining: Type.Boolean({ description: 'takes no new consultation (SIGTERM or a drain request); its calls go on until its deadline' }),
  startedAt: Time('when this node started'),
  filesShared: Type.Optional(
    Type.Boolean({
      description:
        "whether this node's FILES_DIR is the answering node's (it reads this node's marker there): false means photos stored on one cannot be read on the other. Absent for the answering node itself and for nodes too old to say",
    }),
  ),
});
export type NodeView = Static<typeof NodeView>;

export const NodeList = Type.Object(
  { nodes: Type.Array(NodeView, { description: 'live nodes, emptiest first' }) },
  { description: 'The nodes heartbeating into Redis now (with no Redis, this node alone).' },
);
export type NodeList = Static<typeof NodeList>;

export const NodeParams = Type.Object({ nodeId: NodeIdSchema }, { additionalProperties: false });

export const DrainBody = Type.Object(
  { seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 7200, description: "seconds its live consultations may go on before they move (default: server.drainSeconds)" })) },
  { additionalProperties: false, examples: [{ seconds: 600 }] },
);
export type DrainBody = Static<typeof DrainBody>;

export const DrainAccepted = Type.Object(
  { node: NodeIdSchema, deadline: Time('when its remaining consultations move to other nodes') },
  { description: 'The node was asked to drain; it takes no new consultation from its next heartbeat.' },
);
export type DrainAccepted = Static<typeof DrainAccepted>;
