// Debian's coturn on loopback for a test: TURN REST API auth with a shared
// secret, relaying between loopback peers only, its log captured so a test
// can prove that an allocation was made and data relayed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeMediaPorts } from './ports.ts';

export interface Coturn {
  url: string;
  secret: string;
  log(): string;
  stop(): Promise<void>;
}

export const TURNSERVER = process.env.TURNSERVER_BIN ?? '/usr/bin/turnserver';

export function coturnAvailable(): boolean {
  const ok = existsSync(TURNSERVER) || spawnSync('sh', ['-c', 'command -v turnserver']).status === 0;
  if (!ok && process.env.CI === 'true') throw new Error('CI needs coturn (apt-get install coturn)');
  if (!ok) console.warn('\n[e2e] SKIPPED TURN test: coturn not installed (apt-get install coturn)\n');
  return ok;
}

export async function startCoturn(secret = 'test-turn-secret-0123456789'): Promise<Coturn> {
  const port = await freeMediaPorts(1);
  const relayMin = await freeMediaPorts(20);
  const dir = mkdtempSync(path.join(tmpdir(), 'coturn-'));
  const logFile = path.join(dir, 'turn.log');
  const bin = existsSync(TURNSERVER) ? TURNSERVER : 'turnserver';
  const child: ChildProcess = spawn(
    bin,
    [
      // -c /dev/null: Debian's /etc/turnserver.conf sends the log to syslog.
      '-c', '/dev/null', '--listening-ip=127.0.0.1', `--listening-port=${port}`, '--relay-ip=127.0.0.1',
      `--min-port=${relayMin}`, `--max-port=${relayMin + 19}`,
      '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=consultroom-test',
      '--fingerprint', '--no-tls', '--no-dtls', '--no-cli', '--allow-loopback-peers', '--no-multicast-peers',
      `--log-file=${logFile}`, '--simple-log', '--verbose', `--pidfile=${path.join(dir, 'turn.pid')}`,
    ],
    { stdio: 'ignore' },
  );
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const t0 = Date.now();
  while (!/listener opened on|Total General servers/i.test(log())) {
    if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}: ${log().slice(-2000)}`);
    if (Date.now() - t0 > 10_000) throw new Error(`turnserver did not start: ${log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    secret,
    log,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
