// npm run cli -- <command> [options]: trust IT's admin tool. It talks to a
// running server over its REST API (docs/openapi.json), so it needs only the
// server's URL and an API key; audit-verify works offline on an export.
// Exit status: 0 done, 1 the server refused (its "CODE: message" is shown) or
// an export failed verification, 2 a usage error (nothing was sent). The
// commands about keys, sessions and clinics are in cli/access-commands.ts;
// listing, cancelling and rescheduling appointments in cli/appointment-commands.ts;
// listing and draining the nodes in cli/node-commands.ts.
import { createWriteStream, readFileSync } from 'node:fs';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { ID_PATTERN } from '../server/core/ids.ts';
import { describeVerdict, verifyExport } from '../server/domain/audit/verify.ts';
import { INVITE_ROLES } from '../server/wire/participants.ts';
import type { AppointmentDetail, NodeStatus } from '../server/wire/appointments.ts';
import { ACCESS_COMMANDS, clinicOption, languageOption } from './cli/access-commands.ts';
import { APPOINTMENT_COMMANDS } from './cli/appointment-commands.ts';
import { NODE_COMMANDS } from './cli/node-commands.ts';
import { Api, durationOption, idOption, out, RequestError, table, timeOption, UsageError, type Command, type Ctx, type Option } from './cli/common.ts';

const DEFAULT_URL = 'http://localhost:8080';
const ID_RE = new RegExp(ID_PATTERN);

// ---- checks on options -------------------------------------------------------

function roleOption(v: string): string {
  if (!(INVITE_ROLES as readonly string[]).includes(v)) throw new UsageError(`--role must be one of ${INVITE_ROLES.join(', ')} (got "${v}")`);
  return v;
}

async function* chunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

// ---- the commands ------------------------------------------------------------

const CLINICIAN_OPTIONS: Record<string, Option> = {
  'clinician-id': { value: 'ID', help: "the clinician's id in your system", required: true },
  'clinician-name': { value: 'NAME', help: 'their name as patients see it', required: true },
};

