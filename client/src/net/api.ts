// The HTTP session API, same origin, JSON. The session cookie is HttpOnly:
// the page never sees it, fetch sends it. Also the one rule for which failures
// are "not now" (retried with backoff behind "Reconnecting…") and how long to
// wait between tries.
import { RETRYABLE_CODES } from '../../../server/wire/retryable.ts';
import type { SignedOut } from '../../../server/wire/auth.ts';
import type { ClinicianAppointmentSummary, SessionInfo } from '../../../server/wire/session.ts';

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** The server's Retry-After, in ms (null when it sent none). */
  readonly retryAfterMs: number | null;
  /** The body's `details` (e.g. APPOINTMENT_NOT_OPEN's opensAt); empty when it had none. */
  readonly details: { key: string; problem: string }[];
  constructor(code: string, message: string, status: number, retryAfterMs: number | null = null, details: { key: string; problem: string }[] = []) {
    super(message);
    this.details = details;
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Codes that mean "not now": the server's RETRYABLE_CODES, plus the page's own
 * NETWORK (fetch failed) and TIMEOUT (a socket request went unanswered).
 */
const RETRYABLE = new Set<string>([...RETRYABLE_CODES, 'NETWORK', 'TIMEOUT']);

/** A proxy in front of a restarting server answers these without our JSON body. */
const RETRYABLE_STATUS = new Set([502, 503, 504]);

/** Whether an error code (HTTP body, socket ack or connect_error) means "not now". */
export function isRetryableCode(code: string): boolean {
  return RETRYABLE.has(code);
}

/** Whether trying the same request again later may work (never shown as a final error). */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof Error) || !('code' in e) || typeof e.code !== 'string') return false;
  return isRetryableCode(e.code) || (e instanceof ApiError && RETRYABLE_STATUS.has(e.status));
}

export interface RetryTiming {
  /** The first wait (ms); each later one doubles, up to maxMs. */
  baseMs: number;
  maxMs: number;
  /** A server's Retry-After is honoured, but kept within [baseMs, retryAfterMaxMs]. */
  retryAfterMaxMs: number;
}

export const RETRY_TIMING: RetryTiming = { baseMs: 500, maxMs: 8000, retryAfterMaxMs: 30_000 };

/**
 * How long to wait before try number `attempt` + 1 (attempt counts from 0):
 * the server's Retry-After when it sent one (within bounds), otherwise
 * exponential backoff with jitter, so pages that lost the server together do
 * not all come back in the same instant.
 */
export function retryDelay(attempt: number, retryAfterMs: number | null, random: () => number = Math.random, t: RetryTiming = RETRY_TIMING): number {
  if (retryAfterMs !== null) return Math.min(t.retryAfterMaxMs, Math.max(t.baseMs, retryAfterMs));
  const ceiling = Math.min(t.maxMs, t.baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling * (0.5 + random() / 2));
}

export interface RetryOptions {
  /** Told before each wait: the page says "Reconnecting…". */
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
  /** Waits ms (the page's version also wakes early when the browser comes back online). */
  sleep?: (ms: number) => Promise<void>;
  /** Stops retrying (the last error is thrown) once this returns true. */
  stopped?: () => boolean;
  random?: () => number;
  timing?: RetryTiming;
}

/** Runs fn until it succeeds or fails with something that is not retryable. */
export async function withRetry<T>(fn: () => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isRetryable(e) || o.stopped?.()) throw e;
      const delay = retryDelay(attempt, e instanceof ApiError ? e.retryAfterMs : null, o.random, o.timing);
      o.onRetry?.(attempt, delay, e);
      await sleep(delay);
      if (o.stopped?.()) throw e;
    }
  }
}

/** Retry-After as seconds or an HTTP date, in ms from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

async function call<T>(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('NETWORK', 'We could not reach the video service.', 0);
  }
  if (res.status === 204) return undefined as T;
  let data: unknown;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
    const code = typeof e.code === 'string' ? e.code : res.status === 401 ? 'UNAUTHENTICATED' : 'HTTP_' + res.status;
    const message = typeof e.message === 'string' ? e.message : '';
    const details = Array.isArray(e.details)
      ? (e.details as unknown[]).filter(
          (d): d is { key: string; problem: string } =>
            typeof d === 'object' && d !== null && typeof (d as { key?: unknown }).key === 'string' && typeof (d as { problem?: unknown }).problem === 'string',
        )
      : [];
    throw new ApiError(code, message, res.status, parseRetryAfter(res.headers.get('retry-after')), details);
  }
  return data as T;
}

/** Exchanges a link's token for a session (sets the HttpOnly cookie). */
export function createSession(token: string): Promise<SessionInfo> {
  return call<SessionInfo>('POST', '/api/v1/session', { token });
}

/**
 * The session behind the current cookie (a reload); rejects with status 401
 * when there is none. `kind: 'clinician'` asks for the staff session only: with
 * sign-in configured, its absence is SIGN_IN_REQUIRED.
 */
export function currentSession(kind?: 'clinician' | 'guest'): Promise<SessionInfo> {
  return call<SessionInfo>('GET', kind ? `/api/v1/session?kind=${kind}` : '/api/v1/session');
}

/** Ends this browser's staff session; the answer says where to go (the provider's sign-out, or /signed-out). */
export function signOutStaff(): Promise<SignedOut> {
  return call<SignedOut>('POST', '/auth/logout');
}

/** Where the browser signs in at the identity provider, coming back to `returnTo` (a path on this server). */
export const signInUrl = (returnTo: string): string => `/auth/login?returnTo=${encodeURIComponent(returnTo)}`;

export function endSession(): Promise<void> {
  return call<void>('DELETE', '/api/v1/session');
}

/** `background`: the page's own periodic refresh, which does not count as use (the session can still go idle). */
export async function clinicianAppointments(day: string, background = false): Promise<ClinicianAppointmentSummary[]> {
  const query = `day=${encodeURIComponent(day)}&tz=${new Date().getTimezoneOffset()}${background ? '&refresh=background' : ''}`;
  const r = await call<{ appointments: ClinicianAppointmentSummary[] }>('GET', `/api/v1/clinician/appointments?${query}`);
  return r.appointments;
}

/**
 * Reads the link's parameters from the URL fragment (never sent to the server
 * by the browser) and removes them from the address bar and history at once.
 */
export function takeFragment(): URLSearchParams {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  // The query stays: it carries the link's language (?lang=cy), which a reload must keep.
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return params;
}
