// The CLI's commands for who may do what: API keys (scoped, optionally bound
// to a clinic, shown once), staff sessions (list and revoke), clinics and
// their members. Each is one REST call (docs/openapi.json), with its options
// checked here first so a mistake sends nothing.
import {
  API_SCOPES,
  CLINIC_ID_PATTERN,
  ClinicRole,
  type ApiKeyCreated,
  type ApiKeyList,
  type ApiKeySummary,
  type ClinicView,
  type MemberView,
  type SessionList,
} from '../../server/wire/auth.ts';
import { isLanguage, LANGUAGES, type Language } from '../../server/wire/language.ts';
import { checkId, out, table, UsageError, type Command, type Values } from './common.ts';

const CLINIC_RE = new RegExp(CLINIC_ID_PATTERN);
const USER_RE = /^[\x21-\x7e]{1,128}$/;
const CLINIC_ROLES: readonly string[] = ClinicRole.enum;

export function clinicOption(v: string, what: string): string {
  if (!CLINIC_RE.test(v)) throw new UsageError(`${what} must be a clinic id: 2 to 63 of a-z 0-9 -, starting with a letter or digit (got "${v}")`);
  return v;
}

/** --language: en-GB or cy. */
export function languageOption(v: string): Language {
  if (!isLanguage(v)) throw new UsageError(`--language must be ${LANGUAGES.join(' or ')} (got "${v}")`);
  return v;
}

function userOption(values: Values): string {
  const v = String(values.user);
  if (!USER_RE.test(v)) throw new UsageError(`--user must be a staff member's id: 1 to 128 printable characters, no spaces (got "${v}")`);
  return encodeURIComponent(v);
}

