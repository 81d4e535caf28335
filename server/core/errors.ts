// Typed errors with stable codes, each declared once below with its HTTP status
// and the message a person reads (as fastify's lib/errors.js does). Transports
// map `status` to HTTP or to a socket.io error reply; `message` is safe to show
// (no patient data, no stack). A throw site passes its own message only where
// the situation says more than the default.

export const ERRORS = {
  BAD_REQUEST: { status: 400, message: 'The request is not in the expected form.' },
  UNAUTHENTICATED: { status: 401, message: 'No session; open your link again.' },
  FORBIDDEN: { status: 403, message: 'You may not do that here.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  /** Staff pages when OpenID Connect is on and there is no staff session: the page goes to /auth/login. */
  SIGN_IN_REQUIRED: { status: 401, message: 'Please sign in.' },
  /** The identity provider's answer was refused (bad ID token, state, nonce, an error from the provider). */
  SIGN_IN_FAILED: { status: 401, message: 'Sign-in did not work. Please try again.' },
  /** Signed in, but no role this service knows (not a clinician, coordinator, admin or auditor). */
  NO_ROLE: { status: 403, message: 'Your account has no role in this service. Ask your administrator for access.' },
  /** A console link (sign-in ticket) is single-use. */
  TICKET_USED: { status: 401, message: 'This console link has already been used. Open it again from your clinical system.' },
  TICKET_EXPIRED: { status: 401, message: 'This console link has expired. Open it again from your clinical system.' },
  TICKET_OTHER_USER: { status: 403, message: 'This console link is for another clinician. Sign out, then sign in as them.' },
  /** A staff member whose roles do not allow the step. */
  NOT_PERMITTED: { status: 403, message: 'Your role does not allow this.' },
  /** An API key without the scope the route declares. */
  SCOPE_MISSING: { status: 403, message: 'This API key does not have the scope this needs.' },
  ALREADY_EXISTS: { status: 409, message: 'That already exists.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; try again later.' },
  TOKEN_INVALID: { status: 401, message: 'This link is not valid.' },
  TOKEN_EXPIRED: { status: 401, message: 'This link has expired. Ask the clinic for a new one.' },
  LINK_REVOKED: { status: 410, message: 'This link has been withdrawn. Ask the clinic for a new one.' },
  /** The clinician denied or removed someone who came through this link: it takes no new device. */
  LINK_CLOSED: { status: 410, message: 'The clinician has closed this link. Please ask the clinic for a new one.' },
  LINK_ALREADY_USED: { status: 409, message: 'This link is already in use on another device. Ask the clinic for a new one.' },
  APPOINTMENT_NOT_OPEN: { status: 403, message: 'This link is not open yet. Please come back closer to your appointment time.' },
  CONSULTATION_ENDED: { status: 410, message: 'This consultation has ended.' },
  APPOINTMENT_CANCELLED: { status: 410, message: 'This appointment has been cancelled. Please contact the clinic.' },
  /** A notification provider (SMS or email) refused or could not be reached; the link itself was made. */
  DELIVERY_UNAVAILABLE: { status: 502, message: 'The message could not be sent. The link was made; give it another way, or try again.' },
  CONSULTATION_LOCKED: { status: 423, message: 'The clinician has locked this consultation. Contact the clinic.' },
  CONSULTATION_FULL: { status: 409, message: 'This consultation is full.' },
  NOT_ADMITTED: { status: 403, message: 'You are in the waiting room; the clinician has not let you in yet.' },
  NOT_IN_CONSULTATION: { status: 403, message: 'You are not in this consultation.' },
  INVALID_TRANSITION: { status: 409, message: 'That cannot be done now.' },
  MEDIA_ERROR: { status: 500, message: 'The media server failed; please try again.' },
  MEDIA_REJECTED: { status: 400, message: 'The media parameters were refused.' },
  FILE_TOO_LARGE: { status: 413, message: 'That file is too large.' },
  QUOTA_EXCEEDED: { status: 413, message: 'This consultation has no room for more files; ask the clinician to share them another way.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request took too long; try again.' },
  UNSUPPORTED_TYPE: { status: 415, message: 'Only photos (JPEG, PNG, HEIC) and PDF documents can be shared.' },
  CORRUPT_FILE: { status: 422, message: 'That file is damaged or incomplete; please try another.' },
  FILE_TOO_COMPLEX: { status: 422, message: 'That photo is too large or too complex to check; please send a smaller one.' },
  DELIVERY_FAILED: { status: 502, message: 'The record system did not accept the file; try again, or use Save to record.' },
  NOT_CONFIGURED: { status: 501, message: 'This is not configured on this server.' },
  SHUTTING_DOWN: { status: 503, message: 'This server is restarting; please try again in a minute.' },
  UNAVAILABLE: { status: 503, message: 'This service is busy; please try again in a moment.' },
  INTERNAL: { status: 500, message: 'Something went wrong on the server.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * Codes that say "not now" rather than "no": a client retries them with
 * backoff (behind "Reconnecting…") instead of showing a final error.
 */
export const RETRYABLE_CODES: readonly ErrorCode[] = ['RATE_LIMITED', 'REQUEST_TIMEOUT', 'MEDIA_ERROR', 'SHUTTING_DOWN', 'UNAVAILABLE'];

/** Every code, for documentation and exhaustive checks. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export interface ErrorDetail {
  key: string;
  problem: string;
}

export interface AppErrorOptions {
  details?: ErrorDetail[];
  cause?: unknown;
  /** For RATE_LIMITED and UNAVAILABLE: sent as the Retry-After header. */
  retryAfterSeconds?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;
  /** For RATE_LIMITED: sent as the Retry-After header. */
  readonly retryAfterSeconds: number | undefined;

  /** `new AppError('TOKEN_INVALID')` says the table's message; pass one only where the situation says more. */
  constructor(code: ErrorCode, options?: AppErrorOptions);
  constructor(code: ErrorCode, message: string, options?: AppErrorOptions);
  constructor(code: ErrorCode, messageOrOptions?: string | AppErrorOptions, maybeOptions?: AppErrorOptions) {
    const message = typeof messageOrOptions === 'string' ? messageOrOptions : ERRORS[code].message;
    const options = typeof messageOrOptions === 'string' ? maybeOptions : messageOrOptions;
    super(message, { cause: options?.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = options?.details;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** What a client may see: code, message and the keys at fault; never a stack. */
  toJSON(): { code: ErrorCode; message: string; details?: ErrorDetail[] } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
