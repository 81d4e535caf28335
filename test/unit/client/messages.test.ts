// The plain words the client shows for problems, endings, sizes, times and roles.
import { describe, expect, it } from 'vitest';
import {
  asRole,
  describeEnding,
  describeProblem,
  duration,
  errorText,
  fileSize,
  isoDay,
  participantConnection,
  roleLabel,
  sharingProblem,
  shortHash,
  when,
} from '../../../client/src/ui/messages.ts';
import { ClientError } from '../../../client/src/net/rpc.ts';
import { ERROR_CODES } from '../../../server/core/errors.ts';

describe('describeProblem', () => {
  it('explains a known code in our own words and says whether trying again helps', () => {
    const expired = describeProblem('TOKEN_EXPIRED', 'Token expired at 10:00.');
    expect(expired.title).toBe('This link has expired');
    expect(expired.text).toMatch(/ask for a new link/);
    expect(expired.retry).toBe(false);
    expect(describeProblem('CONSULTATION_LOCKED', '').retry).toBe(true);
    expect(describeProblem('NETWORK', '').retry).toBe(true);
  });

  it("never shows the server's words (English, for API clients): an unknown code gets our general words", () => {
    const p = describeProblem('SOMETHING_NEW', 'The disk is full.');
    expect(p.title).toBe('Something went wrong');
    expect(p.text).toMatch(/^Something went wrong on our side/);
    expect(p.retry).toBe(true);
    expect(p.text).not.toMatch(/disk/);
    expect(describeProblem('SOMETHING_NEW', '')).toEqual(p);
  });

  it('has our own words for every error code a page can receive, or deliberately the general ones', () => {
    // API-only codes and file codes (worded by sharingProblem) fall to the general words on purpose.
    const general = new Set(['BAD_REQUEST', 'SCOPE_MISSING', 'ALREADY_EXISTS', 'DELIVERY_UNAVAILABLE', 'MEDIA_REJECTED', 'FILE_TOO_LARGE',
      'QUOTA_EXCEEDED', 'UNSUPPORTED_TYPE', 'CORRUPT_FILE', 'FILE_TOO_COMPLEX', 'DELIVERY_FAILED', 'NOT_CONFIGURED', 'INTERNAL', 'FILE_GONE']);
    const generic = describeProblem('SOMETHING_NEW', '');
    for (const code of [...ERROR_CODES, 'NETWORK', 'TIMEOUT', 'DISCONNECTED', 'FILE_GONE']) {
      const p = describeProblem(code, `server words for ${code}`);
      expect(p.text, code).not.toMatch(/server words/);
      expect(p.title === generic.title, `${code} ${general.has(code) ? 'is meant to get the general words' : 'needs its own words'}`).toBe(general.has(code));
      expect(errorText(new ClientError(code, `server words for ${code}`)), code).not.toMatch(/server words|^reason\./);
      expect(sharingProblem(code, `server words for ${code}`), code).not.toMatch(/server words|^(reason|sharing)\./);
    }
  });
});

