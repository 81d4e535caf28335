// The error table: each code declared once with its status and the message a
// person reads; content refusals and id checks take their rule from one place.
import { describe, expect, it } from 'vitest';
import { ContentError } from '../../../server/content/content.ts';
import { AppError, ERROR_CODES, ERRORS } from '../../../server/core/errors.ts';
import { isId, randomId } from '../../../server/core/ids.ts';

describe('the error table', () => {
  it('gives every code an HTTP error status and a message to show', () => {
    expect(ERROR_CODES.length).toBeGreaterThan(20);
    for (const code of ERROR_CODES) {
      expect(ERRORS[code].status, code).toBeGreaterThanOrEqual(400);
      expect(ERRORS[code].status, code).toBeLessThan(600);
      expect(ERRORS[code].message, code).toMatch(/^[A-Z].*\.$/);
    }
  });

  it('says the default message unless the throw site says more', () => {
    const plain = new AppError('TOKEN_INVALID');
    expect(plain.toJSON()).toEqual({ code: 'TOKEN_INVALID', message: 'This link is not valid.' });
    expect(plain.status).toBe(401);
    const cause = new Error('why');
    const withOptions = new AppError('RATE_LIMITED', { cause, retryAfterSeconds: 5 });
    expect(withOptions).toMatchObject({ message: ERRORS.RATE_LIMITED.message, status: 429, retryAfterSeconds: 5, cause });
    const specific = new AppError('BAD_REQUEST', 'The message is empty.', { details: [{ key: 'text', problem: 'empty' }] });
    expect(specific.toJSON()).toEqual({ code: 'BAD_REQUEST', message: 'The message is empty.', details: [{ key: 'text', problem: 'empty' }] });
  });

  it('makes a content refusal an AppError with the table status and message for its code', () => {
    for (const code of ['UNSUPPORTED_TYPE', 'CORRUPT_FILE', 'FILE_TOO_COMPLEX'] as const) {
      const e = new ContentError(code);
      expect(e).toBeInstanceOf(AppError);
      expect(e).toMatchObject({ name: 'ContentError', code, status: ERRORS[code].status, message: ERRORS[code].message });
    }
  });
});

describe('isId', () => {
  it('accepts what randomId makes and nothing else', () => {
    for (let i = 0; i < 50; i++) expect(isId(randomId())).toBe(true);
    for (const bad of [undefined, null, 42, '', 'a'.repeat(21), 'a'.repeat(23), `${'a'.repeat(21)}.`, `${'a'.repeat(21)}\n`, `${'a'.repeat(22)}\n`]) {
      expect(isId(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});