/** Every value of a repeatable option, each one of `allowed`. */
function listOption(values: Values, name: string, allowed: readonly string[]): string[] {
  const raw = values[name];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [String(raw)];
  for (const v of list) if (!allowed.includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got "${v}")`);
  if (new Set(list).size !== list.length) throw new UsageError(`--${name} is given twice with the same value`);
  return list;
}

const keyRow = (k: ApiKeySummary) =>
  `  ${k.id.padEnd(22)}  ${k.revokedAt ? `REVOKED ${k.revokedAt}` : 'active'}  ${k.scopes.join(',')}${k.clinicId ? `  clinic ${k.clinicId}` : ''}  "${k.name}"  made ${k.createdAt} by ${k.createdBy}${k.lastUsedAt ? `, last used ${k.lastUsedAt}` : ', never used'}`;

const CLINIC_POSITIONAL = { name: 'CLINIC', help: 'the clinic id' };

export const ACCESS_COMMANDS: Record<string, Command> = {
  'api-keys': {
    summary: 'list the API keys: scopes, clinic, last use, revoked or not (never their secrets)',
    options: {},
    flags: { json: "print the server's JSON instead" },
    server: true,
    async run({ values, api }) {
      const { keys } = await api.json<ApiKeyList>('GET', '/api/v1/api-keys');
      if (values.json) out(JSON.stringify(keys, null, 2));
      else out([`api keys (${String(keys.length)})`, ...keys.map(keyRow)].join('\n'));
      return 0;
    },
  },
  'create-api-key': {
    summary: 'make an API key with these scopes (and optionally one clinic); prints the key, once',
    options: {
      name: { value: 'NAME', help: 'what it is for, e.g. "booking system"', required: true },
      scope: { value: 'SCOPE', help: `${API_SCOPES.join(', ')} (admin implies all)`, required: true, multiple: true },
      clinic: { value: 'CLINIC', help: "bind it to this clinic: it sees and changes only that clinic's records" },
    },
    server: true,
    async run({ values, api }) {
      const body = {
        name: String(values.name),
        scopes: listOption(values, 'scope', API_SCOPES),
        ...(values.clinic === undefined ? {} : { clinicId: clinicOption(String(values.clinic), '--clinic') }),
      };
      const k = await api.json<ApiKeyCreated>('POST', '/api/v1/api-keys', body);
      out(table([
        ['key', k.key],
        ['id', k.id],
        ['scopes', k.scopes.join(', ')],
        ['clinic', k.clinicId ?? 'any'],
      ]));
      console.error('Store the key now (a secrets manager, or a file only its user can read): it is shown this once and cannot be shown again.');
      return 0;
    },
  },
  'revoke-api-key': {
    summary: 'revoke an API key: every node refuses it from now on',
    options: {},
    positional: { name: 'ID', help: "the key's id (from api-keys; not the key itself)" },
    server: true,
    async run({ positionals, api }) {
      const id = checkId(positionals[0]!, 'ID');
      await api.request('DELETE', `/api/v1/api-keys/${id}`);
      out(`revoked API key ${id}`);
      return 0;
    },
  },
  sessions: {
    summary: "a staff member's live sessions (device, address, last use, when they end)",
    options: { user: { value: 'USER', help: "the staff member's id", required: true } },
    flags: { json: "print the server's JSON instead" },
    server: true,
    async run({ values, api }) {
      const { sessions } = await api.json<SessionList>('GET', `/api/v1/users/${userOption(values)}/sessions`);
      if (values.json) {
        out(JSON.stringify(sessions, null, 2));
        return 0;
      }
      out(`sessions (${String(sessions.length)})`);
      for (const x of sessions) {
        out(`  ${x.id}  ${x.via.padEnd(6)}  ${x.roles.join(',') || '-'}  ${x.device}${x.address ? ` from ${x.address}` : ''}  since ${x.createdAt}, last used ${x.lastSeenAt}, ends ${x.idleExpiresAt < x.expiresAt ? x.idleExpiresAt : x.expiresAt}`);
      }
      return 0;
    },
  },
  'revoke-session': {
    summary: 'end one staff session now (its open consoles are disconnected)',
    options: {},
    positional: { name: 'ID', help: "the session's id (from sessions)" },
    server: true,
    async run({ positionals, api }) {
      const id = checkId(positionals[0]!, 'ID');
      await api.request('DELETE', `/api/v1/sessions/${id}`);
      out(`revoked session ${id}`);
      return 0;
    },
  },
  'revoke-sessions': {
    summary: "end every session of a staff member now (a lost smartcard, someone leaving)",
    options: { user: { value: 'USER', help: "the staff member's id", required: true } },
    server: true,
    async run({ values, api }) {
      const { revoked } = await api.json<{ revoked: number }>('DELETE', `/api/v1/users/${userOption(values)}/sessions`);
      out(`revoked ${String(revoked)} session${revoked === 1 ? '' : 's'}`);
      return 0;
    },
  },
  clinics: {
    summary: 'list the clinics',
    options: {},
    flags: { json: "print the server's JSON instead" },
    server: true,
    async run({ values, api }) {
      const { clinics } = await api.json<{ clinics: ClinicView[] }>('GET', '/api/v1/clinics');
      if (values.json) out(JSON.stringify(clinics, null, 2));
      else out([`clinics (${String(clinics.length)})`, ...clinics.map((c) => `  ${c.id}  ${c.name}`)].join('\n'));
      return 0;
    },
  },
  'create-clinic': {
    summary: 'make a clinic',
    options: {
      id: { value: 'ID', help: 'its id: 2 to 63 of a-z 0-9 - (e.g. dermatology-north); it cannot change', required: true },
      name: { value: 'NAME', help: 'its name as staff see it', required: true },
    },
    server: true,
    async run({ values, api }) {
      const c = await api.json<ClinicView>('POST', '/api/v1/clinics', { id: clinicOption(String(values.id), '--id'), name: String(values.name) });
      out(`created clinic ${c.id}  ${c.name}`);
      return 0;
    },
  },
  'rename-clinic': {
    summary: "change a clinic's name",
    options: { name: { value: 'NAME', help: 'the new name', required: true } },
    positional: CLINIC_POSITIONAL,
    server: true,
    async run({ values, positionals, api }) {
      const id = clinicOption(positionals[0]!, 'CLINIC');
      const c = await api.json<ClinicView>('PATCH', `/api/v1/clinics/${id}`, { name: String(values.name) });
      out(`renamed clinic ${c.id}  ${c.name}`);
      return 0;
    },
  },
  'clinic-language': {
    summary: "set a clinic's language: cy makes its new appointments Welsh (Welsh links, bilingual SMS and email)",
    options: { language: { value: LANGUAGES.join('|'), help: 'en-GB (the default) or cy (Welsh)', required: true } },
    positional: CLINIC_POSITIONAL,
    server: true,
    async run({ values, positionals, api }) {
      const id = clinicOption(positionals[0]!, 'CLINIC');
      const language = languageOption(String(values.language));
      const c = await api.json<ClinicView>('PATCH', `/api/v1/clinics/${id}`, { settings: { language } });
      out(`clinic ${c.id}  ${c.name}: language ${c.settings.language ?? 'en-GB'} (appointments made from now on)`);
      return 0;
    },
  },
  members: {
    summary: "a clinic's members and their roles there",
    options: {},
    flags: { json: "print the server's JSON instead" },
    positional: CLINIC_POSITIONAL,
    server: true,
    async run({ values, positionals, api }) {
      const id = clinicOption(positionals[0]!, 'CLINIC');
      const { members } = await api.json<{ members: MemberView[] }>('GET', `/api/v1/clinics/${id}/members`);
      if (values.json) out(JSON.stringify(members, null, 2));
      else out([`members of ${id} (${String(members.length)})`, ...members.map((m) => `  ${m.userId}  ${m.roles.join(',')}  (${m.source === 'idp' ? 'from the identity provider' : 'set here'}, ${m.updatedAt})`)].join('\n'));
      return 0;
    },
  },
  'set-member': {
    summary: "give a staff member roles in a clinic (replacing the roles set here before)",
    options: {
      user: { value: 'USER', help: "the staff member's id", required: true },
      role: { value: 'ROLE', help: CLINIC_ROLES.join(', '), required: true, multiple: true },
    },
    positional: CLINIC_POSITIONAL,
    server: true,
    async run({ values, positionals, api }) {
      const id = clinicOption(positionals[0]!, 'CLINIC');
      const roles = listOption(values, 'role', CLINIC_ROLES);
      await api.request('PUT', `/api/v1/clinics/${id}/members/${userOption(values)}`, { roles });
      out(`${String(values.user)} in ${id}: ${roles.join(', ')}`);
      return 0;
    },
  },
  'remove-member': {
    summary: 'take a staff member out of a clinic',
    options: { user: { value: 'USER', help: "the staff member's id", required: true } },
    positional: CLINIC_POSITIONAL,
    server: true,
    async run({ values, positionals, api }) {
      const id = clinicOption(positionals[0]!, 'CLINIC');
      await api.request('DELETE', `/api/v1/clinics/${id}/members/${userOption(values)}`);
      out(`removed ${String(values.user)} from ${id}`);
      return 0;
    },
  },
};