describe('errorText', () => {
  it("words a failure by its code or the browser's reason, never by the error's own message", () => {
    expect(errorText(new ClientError('RATE_LIMITED', 'Too many requests; try again later.'))).toBe('There have been too many attempts. Please wait a minute, then try again.');
    expect(errorText(Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' }))).toMatch(/^The browser is not allowed/);
    expect(errorText(new TypeError('Failed to fetch'))).toBe('Something went wrong. Please try again.');
    expect(errorText('nonsense')).toBe('Something went wrong. Please try again.');
    expect(errorText(null)).toBe('Something went wrong. Please try again.');
  });
});

describe('describeEnding', () => {
  it('words the end of a consultation for whoever reads it', () => {
    expect(describeEnding('ended', 'clinician').text).toBe('The consultation has ended for everyone.');
    expect(describeEnding('ended', 'guest').text).toMatch(/^Your clinician has ended the consultation/);
    expect(describeEnding('signed-out', 'clinician').text).toMatch(/console link/);
    expect(describeEnding('signed-out', 'guest').text).toMatch(/appointment link/);
  });

  it('offers joining again only where it can work', () => {
    const rejoin = (['ended', 'removed', 'denied', 'media-lost', 'shutdown', 'left', 'signed-out', 'replaced'] as const).filter(
      (r) => describeEnding(r, 'guest').rejoin,
    );
    expect(rejoin).toEqual(['media-lost', 'shutdown', 'left']);
  });

  it('says plainly when another window or device took over', () => {
    for (const who of ['guest', 'clinician'] as const) {
      expect(describeEnding('replaced', who).text).toMatch(/^This consultation is open in another window or device\./);
    }
  });
});

describe('participantConnection', () => {
  it("words a person's connection trouble for the clinician, and says nothing when all is well", () => {
    expect(participantConnection('reconnecting')).toBe('Connection lost, reconnecting…');
    expect(participantConnection('offline')).toBe('Not connected');
    expect(participantConnection('online')).toBeNull();
  });
});

describe('describeProblem for "not now" codes', () => {
  it('never words a retryable code as a final "Something went wrong"', () => {
    for (const code of ['UNAVAILABLE', 'SHUTTING_DOWN', 'RATE_LIMITED', 'NETWORK', 'TIMEOUT']) {
      const p = describeProblem(code, '');
      expect(p.title).not.toBe('Something went wrong');
      expect(p.retry).toBe(true);
    }
  });
});

describe('fileSize', () => {
  it('counts bytes, then kilobytes, then megabytes with one decimal', () => {
    expect(fileSize(0)).toBe('0 bytes');
    expect(fileSize(1)).toBe('1 byte');
    expect(fileSize(820)).toBe('820 bytes');
    expect(fileSize(1023)).toBe('1023 bytes');
    expect(fileSize(1024)).toBe('1 KB');
    expect(fileSize(245 * 1024 + 300)).toBe('245 KB');
    expect(fileSize(1024 * 1024)).toBe('1.0 MB');
    expect(fileSize(3.44 * 1024 * 1024)).toBe('3.4 MB');
  });
});

describe('when', () => {
  const now = new Date(2025, 11, 2, 9, 0);

  it('says "today" for a time today and names the day otherwise', () => {
    expect(when(new Date(2025, 11, 2, 14, 30).toISOString(), now)).toBe('14:30 today');
    expect(when(new Date(2025, 11, 3, 8, 5).toISOString(), now)).toBe('08:05 on Wednesday 3 December');
  });

  it('leaves a string that is not a time as it is', () => {
    expect(when('soon', now)).toBe('soon');
  });
});

describe('roles', () => {
  it('reads a guest role in a sentence, and a role as a label', () => {
    expect(asRole('interpreter')).toBe('an interpreter');
    expect(asRole('family')).toBe('a family member');
    expect(asRole('carer')).toBe('a carer');
    expect(asRole('something-else')).toBe('a guest');
    expect(roleLabel('family_member')).toBe('Family member');
    expect(roleLabel('patient')).toBe('Patient');
    expect(roleLabel('interpreter')).toBe('Interpreter');
    expect(roleLabel('__')).toBe('Participant');
    expect(roleLabel('something-else')).toBe('Participant');
  });
});

describe('the rest of the formatting', () => {
  it('counts durations in the two largest units', () => {
    expect(duration(-5)).toBe('0 seconds');
    expect(duration(1000)).toBe('1 second');
    expect(duration(192_000)).toBe('3 minutes 12 seconds');
    expect(duration(3_720_000)).toBe('1 hour 2 minutes');
  });

  it('gives the local day, a short fingerprint and plain words for a failed send', () => {
    expect(isoDay(new Date(2025, 0, 7, 23, 59))).toBe('2025-01-07');
    expect(shortHash('0123456789abcdef0123456789abcdef')).toBe('01234567…89abcdef');
    expect(shortHash('abc')).toBe('abc');
    expect(sharingProblem('FILE_TOO_LARGE', 'ignored')).toBe('This file is too big to send.');
    expect(sharingProblem('NEW_CODE', 'The server says why.')).toBe('Something went wrong. Please try again.');
    expect(sharingProblem('FORBIDDEN', 'You may not do that here.')).toBe('You are not allowed to do that here.');
  });
});