const COMMANDS: Record<string, Command> = {
  'create-appointment': {
    summary: 'create an appointment; prints its id, the console link and the patient link',
    options: {
      ...CLINICIAN_OPTIONS,
      'patient-name': { value: 'NAME', help: "the patient's name", required: true },
      'starts-at': { value: 'TIME', help: 'ISO 8601 with a zone, e.g. 2026-12-01T14:30:00Z', required: true },
      duration: { value: 'MINUTES', help: 'minutes, 5 to 240', required: true },
      clinic: { value: 'CLINIC', help: 'the clinic it belongs to (a clinic-bound key always creates in its own)' },
      language: { value: 'en-GB|cy', help: "its links' and messages' language (default: the clinic's, else en-GB)" },
    },
    server: true,
    async run({ values, api }) {
      const body = {
        clinician: { id: String(values['clinician-id']), name: String(values['clinician-name']) },
        patient: { name: String(values['patient-name']) },
        startsAt: timeOption(values, 'starts-at'),
        durationMinutes: durationOption(String(values.duration)),
        ...(values.clinic === undefined ? {} : { clinicId: clinicOption(String(values.clinic), '--clinic') }),
        ...(values.language === undefined ? {} : { language: languageOption(String(values.language)) }),
      };
      const a = await api.json<{ id: string; clinicianUrl: string; patientUrl: string; patientLinkId: string; language: string }>('POST', '/api/v1/appointments', body);
      out(table([
        ['appointment', a.id],
        ['clinician', a.clinicianUrl],
        ['patient', a.patientUrl],
        ['patient link', a.patientLinkId],
        ['language', a.language],
      ]));
      return 0;
    },
  },
  invite: {
    summary: 'a one-time link for one more person (interpreter, family, carer, other)',
    options: {
      appointment: { value: 'ID', help: 'the appointment', required: true },
      name: { value: 'NAME', help: 'their name', required: true },
      role: { value: 'ROLE', help: INVITE_ROLES.join(', '), required: true },
    },
    server: true,
    async run({ values, api }) {
      const id = idOption(values, 'appointment');
      const body = { name: String(values.name), role: roleOption(String(values.role)) };
      const r = await api.json<{ url: string; linkId: string; role: string }>('POST', `/api/v1/appointments/${id}/invites`, body);
      out(table([
        ['link', r.url],
        ['link id', r.linkId],
        ['role', r.role],
      ]));
      return 0;
    },
  },
  'clinician-token': {
    summary: "a console link for a clinician (their day's list)",
    options: CLINICIAN_OPTIONS,
    server: true,
    async run({ values, api }) {
      const clinician = { id: String(values['clinician-id']), name: String(values['clinician-name']) };
      out((await api.json<{ url: string }>('POST', '/api/v1/clinician-tokens', { clinician })).url);
      return 0;
    },
  },
  'revoke-link': {
    summary: 'revoke a link so it can no longer be redeemed',
    options: {
      appointment: { value: 'ID', help: 'the appointment', required: true },
      link: { value: 'ID', help: "the link's id (patient link or invite)", required: true },
    },
    server: true,
    async run({ values, api }) {
      const id = idOption(values, 'appointment');
      const link = idOption(values, 'link');
      await api.request('DELETE', `/api/v1/appointments/${id}/links/${link}`);
      out(`revoked link ${link}`);
      return 0;
    },
  },
  show: {
    summary: 'an appointment: its links and who is waiting or present',
    options: { appointment: { value: 'ID', help: 'the appointment', required: true } },
    flags: { json: 'print the server\'s JSON instead' },
    server: true,
    async run({ values, api }) {
      const a = await api.json<AppointmentDetail>('GET', `/api/v1/appointments/${idOption(values, 'appointment')}`);
      if (values.json) {
        out(JSON.stringify(a, null, 2));
        return 0;
      }
      out(table([
        ['appointment', `${a.id}  ${a.status}${a.locked ? ', locked' : ''}`],
        ['starts', `${a.startsAt}, ${String(a.durationMinutes)} minutes`],
        ['clinician', `${a.clinician.name} (${a.clinician.id})`],
        ...(a.clinicId ? [['clinic', a.clinicId] as [string, string]] : []),
        ['patient', a.patient.name],
        ['language', a.language],
      ]));
      out(`\nlinks (${String(a.links.length)})`);
      for (const l of a.links) {
        out(`  ${l.id}  ${l.role.padEnd(11)}  ${l.name}  ${l.revoked ? 'revoked' : l.bound ? 'bound to a device' : 'not used yet'}, expires ${l.expiresAt}`);
      }
      out(`\nparticipants (${String(a.participants.length)})`);
      for (const p of a.participants) {
        const since = p.waitingSince ? ` since ${p.waitingSince}` : '';
        out(`  ${p.id}  ${p.role.padEnd(11)}  ${p.name}  ${p.state}${since}  ${p.device}  ${p.connected ? 'connected' : 'not connected'}${p.linkReused ? '  LINK ALREADY USED ON ANOTHER DEVICE' : ''}`);
      }
      return 0;
    },
  },
  status: {
    summary: "this node's mediasoup workers, live consultations, connections and store",
    options: {},
    flags: { json: 'print the server\'s JSON instead' },
    server: true,
    async run({ values, api }) {
      const s = await api.json<NodeStatus>('GET', '/api/v1/status');
      if (values.json) {
        out(JSON.stringify(s, null, 2));
        return 0;
      }
      out(table([
        ['server', api.base],
        ['store', s.store],
        ['draining', s.draining ? 'yes (shutting down: no new consultations)' : 'no'],
        ['consultations', `${String(s.consultationsActive)} active`],
        ['connections', String(s.socketConnections)],
        ['workers', `${String(s.workers.length)} (${String(s.workers.filter((w) => w.alive).length)} alive)`],
      ]));
      for (const w of s.workers) {
        out(`  #${String(w.index)}  pid ${String(w.pid)}  ${w.alive ? 'alive' : 'DOWN'}  ${String(w.routers)} routers  port ${String(w.port)}`);
      }
      return 0;
    },
  },
  'audit-export': {
    summary: 'export the audit trail (JSON Lines) to a file or standard output',
    options: {
      appointment: { value: 'ID', help: "only this appointment's records" },
      from: { value: 'TIME', help: 'records at or after this time (ISO 8601 with a zone)' },
      to: { value: 'TIME', help: 'records before this time' },
      out: { value: 'FILE', help: 'write here instead of standard output' },
    },
    server: true,
    async run({ values, api }) {
      const query = new URLSearchParams();
      if (values.appointment !== undefined) query.set('appointmentId', idOption(values, 'appointment'));
      if (values.from !== undefined) query.set('from', timeOption(values, 'from'));
      if (values.to !== undefined) query.set('to', timeOption(values, 'to'));
      const res = await api.request('GET', `/api/v1/audit${query.size ? `?${query.toString()}` : ''}`);
      if (!res.body) throw new RequestError('the server sent no export');
      let lines = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          for (const byte of chunk) if (byte === 0x0a) lines++;
          cb(null, chunk);
        },
      });
      const file = values.out === undefined ? undefined : String(values.out);
      const sink: Writable = file === undefined ? process.stdout : createWriteStream(file);
      await pipeline(chunks(res.body), count, sink, { end: file !== undefined });
      if (file !== undefined) console.error(`wrote ${file} (${String(Math.max(0, lines - 1))} records); check it with: npm run cli -- audit-verify ${file}`);
      return 0;
    },
  },
  'audit-verify': {
    summary: 'check an audit export: every hash, and the chain links (no server needed)',
    options: {},
    positional: { name: 'FILE', help: 'an export from audit-export (- reads standard input)' },
    server: false,
    async run({ positionals }) {
      const file = positionals[0]!;
      let text: string;
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const verdict = verifyExport(text);
      out(describeVerdict(verdict));
      return verdict.ok ? 0 : 1;
    },
  },
  ...APPOINTMENT_COMMANDS,
  ...ACCESS_COMMANDS,
  ...NODE_COMMANDS,
};

