// Operations over HTTP: liveness and readiness for orchestrators
// (http/health.ts) and the audit export's query (http/audit-routes.ts).
import { Type, type Static } from 'typebox';
import { Id } from './ids.ts';

export const Alive = Type.Object({ status: Type.Literal('ok') }, { description: 'The process is alive.' });
export const Readiness = Type.Object(
  {
    status: Type.Enum(['ready', 'draining', 'not ready']),
    store: Type.Enum(['ok', 'unreachable']),
    storeKind: Type.String({ description: 'memory or redis' }),
    workers: Type.Enum(['ok', 'down'], { description: 'ok when every mediasoup worker is alive' }),
  },
  { description: 'Whether this node can take consultations (200) or not (503), and why.' },
);
export type Readiness = Static<typeof Readiness>;

const Bound = (what: string) => Type.String({ format: 'date-time', maxLength: 40, description: `ISO 8601 date-time: ${what}` });
export const AuditQuery = Type.Object(
  {
    appointmentId: Type.Optional(Id('an appointment id')),
    from: Type.Optional(Bound('records at or after this time')),
    to: Type.Optional(Bound('records before this time')),
  },
  { additionalProperties: false },
);
