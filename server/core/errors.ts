// Typed errors with stable codes. Transports map `status` to HTTP or to a
// socket.io error reply; `message` is safe to show (no patient data, no stack).

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'TOKEN_INVALID'
  | 'TOKEN_EXPIRED'
  | 'LINK_REVOKED'
  | 'LINK_CLOSED'
  | 'LINK_ALREADY_USED'
  | 'APPOINTMENT_NOT_OPEN'
  | 'CONSULTATION_ENDED'
  | 'CONSULTATION_LOCKED'
  | 'CONSULTATION_FULL'
  | 'NOT_ADMITTED'
  | 'NOT_IN_CONSULTATION'
  | 'INVALID_TRANSITION'
  | 'MEDIA_ERROR'
  | 'MEDIA_REJECTED'
  | 'FILE_TOO_LARGE'
  | 'QUOTA_EXCEEDED'
  | 'REQUEST_TIMEOUT'
  | 'UNSUPPORTED_TYPE'
  | 'CORRUPT_FILE'
  | 'FILE_TOO_COMPLEX'
  | 'DELIVERY_FAILED'
  | 'NOT_CONFIGURED'
  | 'SHUTTING_DOWN'
  | 'UNAVAILABLE'
  | 'INTERNAL';

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  LINK_REVOKED: 410,
  /** The clinician denied or removed someone who came through this link: it takes no new device. */
  LINK_CLOSED: 410,
  LINK_ALREADY_USED: 409,
  APPOINTMENT_NOT_OPEN: 403,
  CONSULTATION_ENDED: 410,
  CONSULTATION_LOCKED: 423,
  CONSULTATION_FULL: 409,
  NOT_ADMITTED: 403,
  NOT_IN_CONSULTATION: 403,
  INVALID_TRANSITION: 409,
  MEDIA_ERROR: 500,
  MEDIA_REJECTED: 400,
  FILE_TOO_LARGE: 413,
  QUOTA_EXCEEDED: 413,
  REQUEST_TIMEOUT: 408,
  UNSUPPORTED_TYPE: 415,
  CORRUPT_FILE: 422,
  FILE_TOO_COMPLEX: 422,
  DELIVERY_FAILED: 502,
  NOT_CONFIGURED: 501,
  SHUTTING_DOWN: 503,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Every code, for documentation and exhaustive checks. */
export const ERROR_CODES = Object.keys(STATUS) as ErrorCode[];

export interface ErrorDetail {
  key: string;
  problem: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;
  /** For RATE_LIMITED: sent as the Retry-After header. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { details?: ErrorDetail[]; cause?: unknown; retryAfterSeconds?: number }) {
    super(message, { cause: options?.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = STATUS[code];
    this.details = options?.details;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** What a client may see: code, message and the keys at fault; never a stack. */
  toJSON(): { code: ErrorCode; message: string; details?: ErrorDetail[] } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
