// Benchmark 2, link to waiting list: the clinician's console is open on the
// appointment; the patient's page goes to the one-time link, consents and
// clicks Join. Measured to the moment the "Admit <name>" button is in the
// clinician's page (a MutationObserver in the page, bench/lib/page-probe.ts),
// from page.goto (the Node clock just before it) and from the Join click
// (the click event's own time in the patient's page).
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { buildClient, newAppointment, newProbedPage, openConsole, patientJoins } from './lib/flows.ts';
import { clickTime, probeState } from './lib/page-probe.ts';
import { startOurServer } from './lib/procs.ts';
import { saveResult } from './lib/results.ts';
import { fmt, summarize, table, until, type Summary } from './lib/stats.ts';

export interface LinkSample {
  fromGotoMs: number;
  fromJoinClickMs: number;
  /** goto to the consent screen (page load, session redeemed, details shown). */
  gotoToConsentMs: number;
  /** The automation's share: consent screen to the Join click (checkbox + click). */
  consentToClickMs: number;
}

export interface LinkResult {
  runs: number;
  warmup: number;
  samples: LinkSample[];
  fromGoto: Summary;
  fromJoinClick: Summary;
  gotoToConsent: Summary;
  consentToClick: Summary;
  failures: string[];
  limits: string[];
  wallMs: number;
}

export async function runLink(o: { runs?: number; warmup?: number; budgetMs?: number } = {}): Promise<LinkResult> {
  const t0 = Date.now();
  const runs = o.runs ?? 20;
  const warmup = o.warmup ?? 2;
  const budgetMs = o.budgetMs ?? 1.5 * 60_000;
  buildClient();
  const redis = await startRedisServer();
  const server = await startOurServer({ redisUrl: redis.url, liftRateLimits: true });
  const browser = await launchBrowser();
  const samples: LinkSample[] = [];
  const failures: string[] = [];
  try {
    for (let i = 0; i < warmup + runs && Date.now() - t0 < budgetMs; i++) {
      const ctxs: BrowserContext[] = [];
      try {
        const { apt, name } = await newAppointment(server.url, i, 'link');
        const gp = await openConsole(browser, apt);
        ctxs.push(gp.ctx);
        const pt = await newProbedPage(browser);
        ctxs.push(pt.ctx);
        const gotoAt = await patientJoins(pt.page, apt);
        const clickAt = await clickTime(pt.page, 'Join');
        const visibleAt = await until('the Admit button in the console', async () => (await probeState(gp.page)).admitVisibleAt ?? undefined, 15_000, 10);
        await gp.page.getByRole('button', { name: `Admit ${name}`, exact: true }).waitFor({ timeout: 5000 });
        const consentAt = (await probeState(pt.page)).phases.find((p) => p.phase === 'consent')?.at ?? Number.NaN;
        if (i >= warmup) {
          samples.push({
            fromGotoMs: visibleAt - gotoAt,
            fromJoinClickMs: visibleAt - clickAt,
            gotoToConsentMs: consentAt - gotoAt,
            consentToClickMs: clickAt - consentAt,
          });
        }
      } catch (e) {
        failures.push(`run ${i}: ${(e as Error).message.split('\n')[0]}`);
      } finally {
        for (const c of ctxs) await c.close().catch(() => undefined);
      }
    }
  } finally {
    await browser.close();
    await server.stop();
    await redis.stop();
  }
  return {
    runs,
    warmup,
    samples,
    fromGoto: summarize(samples.map((s) => s.fromGotoMs)),
    fromJoinClick: summarize(samples.map((s) => s.fromJoinClickMs)),
    gotoToConsent: summarize(samples.map((s) => s.gotoToConsentMs)),
    consentToClick: summarize(samples.map((s) => s.consentToClickMs)),
    failures,
    limits: server.missingOverrides.length ? [`cannot raise: ${server.missingOverrides.join('; ')}`] : [],
    wallMs: Date.now() - t0,
  };
}

export function linkTable(r: LinkResult): string {
  const row = (label: string, s: Summary) => [label, String(s.n), fmt(s.p50), fmt(s.p95), fmt(s.max)];
  return table(
    ['patient link to "Admit <name>" in the console', 'n', 'p50 ms', 'p95 ms', 'max ms'],
    [
      row('from page.goto(patient link)', r.fromGoto),
      row('from the Join click', r.fromJoinClick),
      row('  of which: goto to consent screen', r.gotoToConsent),
      row('  of which: consent screen to Join click (automation)', r.consentToClick),
    ],
  );
}

export async function link(budgetMs?: number): Promise<LinkResult> {
  console.log('\n== link to waiting list: Chromium, our /join and /console pages ==');
  const r = await runLink(budgetMs ? { budgetMs } : {});
  console.log(linkTable(r));
  for (const f of r.failures) console.log(`  FAILED: ${f}`);
  for (const l of r.limits) console.log(`  LIMIT: ${l}`);
  const file = saveResult('link', r);
  console.log(`  -> ${path.relative(process.cwd(), file)}`);
  return r;
}
