// The HTTP session API, same origin, JSON. The session cookie is HttpOnly:
// the page never sees it, fetch sends it.
import type { ClinicianAppointmentSummary, SessionInfo } from '../../../server/wire/session.ts';

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
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
    const e = (data ?? {}) as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' ? e.code : res.status === 401 ? 'UNAUTHENTICATED' : 'HTTP_' + res.status;
    const message = typeof e.message === 'string' ? e.message : '';
    throw new ApiError(code, message, res.status);
  }
  return data as T;
}

/** Exchanges a link's token for a session (sets the HttpOnly cookie). */
export function createSession(token: string): Promise<SessionInfo> {
  return call<SessionInfo>('POST', '/api/v1/session', { token });
}

/** The session behind the current cookie (a reload); rejects with status 401 when there is none. */
export function currentSession(): Promise<SessionInfo> {
  return call<SessionInfo>('GET', '/api/v1/session');
}

export function endSession(): Promise<void> {
  return call<void>('DELETE', '/api/v1/session');
}

export async function clinicianAppointments(day: string): Promise<ClinicianAppointmentSummary[]> {
  const r = await call<{ appointments: ClinicianAppointmentSummary[] }>('GET', `/api/v1/clinician/appointments?day=${encodeURIComponent(day)}&tz=${new Date().getTimezoneOffset()}`);
  return r.appointments;
}

/**
 * Reads the link's parameters from the URL fragment (never sent to the server
 * by the browser) and removes them from the address bar and history at once.
 */
export function takeFragment(): URLSearchParams {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  if (location.hash) history.replaceState(null, '', location.pathname);
  return params;
}
