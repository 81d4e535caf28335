// A node's heartbeat as read back from Redis: checked field by field, since
// anything that can write to Redis could have written it. Malformed -> null.
import { isId } from '../core/id-pattern.ts';
import type { NodeInfo, NodeLoad } from './contract.ts';

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

function parseLoad(v: unknown): NodeLoad | null {
  if (typeof v !== 'object' || v === null) return null;
  const l = v as Record<string, unknown>;
  if (!isCount(l.routers) || !isCount(l.consumers) || !isCount(l.cpu) || !isCount(l.sockets)) return null;
  return { routers: l.routers, consumers: l.consumers, cpu: l.cpu, sockets: l.sockets };
}

export function parseNodeInfo(raw: string): NodeInfo | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const load = parseLoad(o.load);
  if (!load || !isText(o.id, 63) || !isText(o.mediaAddress, 255) || !isCount(o.score) || typeof o.draining !== 'boolean') return null;
  if (!isText(o.startedAt, 40) || Number.isNaN(Date.parse(o.startedAt))) return null;
  // A token that is there but malformed is left out: the node then says nothing about FILES_DIR.
  const files = isId(o.filesToken) ? { filesToken: o.filesToken } : {};
  return { id: o.id, mediaAddress: o.mediaAddress, load, score: o.score, draining: o.draining, startedAt: o.startedAt, ...files };
}
