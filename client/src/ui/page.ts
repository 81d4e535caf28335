// Bits both pages share: the test hooks, error views, the preview figure.
import type { ThreadItemView } from '../../../server/wire/thread.ts';
import { ApiError } from '../net/api.ts';
import { h, setStatus, showView } from './dom.ts';
import type { ReceiveStats } from '../model/media-session.ts';
import type { DeviceControls } from './device-controls.ts';
import { describeProblem } from './messages.ts';
import { ClientError } from '../net/rpc.ts';

/** window.consultroomDiagnostics(): what this browser is receiving (null outside a call). */
export function exposeDiagnostics(stats: () => Promise<ReceiveStats> | null): void {
  (window as unknown as { consultroomDiagnostics: () => Promise<ReceiveStats> | null }).consultroomDiagnostics = stats;
}

export function codeOf(e: unknown): { code: string; message: string } {
  if (e instanceof ApiError || e instanceof ClientError) return { code: e.code, message: e.message };
  if (e instanceof Error) return { code: 'INTERNAL', message: e.message };
  return { code: 'INTERNAL', message: '' };
}

/**
 * The error view: a heading, our plain explanation, the server's own words when
 * they add something, and optional buttons (e.g. "Try again").
 */
export function showProblem(code: string, serverMessage: string, actions: HTMLButtonElement[] = []): void {
  const p = describeProblem(code, serverMessage);
  const extra = serverMessage && serverMessage !== p.text ? h('p', { class: 'server-message' }, serverMessage) : null;
  showView('error', h('h1', {}, p.title), h('p', {}, p.text), ...(extra ? [extra] : []), ...(actions.length ? [h('p', {}, ...actions)] : []));
  setStatus(`${p.title}. ${p.text}`, 'error', false);
}

/** The muted self-preview with the device pickers next to it. */
export function previewFigure(local: DeviceControls, caption: string): { figure: HTMLElement; video: HTMLVideoElement } {
  const video = h('video', { autoplay: '', playsinline: '', 'aria-label': 'Your camera' });
  video.muted = true;
  local.attach(video);
  return { figure: h('figure', { class: 'preview' }, video, h('figcaption', {}, caption)), video };
}

/** window.consultroomThread(): the items the page shows (for tests). */
export function exposeThread(items: () => ThreadItemView[]): void {
  (window as unknown as { consultroomThread: () => ThreadItemView[] }).consultroomThread = items;
}
