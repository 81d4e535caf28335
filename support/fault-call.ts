// A live call to break: the server as a child process on SERVER_ADDRESS, a
// clinician and a patient each in Chromium in a network namespace of their
// own, the patient admitted once and both decoding each other's video. The
// e2e recovery tests and `npm run bench -- recovery` share it.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api, createAppointment, type CreatedAppointment } from './api.ts';
import { frameAfter, frameProbe, launchBrowserIn, phase, probedPage } from './fault-browser.ts';
import { faultLab, SERVER_ADDRESS, type BrowserNetwork, type FaultLab } from './netns.ts';
import { startRedisServer, type RedisServerHandle } from './redis-server.ts';
import { serverProcess, type ServerProcess } from './server-process.ts';

export { phase };

export const PATIENT_NAME = 'Jane Doe';
export const CLINICIAN_NAME = 'Dr Asha Patel';

export interface Person {
  net: BrowserNetwork;
  browser: Browser;
  ctx: BrowserContext;
  page: Page;
}

/** The fixture: server, Redis and two browsers, each in its own namespace. */
export interface FaultRig {
  lab: FaultLab;
  redis: RedisServerHandle;
  server: ServerProcess;
  gp: Person;
  patient: Person;
  close(): Promise<void>;
}

export interface RigOptions {
  workers?: number;
  /** More server environment. */
  env?: Record<string, string>;
}

/** Starts Redis (AOF), the server and two browsers; everything started is stopped by close(), also when start-up fails half way. */
export async function faultRig(o: RigOptions = {}): Promise<FaultRig> {
  const stops: (() => Promise<unknown>)[] = [];
  const close = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const lab = await faultLab();
    stops.push(() => lab.close());
    // fsync always: the tests SIGKILL Redis right after a write and expect nothing lost.
    const redis = await startRedisServer({ appendOnly: true, fsync: 'always' });
    stops.push(() => redis.stop());
    // HTTPS: the browsers reach it at 10.77.0.1, where plain http is no secure context (support/fault-browser.ts).
    const server = await serverProcess({ host: SERVER_ADDRESS, tls: true, workers: o.workers ?? 1, redisUrl: redis.url, ...(o.env ? { env: o.env } : {}) });
    stops.push(() => server.close());
    await server.start();
    const cert = server.cert;
    if (!cert) throw new Error('the server has no certificate');
    const person = async (): Promise<Person> => {
      const net = await lab.network();
      const browser = await launchBrowserIn(net, cert);
      stops.push(() => browser.close());
      const { ctx, page } = await probedPage(browser);
      return { net, browser, ctx, page };
    };
    const gp = await person();
    const patient = await person();
    return { lab, redis, server, gp, patient, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * What the call helpers below use: the two people's pages and the base URL
 * the API is reached at (the server's, or a proxy's in front of several
 * nodes). A FaultRig is one.
 */
export interface CallRig {
  server: { url: string };
  gp: { page: Page };
  patient: { page: Page };
}

/** The patient follows the link, consents and joins the waiting room. */
export async function patientJoins(page: Page, apt: CreatedAppointment): Promise<void> {
  await page.goto(apt.patientUrl);
  await phase(page, 'consent');
  await page.getByRole('checkbox').check();
  await page.getByRole('button', { name: /^Join/ }).click();
}

/** A consultation with the patient admitted (one click) and video decoded on both sides. */
export async function liveCall(rig: CallRig): Promise<CreatedAppointment> {
  const apt = await createAppointment(rig.server.url, { patientName: PATIENT_NAME, clinicianId: `gp-${Math.random().toString(36).slice(2, 8)}` });
  await patientJoins(rig.patient.page, apt);
  await phase(rig.patient.page, 'waiting');
  await rig.gp.page.goto(apt.clinicianUrl);
  await phase(rig.gp.page, 'consultation');
  const admit = rig.gp.page.getByRole('button', { name: new RegExp(`^Admit ${PATIENT_NAME}`) });
  await admit.waitFor({ timeout: 20_000 });
  const t0 = Date.now();
  await admit.click();
  await phase(rig.patient.page, 'call');
  await bothDecoding(rig, t0, 30_000);
  return apt;
}

/**
 * Epoch ms at which BOTH pages had presented a remote video frame at or after
 * `after` (the later of the two), waiting up to `ms`.
 */
export async function bothDecoding(rig: CallRig, after: number, ms: number): Promise<number> {
  const [a, b] = await Promise.all([frameAfter(rig.gp.page, after, ms), frameAfter(rig.patient.page, after, ms)]);
  return Math.max(a, b);
}

/** True when both pages keep presenting remote frames: the call is up now. */
export async function stillDecoding(rig: CallRig, ms = 10_000): Promise<boolean> {
  const now = Date.now();
  return bothDecoding(rig, now, ms).then(
    () => true,
    () => false,
  );
}

/** How many times the server's audit trail says someone was admitted to this appointment. */
export async function admissions(base: string, appointmentId: string): Promise<number> {
  const res = await api(base, 'GET', `/api/v1/audit?appointmentId=${encodeURIComponent(appointmentId)}`);
  if (!res.ok) throw new Error(`audit export: ${res.status}`);
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .filter((l) => (JSON.parse(l) as { action?: string }).action === 'participant.admitted').length;
}

/** What a person did and saw since the page loaded: Admit clicks, and whether the patient was ever back in the waiting room. */
export async function seen(page: Page): Promise<{ admitClicks: number; phases: string[]; clicks: string[] }> {
  const p = await frameProbe(page);
  return { admitClicks: p.clicks.filter((c) => c.startsWith('Admit ')).length, phases: p.phases, clicks: p.clicks };
}