// ---- parsing and help ----------------------------------------------------------

const SERVER_OPTIONS: Record<string, Option> = {
  url: { value: 'URL', help: `the server (default: env CONSULTROOM_URL, else ${DEFAULT_URL})` },
  'api-key-file': { value: 'FILE', help: 'a file holding the API key (default: env CONSULTROOM_API_KEY)' },
};

function usageLine(name: string, c: Command): string {
  const opts = Object.entries(c.options).map(([k, o]) => {
    const one = o.required ? `--${k} ${o.value}` : `[--${k} ${o.value}]`;
    return o.multiple ? `${one} [--${k} ${o.value} ...]` : one;
  });
  const flags = Object.keys(c.flags ?? {}).map((k) => `[--${k}]`);
  return ['npm run cli --', name, ...opts, ...flags, ...(c.positional ? [c.positional.name] : [])].join(' ');
}

function commandHelp(name: string, c: Command): string {
  const rows: [string, string][] = [
    ...Object.entries({ ...c.options, ...(c.server ? SERVER_OPTIONS : {}) }).map(([k, o]): [string, string] => [`--${k} ${o.value}`, o.help]),
    ...Object.entries(c.flags ?? {}).map(([k, help]): [string, string] => [`--${k}`, help]),
    ...(c.positional ? [[c.positional.name, c.positional.help] as [string, string]] : []),
  ];
  return `${c.summary}\n\nusage: ${usageLine(name, c)}\n\n${table(rows).replace(/^/gm, '  ')}\n`;
}

