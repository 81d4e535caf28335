// Bits both pages share: the test hooks, error views, the preview figure,
// retrying a page's requests behind "Reconnecting…", the browser's 'online' hint.
import type { ThreadItemView } from '../../../server/wire/thread.ts';
import { ApiError, createSession, currentSession, withRetry } from '../net/api.ts';
import type { SessionInfo } from '../../../server/wire/session.ts';
import { h, setStatus, showView } from './dom.ts';
import type { ConsultationEnvironment, RecoveryCounters } from '../model/consultation.ts';
import type { ReceiveStats } from '../model/media-session.ts';
import type { DeviceControls } from './device-controls.ts';
import { CONNECTED_AGAIN, describeProblem, RECONNECTING, type ProblemDetail } from './messages.ts';
import { ClientError } from '../net/rpc.ts';
import { t } from '../i18n/i18n.ts';

/** window.consultroomDiagnostics(): what this browser is receiving (null outside a call). */
export function exposeDiagnostics(stats: () => Promise<ReceiveStats> | null): void {
  (window as unknown as { consultroomDiagnostics: () => Promise<ReceiveStats> | null }).consultroomDiagnostics = stats;
}

/**
 * window.consultroomRecovery(): how the open consultation has recovered so far
 * (ICE restarts, media resumed or rebuilt, socket reconnects); null with none open.
 */
export function exposeRecovery(counters: () => RecoveryCounters | null): void {
  (window as unknown as { consultroomRecovery: () => RecoveryCounters | null }).consultroomRecovery = () => {
    const c = counters();
    return c ? { ...c } : null;
  };
}

/** The browser's 'online' event, for the consultation (it reconnects at once instead of waiting out a backoff). */
export function browserEnvironment(): ConsultationEnvironment {
  return {
    onOnline(fn) {
      window.addEventListener('online', fn);
      return () => window.removeEventListener('online', fn);
    },
  };
}

/** Waits ms, or less if the browser comes back online meanwhile. */
function pageSleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener('online', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    window.addEventListener('online', done);
  });
}

/**
 * A page's request, tried again with backoff while it fails with something
 * that is only "not now" (net/api.ts isRetryable): meanwhile the status line
 * says "Reconnecting…", never a final error. `stopped`: give up quietly (the
 * person moved on), throwing the last error.
 */
export async function retrying<T>(fn: () => Promise<T>, stopped?: () => boolean): Promise<T> {
  let retried = false;
  const r = await withRetry(fn, {
    onRetry: () => {
      if (!retried) setStatus(RECONNECTING);
      retried = true;
    },
    sleep: pageSleep,
    ...(stopped ? { stopped } : {}),
  });
  // Whatever the page says next replaces this; until then "Reconnecting…" must not linger.
  if (retried) setStatus(CONNECTED_AGAIN, 'ok');
  return r;
}

export function codeOf(e: unknown): { code: string; message: string; details?: ProblemDetail[] } {
  if (e instanceof ApiError) return { code: e.code, message: e.message, details: e.details };
  if (e instanceof ClientError) return { code: e.code, message: e.message };
  if (e instanceof Error) return { code: 'INTERNAL', message: e.message };
  return { code: 'INTERNAL', message: '' };
}

/**
 * The error view: a heading, our plain explanation and optional buttons (e.g.
 * "Try again"). The server's own message is never shown (it is English, for
 * API clients): our words for its code are (messages.ts).
 */
export function showProblem(code: string, serverMessage: string, actions: HTMLButtonElement[] = [], details: readonly ProblemDetail[] = []): void {
  const p = describeProblem(code, serverMessage, details);
  showView('error', h('h1', {}, p.title), h('p', {}, p.text), ...(actions.length ? [h('p', {}, ...actions)] : []));
  // The focused heading reads the title; the status adds the explanation.
  setStatus(withoutTitle(p.text, p.title), 'error', false);
}

/** A view's text as announced after its (focused, so read) heading: without the title again when it starts with it. */
export function withoutTitle(text: string, title: string): string {
  return text.startsWith(title) ? text.slice(title.length).replace(/^[.:,;]?\s*/, '') || text : text;
}

/** The muted self-preview with the device pickers next to it. */
export function previewFigure(local: DeviceControls, caption: string): { figure: HTMLElement; video: HTMLVideoElement } {
  const video = h('video', { autoplay: '', playsinline: '', 'aria-label': t('join:preview.label') });
  video.muted = true;
  local.attach(video);
  return { figure: h('figure', { class: 'preview' }, video, h('figcaption', {}, caption)), video };
}

/** window.consultroomThread(): the items the page shows (for tests). */
export function exposeThread(items: () => ThreadItemView[]): void {
  (window as unknown as { consultroomThread: () => ThreadItemView[] }).consultroomThread = items;
}

/**
 * The page's session: the link's token exchanged once, or (a reload) the
 * session cookie, retried through transient failures behind "Reconnecting…".
 */
export function openSession(token: string | null, kind?: 'clinician' | 'guest'): Promise<SessionInfo> {
  return retrying(() => (token ? createSession(token) : currentSession(kind)));
}

/** A reload (no token) whose session is gone: the link has to be opened again. */
export const sessionMissing = (e: unknown, token: string | null): boolean => !token && e instanceof ApiError && e.status === 401;
