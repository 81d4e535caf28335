// In-page instrumentation, installed with context.addInitScript before any
// page script runs. It timestamps, in the page's own clock
// (performance.timeOrigin + a high-resolution time, i.e. epoch milliseconds):
//   - every button click (the event's own timeStamp), with the button's text;
//   - the first frame presented by every <video> element
//     (requestVideoFrameCallback: presentationTime, and receiveTime for WebRTC);
//   - the first moment a button whose text starts with "Admit " is in the DOM.
import type { Page } from 'playwright-core';

export interface ProbeClick {
  text: string;
  at: number;
}
export interface ProbeFrame {
  label: string;
  /** When the first frame was submitted for composition (decoded), epoch ms. */
  at: number;
  /** When its last packet arrived (WebRTC sources), epoch ms, or null. */
  receivedAt: number | null;
}
export interface ProbeState {
  clicks: ProbeClick[];
  frames: ProbeFrame[];
  admitVisibleAt: number | null;
  /** Each value document.body.dataset.phase took (our pages' screens), with when. */
  phases: { phase: string; at: number }[];
}

type ProbeWindow = Window & {
  __bench?: ProbeState;
  /** Resolves with the first remote frame presented at or after `after` (no polling). */
  __benchRemoteFrame?: (after: number) => Promise<ProbeFrame>;
};

/** Runs inside the page (serialized by Playwright): keep it self-contained. */
export function installProbe(): void {
  const w = window as ProbeWindow;
  if (w.__bench) return;
  const state: ProbeState = { clicks: [], frames: [], admitVisibleAt: null, phases: [] };
  w.__bench = state;
  const epoch = (t: number) => performance.timeOrigin + t;
  document.addEventListener(
    'click',
    (e) => {
      const b = (e.target as Element | null)?.closest?.('button');
      if (b) state.clicks.push({ text: b.textContent ?? '', at: epoch(e.timeStamp) });
    },
    true,
  );
  const waiters: { after: number; resolve: (f: ProbeFrame) => void }[] = [];
  const remote = (f: ProbeFrame, after: number) => f.label.startsWith('Video of') && f.at >= after;
  w.__benchRemoteFrame = (after) =>
    new Promise((resolve) => {
      const seen = state.frames.find((f) => remote(f, after));
      if (seen) resolve(seen);
      else waiters.push({ after, resolve });
    });
  const hooked = new WeakSet<HTMLVideoElement>();
  const hook = (v: HTMLVideoElement) => {
    if (hooked.has(v)) return;
    hooked.add(v);
    v.requestVideoFrameCallback((now, meta) => {
      const m = meta as VideoFrameCallbackMetadata & { receiveTime?: number };
      const f = { label: v.getAttribute('aria-label') ?? '', at: epoch(m.presentationTime ?? now), receivedAt: m.receiveTime ? epoch(m.receiveTime) : null };
      state.frames.push(f);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (remote(f, waiters[i]!.after)) waiters.splice(i, 1)[0]!.resolve(f);
      }
    });
  };
  const scan = () => {
    const phase = document.body?.dataset.phase;
    if (phase && state.phases.at(-1)?.phase !== phase) state.phases.push({ phase, at: epoch(performance.now()) });
    for (const v of document.querySelectorAll('video')) hook(v);
    if (state.admitVisibleAt === null) {
      for (const b of document.querySelectorAll('button')) {
        if ((b.textContent ?? '').startsWith('Admit ')) {
          state.admitVisibleAt = epoch(performance.now());
          break;
        }
      }
    }
  };
  new MutationObserver(scan).observe(document, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['data-phase'] });
}

export async function probeState(page: Page): Promise<ProbeState> {
  return page.evaluate(() => (window as ProbeWindow).__bench ?? { clicks: [], frames: [], admitVisibleAt: null, phases: [] });
}

/** The first remote frame ("Video of ...") presented after `after`, waiting up to `ms` (event-driven in the page). */
export async function firstRemoteFrame(page: Page, after: number, ms: number): Promise<ProbeFrame> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no remote video frame within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([page.evaluate((t) => (window as ProbeWindow).__benchRemoteFrame!(t), after), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The in-page time of the last click on a button whose text starts with `prefix`. */
export async function clickTime(page: Page, prefix: string): Promise<number> {
  const s = await probeState(page);
  const c = s.clicks.filter((x) => x.text.startsWith(prefix)).at(-1);
  if (!c) throw new Error(`no click on "${prefix}…" was seen in the page`);
  return c.at;
}
