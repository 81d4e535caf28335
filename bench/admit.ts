// Benchmark 1, admit to first frame: headless Chromium with fake media on
// loopback; consultations one after another, each created through the API
// and held on our real /console and /join pages via the real links. Measured
// in the pages (bench/lib/page-probe.ts): from the admit click's own event
// time to the first remote video frame presented (requestVideoFrameCallback)
// on the patient's page and on the clinician's. The same flow on bare
// mediasoup (bench/bare/): the "clinician" publishes from the start, the
// "patient" sets up media only when the Admit button is clicked.
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startRedisServer } from '../support/redis-server.ts';
import {
  buildClient,
  endConsultation,
  newAppointment,
  openBare,
  openConsole,
  newProbedPage,
  patientJoins,
  phase,
  startBareMediaServer,
} from './lib/flows.ts';
import { clickTime, firstRemoteFrame, type ProbeFrame } from './lib/page-probe.ts';
import { startOurServer } from './lib/procs.ts';
import { saveResult } from './lib/results.ts';
import { fmt, fmtRatio, ratio, summarize, table, type Summary } from './lib/stats.ts';

export interface AdmitSample {
  patientMs: number;
  clinicianMs: number;
  /** The same, to the arrival of the first frame's last packet (WebRTC receiveTime), when known. */
  patientReceivedMs: number | null;
  clinicianReceivedMs: number | null;
}

export interface AdmitResult {
  runs: number;
  warmup: number;
  ours: { samples: AdmitSample[]; patient: Summary; clinician: Summary; failures: string[] };
  bare: { samples: AdmitSample[]; patient: Summary; clinician: Summary; failures: string[] };
  ratioP50: { patient: number; clinician: number };
  limits: string[];
  wallMs: number;
}

const FRAME_TIMEOUT = 20_000;

async function closeAll(ctxs: BrowserContext[]): Promise<void> {
  for (const c of ctxs) await c.close().catch(() => undefined);
}

async function oursOnce(browser: Browser, base: string, i: number): Promise<AdmitSample> {
  const { apt, name } = await newAppointment(base, i, 'admit');
  const ctxs: BrowserContext[] = [];
  try {
    const gp = await openConsole(browser, apt);
    ctxs.push(gp.ctx);
    const pt = await newProbedPage(browser);
    ctxs.push(pt.ctx);
    await patientJoins(pt.page, apt);
    await phase(pt.page, 'waiting');
    const admit = gp.page.getByRole('button', { name: `Admit ${name}`, exact: true });
    await admit.waitFor({ timeout: 15_000 });
    await admit.click();
    const at = await clickTime(gp.page, 'Admit ');
    const [p, c] = await Promise.all([firstRemoteFrame(pt.page, at, FRAME_TIMEOUT), firstRemoteFrame(gp.page, at, FRAME_TIMEOUT)]);
    await endConsultation(gp.page);
    return sampleOf(p, c, at);
  } finally {
    await closeAll(ctxs);
  }
}

/** Both pages' first remote frames, as times since the Admit click. */
function sampleOf(p: ProbeFrame, c: ProbeFrame, at: number): AdmitSample {
  return {
    patientMs: p.at - at,
    clinicianMs: c.at - at,
    patientReceivedMs: p.receivedAt === null ? null : p.receivedAt - at,
    clinicianReceivedMs: c.receivedAt === null ? null : c.receivedAt - at,
  };
}

async function bareOnce(browser: Browser, base: string, i: number): Promise<AdmitSample> {
  const room = `admit-${i}`;
  const ctxs: BrowserContext[] = [];
  try {
    const gp = await openBare(browser, base, 'c', room);
    ctxs.push(gp.ctx);
    const pt = await openBare(browser, base, 'p', room);
    ctxs.push(pt.ctx);
    await gp.page.getByRole('button', { name: 'Admit patient' }).click();
    const at = await clickTime(gp.page, 'Admit');
    const [p, c] = await Promise.all([firstRemoteFrame(pt.page, at, FRAME_TIMEOUT), firstRemoteFrame(gp.page, at, FRAME_TIMEOUT)]);
    return sampleOf(p, c, at);
  } finally {
    await closeAll(ctxs);
  }
}

