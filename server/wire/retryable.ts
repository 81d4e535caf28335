// Codes a page retries with backoff (behind "Reconnecting…") instead of
// treating as final: core's one list, in a wire module of its own so a page
// that needs only this does not bundle the schema library.
export { RETRYABLE_CODES } from '../core/errors.ts';
