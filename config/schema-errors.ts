// Turns a schema's validation errors into one line per offending key, using the
// schema's own descriptions as the expected form, so config errors, HTTP 400s
// and socket.io refusals all read the same way and never echo the bad value.
// It lives in config/, the bottom layer (it imports only typebox), so that
// config imports no server code while the server's transports can use it too.
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';

export interface KeyProblem {
  /** dotted path, e.g. "server.port" or "body.clinician.id" */
  key: string;
  problem: string;
}

interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}

function subSchema(schema: SchemaNode, pointer: string[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const part of pointer) {
    if (!node) return undefined;
    if (node.properties && part in node.properties) node = node.properties[part];
    else if (node.items && /^\d+$/.test(part)) node = node.items;
    else return undefined;
  }
  return node;
}

const splitPointer = (p: string): string[] =>
  p === '' ? [] : p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

export function keyProblems(schema: TSchema, value: unknown, prefix = ''): KeyProblem[] {
  const root = schema as SchemaNode;
  const out = new Map<string, string>();
  const join = (parts: string[]) => [prefix, ...parts].filter(Boolean).join('.') || '(root)';
  for (const err of Value.Errors(schema, value)) {
    const parts = splitPointer(err.instancePath);
    if (err.keyword === 'required') {
      const missing = (err.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      for (const name of missing) {
        const desc = subSchema(root, [...parts, name])?.description;
        out.set(join([...parts, name]), desc ? `missing (expected ${desc})` : 'missing');
      }
      continue;
    }
    if (err.keyword === 'additionalProperties') {
      const extra = (err.params as { additionalProperties?: string[] }).additionalProperties ?? [];
      for (const name of extra) out.set(join([...parts, name]), 'unknown key');
      continue;
    }
    if (err.keyword === 'boolean') continue; // the additionalProperties error above names it
    const key = join(parts);
    if (out.has(key)) continue;
    const desc = subSchema(root, parts)?.description;
    out.set(key, desc ? `expected ${desc}` : err.message);
  }
  return [...out].map(([key, problem]) => ({ key, problem }));
}