export async function runAdmit(o: { runs?: number; warmup?: number; budgetMs?: number } = {}): Promise<AdmitResult> {
  const t0 = Date.now();
  const runs = o.runs ?? 20;
  const warmup = o.warmup ?? 2;
  const budgetMs = o.budgetMs ?? 3.5 * 60_000;
  buildClient();
  const redis = await startRedisServer();
  const ours = await startOurServer({ redisUrl: redis.url, liftRateLimits: true });
  const bare = await startBareMediaServer();
  const browser = await launchBrowser();
  const out = { ours: { samples: [] as AdmitSample[], failures: [] as string[] }, bare: { samples: [] as AdmitSample[], failures: [] as string[] } };
  try {
    // Interleaved, so a change in the machine's load falls on both alike.
    for (let i = 0; i < warmup + runs && Date.now() - t0 < budgetMs; i++) {
      for (const [which, once, base] of [
        ['ours', oursOnce, ours.url],
        ['bare', bareOnce, bare.url],
      ] as const) {
        try {
          const s = await once(browser, base, i);
          if (i >= warmup) out[which].samples.push(s);
        } catch (e) {
          out[which].failures.push(`run ${i}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
    }
  } finally {
    await browser.close();
    await bare.stop();
    await ours.stop();
    await redis.stop();
  }
  const side = (x: { samples: AdmitSample[]; failures: string[] }) => ({
    ...x,
    patient: summarize(x.samples.map((s) => s.patientMs)),
    clinician: summarize(x.samples.map((s) => s.clinicianMs)),
  });
  const o2 = side(out.ours);
  const b2 = side(out.bare);
  const limits = ours.missingOverrides.length
    ? [`POST /api/v1/session allows 20 per minute per address and cannot be raised: ${ours.missingOverrides.join('; ')}`]
    : [];
  return {
    runs,
    warmup,
    ours: o2,
    bare: b2,
    ratioP50: { patient: ratio(o2.patient.p50, b2.patient.p50), clinician: ratio(o2.clinician.p50, b2.clinician.p50) },
    limits,
    wallMs: Date.now() - t0,
  };
}

export function admitTable(r: AdmitResult): string {
  const row = (label: string, a: Summary, b: Summary) => [
    label,
    String(a.n),
    `${fmt(a.p50)}/${fmt(b.p50)}`,
    `${fmt(a.p95)}/${fmt(b.p95)}`,
    `${fmt(a.max)}/${fmt(b.max)}`,
    fmtRatio(ratio(a.p50, b.p50)),
    ratio(a.p50, b.p50) <= 1.2 ? 'yes' : 'NO',
  ];
  return table(
    ['first remote frame after admit', 'n', 'p50 ms o/b', 'p95 ms o/b', 'max ms o/b', 'p50 ratio', '<= 1.2x'],
    [row("patient's page (clinician's video)", r.ours.patient, r.bare.patient), row("clinician's page (patient's video)", r.ours.clinician, r.bare.clinician)],
  );
}

export async function admit(budgetMs?: number): Promise<AdmitResult> {
  console.log('\n== admit to first frame: Chromium, fake media, loopback (o = ours /console + /join, b = bare mediasoup page) ==');
  const r = await runAdmit(budgetMs ? { budgetMs } : {});
  console.log(admitTable(r));
  for (const f of [...r.ours.failures.map((x) => `ours ${x}`), ...r.bare.failures.map((x) => `bare ${x}`)]) console.log(`  FAILED: ${f}`);
  for (const l of r.limits) console.log(`  LIMIT: ${l}`);
  const file = saveResult('admit', r);
  console.log(`  -> ${path.relative(process.cwd(), file)}`);
  return r;
}
