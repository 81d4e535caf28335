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
    expect(await gp.json()).toEqual({ kind: 'clinician', clinicianId: 'gp-7', name: 'Dr Asha Patel' });

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

  it("clinician-token prints a console link for the clinician's day", async () => {
    const r = await cli(['clinician-token', '--clinician-id', 'gp-9', '--clinician-name', 'Dr Ben Ross']);
    expect(r.code).toBe(0);
    const url = r.stdout.trim();
    expect(url).toMatch(new RegExp(`^${s.url}/console#t=[^&]+$`));
    const laptop = new Device(s.url);
    expect(await (await laptop.redeem(url)).json()).toEqual({ kind: 'clinician', clinicianId: 'gp-9', name: 'Dr Ben Ross' });
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
    lines[1] = lines[1]!.replace('"action":"link.issued"', '"action":"link.revoked"');
    await writeFile(path.join(dir, 'tampered.ndjson'), lines.join('\n'));
    const bad = await cli(['audit-verify', path.join(dir, 'tampered.ndjson')]);
    expect(bad).toMatchObject({ code: 1, stdout: expect.stringMatching(/^FAIL at line 2 /) as string });

    const id = fields((await cli([...CREATE, '--starts-at', soon()])).stdout).appointment!;
    const one = await cli(['audit-export', '--appointment', id]);
    expect(one.code).toBe(0);
    const trailer = JSON.parse(one.stdout.trimEnd().split('\n').at(-1)!) as { export: Record<string, unknown> };
    expect(trailer.export).toMatchObject({ complete: false, records: 2, appointmentId: id });
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
    const commands = ['create-appointment', 'invite', 'clinician-token', 'revoke-link', 'show', 'status', 'audit-export', 'audit-verify'];
    for (const c of commands) expect(main.stdout).toContain(`  ${c} `);
    const runs = await Promise.all(commands.map((c) => cli([c, '--help'], { CONSULTROOM_API_KEY: '' })));
    runs.forEach((r, i) => {
      expect(r.code, commands[i]).toBe(0);
      expect(r.stdout, commands[i]).toContain(`usage: npm run cli -- ${commands[i]!}`);
    });
  });
});
