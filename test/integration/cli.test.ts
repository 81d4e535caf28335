// The admin CLI (npm run cli) as trust IT runs it: a separate process talking
// to a real server over the REST API. Links it prints work in a "browser",
// status shows the node's worker, an export it writes verifies, and bad
// options stop it with exit 2 before anything is sent.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, Device } from '../support/api.ts';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'scripts', 'cli.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let s: TestServer;
let dir: string;

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', CONSULTROOM_URL: s.url, CONSULTROOM_API_KEY: TEST_API_KEY, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** "label  value" lines -> { label: value }. */
function fields(stdout: string): Record<string, string> {
  const rows = stdout.trimEnd().split('\n').map((l): [string, string] => {
    const m = /^(\S+(?: \S+)?)\s{2,}(.*)$/.exec(l);
    return m ? [m[1]!, m[2]!] : [l, ''];
  });
  return Object.fromEntries(rows);
}

const CREATE = ['create-appointment', '--clinician-id', 'gp-7', '--clinician-name', 'Dr Asha Patel', '--patient-name', 'Jane Doe', '--duration', '15'];
const soon = () => new Date(Date.now() + 60_000).toISOString();

async function auditRecords(): Promise<number> {
  const text = await (await api(s.url, 'GET', '/api/v1/audit')).text();
  return text.trimEnd().split('\n').length - 1;
}

beforeAll(async () => {
  s = await startTestServer();
  dir = await mkdtemp(path.join(tmpdir(), 'cli-test-'));
});
afterAll(async () => {
  await s?.stop();
  await rm(dir, { recursive: true, force: true });
});

