// The patient's words for a clinic's day: when a link opens, honest waiting
// status, and the endings a clinic causes (cancelled, link replaced).
import { describe, expect, it } from 'vitest';
import {
  appointmentWith,
  clinicianAwareText,
  clinicMessageHeading,
  describeEnding,
  describeProblem,
  friendlyTime,
  runningLateText,
} from '../../../client/src/ui/messages.ts';

describe('friendlyTime', () => {
  const now = new Date(2026, 11, 3, 9, 0);

  it('reads as a patient says a time (GOV.UK style): am/pm, midday, today, tomorrow, or the day', () => {
    expect(friendlyTime(new Date(2026, 11, 3, 14, 15).toISOString(), now)).toBe('2:15pm today');
    expect(friendlyTime(new Date(2026, 11, 4, 9, 0).toISOString(), now)).toBe('9am tomorrow');
    expect(friendlyTime(new Date(2026, 11, 8, 14, 15).toISOString(), now)).toBe('2:15pm on Tuesday 8 December');
    expect(friendlyTime(new Date(2026, 11, 8, 0, 5).toISOString(), now)).toBe('12:05am on Tuesday 8 December');
    expect(friendlyTime(new Date(2026, 11, 8, 12, 0).toISOString(), now)).toBe('midday on Tuesday 8 December');
    expect(friendlyTime(new Date(2026, 11, 8, 0, 0).toISOString(), now)).toBe('midnight on Tuesday 8 December');
  });

  it('crosses a month and a year', () => {
    expect(friendlyTime(new Date(2027, 0, 1, 10, 30).toISOString(), new Date(2026, 11, 31, 22, 0))).toBe('10:30am tomorrow');
  });
});

describe('APPOINTMENT_NOT_OPEN with its opening time', () => {
  it('says when the link opens, and the server’s general words are not needed', () => {
    const opensAt = new Date(Date.now() + 5 * 86_400_000).toISOString();
    const p = describeProblem('APPOINTMENT_NOT_OPEN', 'This link is not open yet.', [{ key: 'opensAt', problem: opensAt }]);
    expect(p.title).toBe('Your appointment is not open yet');
    expect(p.text).toBe(`Your link opens at ${friendlyTime(opensAt)}. Please open it again then.`);
    expect(p.retry).toBe(true);
    expect(p.own).toBe(true);
  });

  it('falls back to the general words without a readable time', () => {
    for (const details of [[], [{ key: 'opensAt', problem: 'soon' }], [{ key: 'other', problem: new Date().toISOString() }]]) {
      const p = describeProblem('APPOINTMENT_NOT_OPEN', '', details);
      expect(p.text).toMatch(/^You can join a little before the time of your appointment/);
      expect(p.own).toBeUndefined();
    }
  });
});

describe('a cancelled appointment or a replaced link', () => {
  it('is said plainly, with nothing to try again', () => {
    const refused = describeProblem('APPOINTMENT_CANCELLED', '');
    expect(refused.title).toBe('This appointment has been cancelled');
    expect(refused.retry).toBe(false);
    expect(describeEnding('cancelled', 'guest')).toEqual({
      title: 'This appointment has been cancelled',
      text: 'This appointment has been cancelled. The clinic will contact you.',
      rejoin: false,
    });
    expect(describeEnding('link-reissued', 'guest')).toEqual({
      title: 'This link has been replaced',
      text: 'This link has been replaced. Please use the new link the clinic sent you.',
      rejoin: false,
    });
  });
});

describe('the waiting status', () => {
  it('says whether the clinician knows, and how late they are running', () => {
    expect(clinicianAwareText(true)).toBe('Your clinician knows you are here.');
    expect(clinicianAwareText(false)).toMatch(/^Your clinician will see that you are here when they open/);
    expect(runningLateText(1)).toBe('Your clinician is running about 1 minute late.');
    expect(runningLateText(25)).toBe('Your clinician is running about 25 minutes late.');
  });

  it('names the clinic where there is one', () => {
    const at = new Date().toISOString();
    expect(appointmentWith('Dr Asha Patel', 'Dermatology, North site', at)).toBe(`This appointment is with Dr Asha Patel (Dermatology, North site) at ${friendlyTime(at)}.`);
    expect(friendlyTime(at)).toMatch(/^(\d{1,2}(:\d\d)?(am|pm)|midday|midnight) today$/);
    expect(appointmentWith('Dr Asha Patel', undefined, at)).toMatch(/^This appointment is with Dr Asha Patel at /);
    expect(clinicMessageHeading('Dermatology, North site')).toBe('A message from Dermatology, North site');
    expect(clinicMessageHeading(undefined)).toBe('A message from the clinic');
  });
});
