// The audit export for trust IT and information governance: the trust's hash
// chain as JSON Lines (see server/domain/audit/export.ts), optionally one
// appointment's records or a time range. Scope audit:read, trust-wide only:
// the chain is not split by clinic, so a clinic-bound credential gets 404.
// Check an export with `npm run audit:verify -- FILE`.
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../core/errors.ts';
import type { AppointmentId } from '../core/ids.ts';
import { exportLines, type ExportQuery } from '../domain/audit/export.ts';
import type { EventStore } from '../domain/stores.ts';
import { installScopeGuard, requireClinic, type ScopeGuardDeps } from './auth-guard.ts';
import { AuditQuery } from '../wire/operations.ts';
import { ERRORS, SECURITY } from './openapi.ts';

export interface AuditRouteDeps {
  events: EventStore;
  guard: ScopeGuardDeps;
}

export const auditRoutes: FastifyPluginAsync<AuditRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  installScopeGuard(app, deps.guard);

  app.get(
    '/api/v1/audit',
    {
      config: { scope: 'audit:read' },
      schema: {
        tags: ['audit'],
        security: SECURITY.scoped('audit:read'),
        summary: 'Export the audit trail as JSON Lines (check it with npm run audit:verify)',
        description:
          "One audit record per line, in chain order, then one trailer line `{ export: { trust, complete, records, head, ... } }`. " +
          'Without filters the export is the whole chain (complete: true); with appointmentId, from or to it is the matching records.',
        querystring: AuditQuery,
        response: {
          200: {
            description: 'The export (Content-Disposition: attachment).',
            content: { 'application/x-ndjson': { schema: Type.String({ description: 'JSON Lines: records, then the trailer' }) } },
          },
          ...ERRORS,
        },
      },
    },
    async (req, reply) => {
      requireClinic(req, 'audit:read', undefined);
      const { appointmentId, from, to } = req.query;
      if (from !== undefined && to !== undefined && Date.parse(from) > Date.parse(to)) {
        throw new AppError('BAD_REQUEST', 'from must not be after to.', { details: [{ key: 'querystring.from', problem: 'after to' }] });
      }
      const query: ExportQuery = {
        ...(appointmentId === undefined ? {} : { appointmentId: appointmentId as AppointmentId }),
        ...(from === undefined ? {} : { from: new Date(from).toISOString() }),
        ...(to === undefined ? {} : { to: new Date(to).toISOString() }),
      };
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      // A stream, which the schema-typed reply cannot take; Fastify pipes it without serializing.
      const untyped: FastifyReply = reply;
      return untyped
        .type('application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="audit-${deps.events.trustId}-${stamp}.ndjson"`)
        .send(Readable.from(exportLines(deps.events, query)));
    },
  );
};