// Each case is a fresh Node process (about 0.3 s of CPU each), far slower on a busy machine.
describe('npm run cli', { timeout: 120_000 }, () => {
  it('create-appointment prints the id and both links, and the links work', async () => {
    const r = await cli([...CREATE, '--starts-at', soon()]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const f = fields(r.stdout);
    expect(f.appointment).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(f.clinician).toMatch(new RegExp(`^${s.url}/console#t=.+&a=${f.appointment!}$`));
    expect(f.patient).toMatch(new RegExp(`^${s.url}/join#t=`));

    const phone = new Device(s.url);
    const guest = await phone.redeem(f.patient!);
    expect(guest.status).toBe(200);
    expect(await guest.json()).toMatchObject({ kind: 'guest', appointmentId: f.appointment, role: 'patient', state: 'waiting' });
    const laptop = new Device(s.url);
    const gp = await laptop.redeem(f.clinician!);
    expect(gp.status).toBe(200);
    expect(await gp.json()).toMatchObject({ kind: 'clinician', clinicianId: 'gp-7', name: 'Dr Asha Patel' });

    const shown = await cli(['show', '--appointment', f.appointment!]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`${f['patient link']!}  patient      Jane Doe  bound to a device`);
    expect(shown.stdout).toMatch(/participants \(1\)\n\s+\S+\s+patient\s+Jane Doe\s+waiting/);
  });

  it('invite and revoke-link: the invite works until it is revoked', async () => {
    const id = fields((await cli([...CREATE, '--starts-at', soon()])).stdout).appointment!;
    const invite = await cli(['invite', '--appointment', id, '--name', 'Sam Okafor', '--role', 'interpreter']);
    expect(invite.code).toBe(0);
    const f = fields(invite.stdout);
    expect(f.role).toBe('interpreter');
    const revoked = await cli(['revoke-link', '--appointment', id, '--link', f['link id']!]);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked link ${f['link id']!}\n` });
    const r = await new Device(s.url).redeem(f.link!);
    expect(r.status).toBe(410);
    expect(await r.json()).toMatchObject({ code: 'LINK_REVOKED' });
  });

  it('appointments lists a day; reissue-link, reschedule and cancel manage one', async () => {
    const day = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    const at = (hhmm: string) => new Date(`${day}T${hhmm}:00`).toISOString(); // this machine's local day, as the CLI reads --day
    const made: string[] = [];
    for (const t of ['10:00', '09:00']) made.push(fields((await cli(['create-appointment', '--clinician-id', 'gp-cli-day', '--clinician-name', 'Dr Day', '--patient-name', `Pat ${t}`, '--duration', '15', '--starts-at', at(t)])).stdout).appointment!);
    const listed = await cli(['appointments', '--day', day, '--clinician', 'gp-cli-day']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`appointments on ${day} (2)`);
    expect(lines.slice(1).map((l) => [l.trim().slice(0, 5), l.includes(made[1]!) ? made[1] : l.includes(made[0]!) ? made[0] : '?', /Pat (\S+)/.exec(l)?.[1]])).toEqual([
      ['09:00', made[1], '09:00'],
      ['10:00', made[0], '10:00'],
    ]);
    const asJson = JSON.parse((await cli(['appointments', '--day', day, '--clinician', 'gp-cli-day', '--json'])).stdout) as { id: string }[];
    expect(asJson.map((a) => a.id)).toEqual([made[1], made[0]]);

    // A link of an appointment happening now: re-issued, the old refused and the new working.
    const now = fields((await cli([...CREATE, '--starts-at', soon()])).stdout);
    const re = await cli(['reissue-link', '--appointment', now.appointment!, '--link', now['patient link']!]);
    expect(re).toMatchObject({ code: 0, stderr: '' });
    const rf = fields(re.stdout);
    expect(rf).toMatchObject({ role: 'patient', replaced: `${now['patient link']!} (refused from now on)` });
    expect((await new Device(s.url).redeem(now.patient!)).status).toBe(410);
    expect((await new Device(s.url).redeem(rf.link!)).status).toBe(200);

    const moved = await cli(['reschedule', '--appointment', made[0]!, '--starts-at', at('11:30'), '--duration', '20', '--links', 'reissue']);
    expect(moved).toMatchObject({ code: 0, stderr: '' });
    expect(fields(moved.stdout)).toMatchObject({ appointment: made[0], starts: `${at('11:30')}, 20 minutes`, links: '1 re-issued' });
    const kept = await cli(['reschedule', '--appointment', made[1]!, '--starts-at', at('12:00'), '--links', 'keep']);
    expect(fields(kept.stdout)).toMatchObject({ links: 'kept: the same links work at the new time' });

    const cancelled = await cli(['cancel', '--appointment', now.appointment!]);
    expect(cancelled).toMatchObject({ code: 0, stderr: '', stdout: expect.stringMatching(new RegExp(`^cancelled appointment ${now.appointment!} at `)) as string });
    const r = await new Device(s.url).redeem(rf.link!);
    expect(r.status).toBe(410);
    expect(await r.json()).toMatchObject({ code: 'APPOINTMENT_CANCELLED' });
    expect(await cli(['cancel', '--appointment', now.appointment!])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^INVALID_TRANSITION: /) as string });
    const after = JSON.parse((await cli(['appointments', '--day', day, '--clinician', 'gp-cli-day', '--json'])).stdout) as { id: string; startsAt: string; durationMinutes: number }[];
    expect(after.map((a) => [a.id, a.startsAt, a.durationMinutes])).toEqual([
      [made[0], at('11:30'), 20],
      [made[1], at('12:00'), 15],
    ]);
  });

  it("clinician-token prints a console link for the clinician's day", async () => {
    const r = await cli(['clinician-token', '--clinician-id', 'gp-9', '--clinician-name', 'Dr Ben Ross']);
    expect(r.code).toBe(0);
    const url = r.stdout.trim();
    expect(url).toMatch(new RegExp(`^${s.url}/console#t=[^&]+$`));
    const laptop = new Device(s.url);
    expect(await (await laptop.redeem(url)).json()).toMatchObject({ kind: 'clinician', clinicianId: 'gp-9', name: 'Dr Ben Ross' });
    expect((await laptop.fetch('GET', '/api/v1/clinician/appointments')).status).toBe(200);
  });

  it("status shows this node's one worker, its store and that it is not draining", async () => {
    const text = await cli(['status']);
    expect(text.code).toBe(0);
    expect(fields(text.stdout)).toMatchObject({ store: 'memory', draining: 'no', workers: '1 (1 alive)', consultations: '0 active' });
    const json = await cli(['status', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      workers: [{ index: 0, pid: s.deps.pool.status()[0]!.pid, alive: true, routers: 0, port: s.config.mediasoup.port }],
      consultationsActive: 0,
      socketConnections: 0,
      draining: false,
      store: 'memory',
    });
  });

  it('audit-export writes an export that audit-verify passes, and a tampered one fails', async () => {
    const file = path.join(dir, 'audit.ndjson');
    const exported = await cli(['audit-export', '--out', file]);
    expect(exported.code).toBe(0);
    const records = await auditRecords();
    expect(exported.stderr).toContain(`wrote ${file} (${String(records)} records)`);
    const ok = await cli(['audit-verify', file]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK: \d+ records, chain intact/);

    const lines = (await readFile(file, 'utf8')).split('\n');
    const at = lines.findIndex((l) => l.includes('"action":"link.issued"'));
    lines[at] = lines[at]!.replace('"action":"link.issued"', '"action":"link.revoked"');
    await writeFile(path.join(dir, 'tampered.ndjson'), lines.join('\n'));
    const bad = await cli(['audit-verify', path.join(dir, 'tampered.ndjson')]);
    expect(bad).toMatchObject({ code: 1, stdout: expect.stringMatching(new RegExp(`^FAIL at line ${String(at + 1)} `)) as string });

    const id = fields((await cli([...CREATE, '--starts-at', soon()])).stdout).appointment!;
    const one = await cli(['audit-export', '--appointment', id]);
    expect(one.code).toBe(0);
    const trailer = JSON.parse(one.stdout.trimEnd().split('\n').at(-1)!) as { export: Record<string, unknown> };
    expect(trailer.export).toMatchObject({ complete: false, records: 2, appointmentId: id });
  });

  it('create-api-key prints a scoped key once; api-keys lists it without the secret; revoke-api-key stops it', async () => {
    const made = await cli(['create-api-key', '--name', 'Booking system', '--scope', 'appointments:read', '--scope', 'appointments:write']);
    expect(made.code).toBe(0);
    expect(made.stderr).toMatch(/^Store the key now .*shown this once/);
    const f = fields(made.stdout);
    expect(f.key).toMatch(/^cr_[A-Za-z0-9_-]{22}_[A-Za-z0-9_-]{43}$/);
    expect(f.key!.slice(3, 25)).toBe(f.id);
    expect(f).toMatchObject({ scopes: 'appointments:read, appointments:write', clinic: 'any' });

    // The new key does what its scopes allow, and nothing else.
    const asKey = { CONSULTROOM_API_KEY: f.key! };
    expect((await cli([...CREATE, '--starts-at', soon()], asKey)).code).toBe(0);
    expect(await cli(['status'], asKey)).toMatchObject({ code: 1, stderr: 'SCOPE_MISSING: This API key does not have the scope this needs.\n  - scope: needs admin\n' });

    const listed = await cli(['api-keys']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^  ${f.id!.replace(/-/g, '\\-')}  active  appointments:read,appointments:write  "Booking system"  made \\S+ by api:config-1, last used `, 'm'));
    expect(listed.stdout).toMatch(/^ {2}config-1 {16}active {2}admin {2}"configured key 1 \(API_KEYS\)"/m);
    expect(listed.stdout).not.toContain(f.key!.slice(26));
    const json = JSON.parse((await cli(['api-keys', '--json'])).stdout) as { id: string; revokedAt?: string }[];
    expect(json.find((k) => k.id === f.id)).toBeDefined();

    expect(await cli(['revoke-api-key', f.id!])).toMatchObject({ code: 0, stdout: `revoked API key ${f.id!}\n` });
    expect(await cli(['show', '--appointment', 'AAAAAAAAAAAAAAAAAAAAAA'], asKey)).toMatchObject({ code: 1, stderr: 'UNAUTHENTICATED: That API key is not valid.\n' });
    const after = JSON.parse((await cli(['api-keys', '--json'])).stdout) as { id: string; revokedAt?: string }[];
    expect(after.find((k) => k.id === f.id)?.revokedAt).toMatch(/^\d{4}-/);
    expect((await cli(['api-keys'])).stdout).toContain(`${f.id!}  REVOKED `);
  });

  it('create-api-key --clinic makes a key bound to that clinic', async () => {
    expect(await cli(['create-clinic', '--id', 'cli-derm', '--name', 'Dermatology'])).toMatchObject({ code: 0, stdout: 'created clinic cli-derm  Dermatology\n' });
    const made = await cli(['create-api-key', '--name', 'Derm booking', '--scope', 'appointments:write', '--clinic', 'cli-derm']);
    expect(made.code).toBe(0);
    expect(fields(made.stdout)).toMatchObject({ scopes: 'appointments:write', clinic: 'cli-derm' });
    const other = await cli(['create-appointment', ...CREATE.slice(1), '--starts-at', soon(), '--clinic', 'cli-other'], { CONSULTROOM_API_KEY: fields(made.stdout).key! });
    expect(other).toMatchObject({ code: 1, stderr: expect.stringMatching(/^BAD_REQUEST: This credential creates appointments only in clinic cli-derm/) as string });
    expect((await cli(['create-api-key', '--name', 'x', '--scope', 'admin', '--clinic', 'no-such-clinic'])).stderr).toBe('NOT_FOUND: No such clinic.\n  - body.clinicId: no such clinic\n');
  });

  it('sessions, revoke-session and revoke-sessions end a staff member\'s sessions', async () => {
    const laptop = new Device(s.url);
    const phone = new Device(s.url);
    for (const d of [laptop, phone]) {
      const url = (await cli(['clinician-token', '--clinician-id', 'gp-12', '--clinician-name', 'Dr Cy Ng'])).stdout.trim();
      expect((await d.redeem(url)).status).toBe(200);
    }
    const listed = await cli(['sessions', '--user', 'gp-12']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^sessions \(2\)\n/);
    const ids = (JSON.parse((await cli(['sessions', '--user', 'gp-12', '--json'])).stdout) as { id: string }[]).map((x) => x.id);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(listed.stdout).toContain(`  ${id}  ticket`);

    expect(await cli(['revoke-session', ids[0]!])).toMatchObject({ code: 0, stdout: `revoked session ${ids[0]!}\n` });
    expect(await cli(['revoke-session', ids[0]!])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^NOT_FOUND: /) as string });
    expect(await cli(['revoke-sessions', '--user', 'gp-12'])).toMatchObject({ code: 0, stdout: 'revoked 1 session\n' });
    expect((await cli(['sessions', '--user', 'gp-12'])).stdout).toBe('sessions (0)\n');
    for (const d of [laptop, phone]) expect((await d.fetch('GET', '/api/v1/clinician/appointments')).status).toBe(401);
  });

  it('clinics, create-clinic, rename-clinic, members, set-member and remove-member', async () => {
    expect(await cli(['create-clinic', '--id', 'cli-cardio', '--name', 'Cardiology'])).toMatchObject({ code: 0, stdout: 'created clinic cli-cardio  Cardiology\n' });
    expect(await cli(['create-clinic', '--id', 'cli-cardio', '--name', 'Again'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^ALREADY_EXISTS: /) as string });
    expect(await cli(['rename-clinic', 'cli-cardio', '--name', 'Cardiology, North'])).toMatchObject({ code: 0, stdout: 'renamed clinic cli-cardio  Cardiology, North\n' });
    expect((await cli(['clinics'])).stdout).toContain('  cli-cardio  Cardiology, North\n');
    expect(await cli(['set-member', 'cli-cardio', '--user', 'nurse-4', '--role', 'clinic-coordinator', '--role', 'clinician'])).toMatchObject({
      code: 0,
      stdout: 'nurse-4 in cli-cardio: clinic-coordinator, clinician\n',
    });
    const members = await cli(['members', 'cli-cardio']);
    expect(members.stdout).toMatch(/^members of cli-cardio \(1\)\n {2}nurse-4 {2}(clinic-coordinator,clinician|clinician,clinic-coordinator) {2}\(set here, /);
    expect(await cli(['remove-member', 'cli-cardio', '--user', 'nurse-4'])).toMatchObject({ code: 0, stdout: 'removed nurse-4 from cli-cardio\n' });
    expect((await cli(['members', 'cli-cardio'])).stdout).toBe('members of cli-cardio (0)\n');
    expect(await cli(['members', 'cli-none'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^NOT_FOUND: /) as string });
  });

  it('takes the API key from --api-key-file', async () => {
    const keyFile = path.join(dir, 'key');
    await writeFile(keyFile, `# the booking system's key\n${TEST_API_KEY}\n`);
    expect((await cli(['status', '--api-key-file', keyFile], { CONSULTROOM_API_KEY: '' })).code).toBe(0);
  });

  it('exits 1 with the server\'s "CODE: message" when the server refuses', async () => {
    expect(await cli(['show', '--appointment', 'AAAAAAAAAAAAAAAAAAAAAA'])).toMatchObject({ code: 1, stdout: '', stderr: 'NOT_FOUND: No such appointment.\n' });
    // One id in 64 starts with '-': it is still the option's value, not an option.
    expect(await cli(['show', '--appointment', '-AAAAAAAAAAAAAAAAAAAAA'])).toMatchObject({ code: 1, stdout: '', stderr: 'NOT_FOUND: No such appointment.\n' });
    // ... and as a command's ID.
    expect(await cli(['revoke-api-key', '-AAAAAAAAAAAAAAAAAAAAA'])).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^NOT_FOUND: No such API key/) as string });
    expect(await cli(['status'], { CONSULTROOM_API_KEY: 'not-the-key' })).toMatchObject({ code: 1, stderr: 'UNAUTHENTICATED: That API key is not valid.\n' });
    const long = await cli([...CREATE, '--starts-at', soon(), '--duration', '600']);
    expect(long).toMatchObject({ code: 1, stderr: 'BAD_REQUEST: The request is not in the expected form.\n  - body.durationMinutes: must be <= 240\n' });
    const down = await cli(['status', '--url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:9: /);
  });

  it('exits 2 on bad options, naming the problem and sending nothing', async () => {
    const before = await auditRecords();
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [[], /usage: npm run cli -- <command>/],
      [['frobnicate'], /^error: unknown command "frobnicate"/],
      [['create-appointment'], /^error: create-appointment needs --clinician-id ID, --clinician-name NAME, --patient-name NAME, --starts-at TIME, --duration MINUTES/],
      [[...CREATE, '--starts-at', '2030-01-01T10:00'], /^error: --starts-at must be an ISO 8601 date-time with a zone/],
      [[...CREATE.slice(0, -1), 'ten', '--starts-at', soon()], /^error: --duration must be a whole number of minutes \(got "ten"\)/],
      [[...CREATE, '--starts-at', soon(), '--colour', 'blue'], /^error: unknown option --colour for create-appointment/],
      [['invite', '--appointment', 'AAAAAAAAAAAAAAAAAAAAAA', '--name', 'Sam', '--role', 'doctor'], /^error: --role must be one of interpreter, family, carer, other/],
      [['show', '--appointment', '../../etc'], /^error: --appointment must be an id/],
      [['revoke-link', '--appointment', 'AAAAAAAAAAAAAAAAAAAAAA'], /^error: revoke-link needs --link ID/],
      [['status', '--url', 'ftp://x'], /^error: --url must be an http:\/\/ or https:\/\/ URL/],
      [['status'], /^error: no API key: set CONSULTROOM_API_KEY or pass --api-key-file FILE/, { CONSULTROOM_API_KEY: '' }],
      [['status', '--api-key-file', path.join(dir, 'none')], /^error: cannot read --api-key-file .*: ENOENT/],
      [['audit-verify'], /^error: audit-verify needs exactly one FILE/],
      [['audit-verify', path.join(dir, 'none')], /^error: cannot read .*: ENOENT/],
      [['audit-export', '--from', 'yesterday'], /^error: --from must be an ISO 8601 date-time/],
      [['create-api-key', '--name', 'x'], /^error: create-api-key needs --scope SCOPE/],
      [['create-api-key', '--name', 'x', '--scope', 'everything'], /^error: --scope must be one of appointments:read, appointments:write, audit:read, clinics:write, admin \(got "everything"\)/],
      [['create-api-key', '--name', 'x', '--scope', 'admin', '--scope', 'admin'], /^error: --scope is given twice/],
      [['create-api-key', '--name', 'x', '--scope', 'admin', '--clinic', 'Derm North'], /^error: --clinic must be a clinic id/],
      [['revoke-api-key'], /^error: revoke-api-key needs exactly one ID/],
      [['revoke-api-key', 'cr_not-an-id'], /^error: ID must be an id/],
      [['revoke-session', 'config-1'], /^error: ID must be an id/],
      [['sessions'], /^error: sessions needs --user USER/],
      [['revoke-sessions', '--user', 'has space'], /^error: --user must be a staff member's id/],
      [['create-clinic', '--id', '-bad', '--name', 'X'], /^error: --id must be a clinic id/],
      [['set-member', 'cli-x', '--user', 'u1', '--role', 'trust-admin'], /^error: --role must be one of clinician, clinic-coordinator, clinic-admin/],
      [['members'], /^error: members needs exactly one CLINIC/],
      [['appointments'], /^error: appointments needs --day DATE/],
      [['appointments', '--day', '2030-02-30', '--clinic', 'cli-x'], /^error: --day must be a date, YYYY-MM-DD \(got "2030-02-30"\)/],
      [['appointments', '--day', '2030-02-03', '--clinician', 'has space'], /^error: --clinician must be a clinician's id/],
      [['reissue-link', '--appointment', 'AAAAAAAAAAAAAAAAAAAAAA'], /^error: reissue-link needs --link ID/],
      [['cancel', '--appointment', 'nope'], /^error: --appointment must be an id/],
      [['reschedule', '--appointment', 'AAAAAAAAAAAAAAAAAAAAAA', '--starts-at', '2030-01-01T10:00Z'], /^error: reschedule needs --links keep\|reissue/],
      [['reschedule', '--appointment', 'AAAAAAAAAAAAAAAAAAAAAA', '--starts-at', '2030-01-01T10:00Z', '--links', 'maybe'], /^error: --links must be keep or reissue \(got "maybe"\)/],
      [['reschedule', '--appointment', 'AAAAAAAAAAAAAAAAAAAAAA', '--starts-at', 'tomorrow', '--links', 'keep'], /^error: --starts-at must be an ISO 8601 date-time with a zone/],
    ];
    const runs = await Promise.all(cases.map(([args, , env]) => cli(args, env)));
    runs.forEach((r, i) => {
      const [args, message] = cases[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(message);
    });
    expect(await auditRecords()).toBe(before);
  });

  it('--help for each command shows its usage and exits 0', async () => {
    const main = await cli(['--help']);
    expect(main.code).toBe(0);
    const commands = [
      'create-appointment',
      'invite',
      'clinician-token',
      'revoke-link',
      'show',
      'status',
      'audit-export',
      'audit-verify',
      'api-keys',
      'create-api-key',
      'revoke-api-key',
      'sessions',
      'revoke-session',
      'revoke-sessions',
      'clinics',
      'create-clinic',
      'rename-clinic',
      'members',
      'set-member',
      'remove-member',
      'appointments',
      'reissue-link',
      'cancel',
      'reschedule',
      'nodes',
      'drain',
    ];
    for (const c of commands) expect(main.stdout).toContain(`  ${c} `);
    const runs = await Promise.all(commands.map((c) => cli([c, '--help'], { CONSULTROOM_API_KEY: '' })));
    runs.forEach((r, i) => {
      expect(r.code, commands[i]).toBe(0);
      expect(r.stdout, commands[i]).toContain(`usage: npm run cli -- ${commands[i]!}`);
    });
  });
});