function mainHelp(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]): [string, string] => [name, c.summary]);
  return (
    'consultroom admin: talks to a running server over its REST API.\n\n' +
    'usage: npm run cli -- <command> [options]      (npm run -s cli -- ... for output without npm\'s banner)\n\n' +
    `${table(rows).replace(/^/gm, '  ')}\n\n` +
    `The server is --url, else env CONSULTROOM_URL, else ${DEFAULT_URL}. The API key comes from env\n` +
    'CONSULTROOM_API_KEY or --api-key-file FILE, never from the command line (it would stay in shell history).\n' +
    'Run npm run cli -- <command> --help for its options. Exit status: 0 done, 1 refused by the server, 2 usage error.\n'
  );
}

function apiKey(file: string | undefined): string {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read --api-key-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const key = text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
    if (!key) throw new UsageError(`--api-key-file ${file} holds no key`);
    return key;
  }
  const env = process.env.CONSULTROOM_API_KEY?.trim();
  if (!env) throw new UsageError('no API key: set CONSULTROOM_API_KEY or pass --api-key-file FILE');
  return env;
}

function serverUrl(option: string | undefined): string {
  const raw = option ?? (process.env.CONSULTROOM_URL || DEFAULT_URL);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url must be an http:// or https:// URL (got "${raw}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be an http:// or https:// URL (got "${raw}")`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}


/**
 * `--appointment -Xy...`: ids are base64url, so one in 64 starts with '-', which
 * parseArgs would take for an option. A string option's next word is its value,
 * and an id-shaped word that is not an option is the positional (after `--`).
 */
function joinValues(args: string[], spec: Record<string, { type: 'string' | 'boolean' }>): string[] {
  const out: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name && spec[name]?.type === 'string' && i + 1 < args.length) out.push(`${a}=${args[++i]!}`);
    else if (a.startsWith('-') && !(name && spec[name]) && ID_RE.test(a)) ids.push(a);
    else out.push(a);
  }
  return ids.length > 0 ? [...out, '--', ...ids] : out;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new UsageError(`unknown command "${name}"; the commands are: ${Object.keys(COMMANDS).join(', ')}`);
  const spec = {
    ...Object.fromEntries(
      Object.entries({ ...command.options, ...(command.server ? SERVER_OPTIONS : {}) }).map(([k, o]) => [k, { type: 'string' as const, multiple: o.multiple === true }]),
    ),
    ...Object.fromEntries(Object.keys(command.flags ?? {}).map((k) => [k, { type: 'boolean' as const }])),
    help: { type: 'boolean' as const, short: 'h' },
  };
  let parsed: { values: Ctx['values']; positionals: string[] };
  try {
    parsed = parseArgs({ args: joinValues(rest, spec), options: spec, strict: true, allowPositionals: command.positional !== undefined });
  } catch (e) {
    const m = /^Unknown option '([^']+)'/.exec((e as Error).message);
    throw new UsageError(m ? `unknown option ${m[1]!} for ${name}` : (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(commandHelp(name, command));
    return 0;
  }
  const missing = Object.entries(command.options).filter(([k, o]) => o.required && (values[k] === undefined || values[k] === '' || (Array.isArray(values[k]) && values[k].length === 0)));
  if (missing.length > 0) throw new UsageError(`${name} needs ${missing.map(([k, o]) => `--${k} ${o.value}`).join(', ')}`);
  if (command.positional && positionals.length !== 1) throw new UsageError(`${name} needs exactly one ${command.positional.name}`);
  const api = command.server ? new Api(serverUrl(values.url as string | undefined), apiKey(values['api-key-file'] as string | undefined)) : new Api('', '');
  return command.run({ values, positionals, api });
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    const name = process.argv[2];
    const c = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    console.error(`error: ${e.message}`);
    console.error(c && name ? `usage: ${usageLine(name, c)}\n(npm run cli -- ${name} --help for details)` : '(npm run cli -- --help for the commands)');
    process.exitCode = 2;
  } else if (e instanceof RequestError) {
    console.error(e.message);
    process.exitCode = 1;
  } else {
    throw e;
  }
}
