// Chromium inside one browser's network namespace (support/netns.ts), and a
// probe in every page that watches the remote videos' decoded frames, so a
// test or a benchmark can tell when media is back without polling stats.
//
// The server is reached at https://10.77.0.1:PORT (support/server-process.ts
// with tls: true). Our pages need a secure context (getUserMedia) and set
// __Host- Secure session cookies; 10.x over plain http is not a secure
// context. --unsafely-treat-insecure-origin-as-secure makes the page one
// (isSecureContext is true) but Chromium 156 still refuses to store the
// Secure cookies from it (tried; also with the network service in-process),
// so the join page ends at "Please open your link again". HTTPS with a
// certificate made for the test works for both; Chromium trusts exactly that
// certificate (--ignore-certificate-errors-spki-list, a pin of its key), not
// any certificate.
import { createHash, X509Certificate } from 'node:crypto';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.ts';
import { CHROMIUM_IN_NETNS, type BrowserNetwork } from './netns.ts';

/** Chromium's pin for one certificate: base64 SHA-256 of its SubjectPublicKeyInfo. */
function spkiPin(pem: string): string {
  const der = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** Chromium in `net`'s namespace, trusting exactly the server's own certificate (PEM). */
export function launchBrowserIn(net: BrowserNetwork, cert: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_IN_NETNS,
    headless: true,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${spkiPin(cert)}`],
    env: { ...process.env, ...net.env, CHROMIUM_PATH },
  });
}

export interface FrameProbe {
  /** Remote frames presented (all remote videos of the page, summed). */
  frames: number;
  /** When the latest remote frame was presented, epoch ms (page clock), or 0. */
  lastAt: number;
  /** Each value document.body.dataset.phase took, in order (across reloads of the tab). */
  phases: string[];
  /** Text of every button clicked in the tab (across reloads). */
  clicks: string[];
}

/**
 * The few page globals the in-page code below touches. support/ is compiled
 * without the DOM library (it would leak into the server's program), so they
 * are declared here, by shape.
 */
interface VideoShape {
  getAttribute(name: string): string | null;
  requestVideoFrameCallback(cb: (now: number, meta: { presentationTime?: number }) => void): number;
}
interface PageGlobals {
  __faults?: FrameProbe;
  /** Resolves with the epoch ms of the first remote frame presented at or after `after`. */
  __faultsFrameAfter?: (after: number) => Promise<number>;
  /** Resolves with the epoch ms of the first remote frame at or after `after` that ends a pause of at least `gapMs`. */
  __faultsResumeAfter?: (after: number, gapMs: number) => Promise<number>;
  performance: { timeOrigin: number };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  document: {
    body: { dataset: Record<string, string | undefined> } | null;
    addEventListener(type: 'click', fn: (e: { target: { closest?(selector: string): { textContent: string | null } | null } | null }) => void, capture: boolean): void;
    querySelectorAll(selector: 'video'): Iterable<VideoShape>;
  };
  MutationObserver: new (fn: () => void) => { observe(target: unknown, options: object): void };
}

/** Runs in the page before its own scripts (serialized by Playwright: self-contained). */
function installFrameProbe(): void {
  const w = globalThis as unknown as PageGlobals;
  if (w.__faults) return;
  // Phases and clicks outlive a reload of the tab (sessionStorage), so a test sees the whole story.
  const KEY = '__faults';
  let kept: Partial<FrameProbe> = {};
  try {
    kept = JSON.parse(w.sessionStorage.getItem(KEY) ?? '{}') as Partial<FrameProbe>;
  } catch {
    // about:blank and other opaque origins have no sessionStorage
  }
  const state: FrameProbe = { frames: 0, lastAt: 0, phases: kept.phases ?? [], clicks: kept.clicks ?? [] };
  const keep = (): void => {
    try {
      w.sessionStorage.setItem(KEY, JSON.stringify({ phases: state.phases, clicks: state.clicks }));
    } catch {
      // as above
    }
  };
  w.__faults = state;
  const waiters: { after: number; resolve: (at: number) => void }[] = [];
  w.__faultsFrameAfter = (after) =>
    new Promise((resolve) => {
      if (state.lastAt >= after) resolve(state.lastAt);
      else waiters.push({ after, resolve });
    });
  // Frames that end a pause (at least 200 ms without any remote frame): video coming back.
  const resumes: { at: number; gap: number }[] = [];
  const resumeWaiters: { after: number; gapMs: number; resolve: (at: number) => void }[] = [];
  const resumed = (r: { at: number; gap: number }, w2: { after: number; gapMs: number }): boolean => r.at >= w2.after && r.gap >= w2.gapMs;
  w.__faultsResumeAfter = (after, gapMs) =>
    new Promise((resolve) => {
      const seen = resumes.find((r) => resumed(r, { after, gapMs }));
      if (seen) resolve(seen.at);
      else resumeWaiters.push({ after, gapMs, resolve });
    });
  const hooked = new WeakSet<VideoShape>();
  const hook = (v: VideoShape): void => {
    if (hooked.has(v)) return;
    hooked.add(v);
    const onFrame = (now: number, meta: { presentationTime?: number }): void => {
      // Only other people's videos ("Video of <name>"), not one's own preview.
      if ((v.getAttribute('aria-label') ?? '').startsWith('Video of')) {
        const at = w.performance.timeOrigin + (meta.presentationTime ?? now);
        if (at - state.lastAt >= 200) {
          const r = { at, gap: at - state.lastAt };
          resumes.push(r);
          if (resumes.length > 200) resumes.shift();
          for (let i = resumeWaiters.length - 1; i >= 0; i--) if (resumed(r, resumeWaiters[i]!)) resumeWaiters.splice(i, 1)[0]!.resolve(at);
        }
        state.frames++;
        state.lastAt = Math.max(state.lastAt, at);
        for (let i = waiters.length - 1; i >= 0; i--) if (at >= waiters[i]!.after) waiters.splice(i, 1)[0]!.resolve(at);
      }
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
  };
  w.document.addEventListener(
    'click',
    (e) => {
      const b = e.target?.closest?.('button');
      if (b) {
        state.clicks.push(b.textContent ?? '');
        keep();
      }
    },
    true,
  );
  const scan = (): void => {
    const phase = w.document.body?.dataset.phase;
    if (phase && state.phases.at(-1) !== phase) {
      state.phases.push(phase);
      keep();
    }
    for (const v of w.document.querySelectorAll('video')) hook(v);
  };
  new w.MutationObserver(scan).observe(w.document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-phase'] });
}

/** Waits until the page shows the screen `value` (our pages set <body data-phase>). */
export async function phase(page: Page, value: string, timeout = 30_000): Promise<void> {
  try {
    await page.waitForFunction((v) => (globalThis as unknown as PageGlobals).document.body?.dataset.phase === v, value, { timeout, polling: 50 });
  } catch (e) {
    // Say what the page shows instead: the first thing anyone reading a failure wants to know.
    const shown = await page
      .evaluate(() => {
        const d = (globalThis as unknown as { document: { body: { dataset: Record<string, string | undefined>; innerText: string } | null } }).document;
        return `"${d.body?.dataset.phase ?? ''}": ${(d.body?.innerText ?? '').replace(/\s+/g, ' ').slice(0, 300)}`;
      })
      .catch(() => '(page unreadable)');
    throw new Error(`${page.url().split('#')[0]} never showed "${value}" within ${timeout} ms; it shows ${shown}`, { cause: e });
  }
}

/** A fresh context (one person) whose pages all carry the frame probe. */
export async function probedPage(browser: Browser): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext();
  await ctx.addInitScript(installFrameProbe);
  return { ctx, page: await ctx.newPage() };
}

export function frameProbe(page: Page): Promise<FrameProbe> {
  return page.evaluate(() => ({ ...((globalThis as unknown as PageGlobals).__faults ?? { frames: 0, lastAt: 0, phases: [], clicks: [] }) }));
}

/**
 * Epoch ms of the first remote frame this page presents at or after `after`
 * (epoch ms), waiting up to `ms`; rejects when none comes.
 */
export async function frameAfter(page: Page, after: number, ms: number): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no remote video frame within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([page.evaluate((t) => (globalThis as unknown as PageGlobals).__faultsFrameAfter!(t), after), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Epoch ms of the first remote frame at or after `after` that ends a pause of
 * at least `gapMs` without frames: when video came back after a fault, not a
 * frame still in the pipeline as the fault struck. Waits up to `ms`.
 */
export async function resumeAfter(page: Page, after: number, ms: number, gapMs = 500): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`video did not come back within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([page.evaluate(([t, g]) => (globalThis as unknown as PageGlobals).__faultsResumeAfter!(t!, g!), [after, gapMs]), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
