// The CLI's commands for the nodes of a deployment on one Redis: list them
// (their media address, load, whether they drain, whether their FILES_DIR is
// the answering node's, how long they have run),
// and drain one by name: it takes no new consultation, and its live ones move
// to the other nodes at the deadline. REST (docs/openapi.json), so any node
// answers for all of them.
import { isNodeId } from '../../server/core/id-pattern.ts';
import type { DrainAccepted, NodeList, NodeView } from '../../server/wire/nodes.ts';
import { out, UsageError, type Command, type Values } from './common.ts';


function secondsOption(values: Values): number | undefined {
  if (values.seconds === undefined) return undefined;
  const v = String(values.seconds);
  if (!/^\d{1,4}$/.test(v) || Number(v) > 7200) throw new UsageError(`--seconds must be a whole number of seconds, 0 to 7200 (got "${v}")`);
  return Number(v);
}

/** "3d 4h", "2h 5m", "4m 10s", "12s". */
export function age(fromIso: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor((s % 86_400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return `${String(d)}d ${String(h)}h`;
  if (h > 0) return `${String(h)}h ${String(m)}m`;
  if (m > 0) return `${String(m)}m ${String(s % 60)}s`;
  return `${String(s)}s`;
}

const load = (n: NodeView): string =>
  `${String(n.load.routers)} routers, ${String(n.load.consumers)} consumers, ${String(n.load.sockets)} sockets, cpu ${n.load.cpu.toFixed(2)} (score ${String(n.score)})`;

function nodeTable(nodes: NodeView[], now: number): string {
  // files: whether the node's FILES_DIR is the answering node's ('-' for that node itself, or one too old to say).
  const files = (n: NodeView): string => (n.filesShared === undefined ? '-' : n.filesShared ? 'shared' : 'NOT SHARED');
  const rows = [['node', 'media address', 'draining', 'files', 'up', 'load'], ...nodes.map((n) => [n.id, n.mediaAddress, n.draining ? 'DRAINING' : 'no', files(n), age(n.startedAt, now), load(n)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export const NODE_COMMANDS: Record<string, Command> = {
  nodes: {
    summary: 'the live nodes: media address, whether draining, time up, load (emptiest first)',
    options: {},
    flags: { json: "print the server's JSON instead" },
    server: true,
    async run({ values, api }) {
      const { nodes } = await api.json<NodeList>('GET', '/api/v1/nodes');
      if (values.json) out(JSON.stringify(nodes, null, 2));
      else out(`nodes (${String(nodes.length)})\n${nodeTable(nodes, Date.now())}`);
      return 0;
    },
  },
  drain: {
    summary: 'drain a node: no new consultations there; its live ones move to other nodes at the deadline',
    options: { seconds: { value: 'N', help: "seconds its live consultations may go on first, 0 to 7200 (default: the server's server.drainSeconds)" } },
    positional: { name: 'NODE', help: 'the node\'s id, as `nodes` lists it' },
    server: true,
    async run({ values, positionals, api }) {
      const node = positionals[0]!;
      if (!isNodeId(node)) throw new UsageError(`NODE must be a node's id: letters, digits, . _ -, 1 to 63 (got "${node}")`);
      const seconds = secondsOption(values);
      const r = await api.json<DrainAccepted>('POST', `/api/v1/nodes/${encodeURIComponent(node)}/drain`, seconds === undefined ? {} : { seconds });
      out(`draining ${r.node}: no new consultations there; its live ones move at ${r.deadline}`);
      return 0;
    },
  },
};
