// The offline worker recipe's own checks, kept running with the rest: the
// libsrtp 3 API layer against libSRTP's known-answer vectors and raw libsrtp2,
// and the recipe's smoke test (Worker, Router, WebRtcTransports, an SRTP pipe
// between two workers) against the worker this project actually runs.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = process.cwd();
const recipe = path.join(root, 'scripts', 'offline-worker');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const srtpDev = has('cc') && has('pkg-config') && spawnSync('pkg-config', ['--exists', 'libsrtp2']).status === 0;
if (!srtpDev && process.env.CI === 'true') throw new Error('CI needs cc, pkg-config and libsrtp2-dev for the libsrtp3 layer test');

describe('offline mediasoup worker recipe', () => {
  it.runIf(srtpDev)('libsrtp3 layer matches libSRTP known-answer vectors and round-trips with libsrtp2', () => {
    const out = execFileSync('bash', [path.join(recipe, 'tests', 'run-srtp-test.sh')], { encoding: 'utf8', env: { ...process.env, TMPDIR: '/tmp' } });
    expect(out).toMatch(/known-answer|KAT|vector/i);
    expect(out).toMatch(/^\d+ passed, 0 failed$/m);
  });

  it('smoke test: workers, transports and an SRTP pipe between two workers', () => {
    const r = spawnSync(process.execPath, [path.join(recipe, 'tests', 'smoke.cjs')], { encoding: 'utf8', env: process.env, timeout: 60_000 });
    expect(r.stderr).not.toMatch(/SMOKE FAILED/);
    expect(r.stdout).toMatch(/plain SRTP suites: .*AEAD_AES_256_GCM: (4[5-9]|50)\/50/);
    expect(r.stdout).toContain('SMOKE OK');
    expect(r.status).toBe(0);
  });
});
