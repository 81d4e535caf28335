// What a link message says, in each language: the time as people say it
// (GOV.UK style in English, its Welsh counterpart), and a Welsh appointment's
// whole bilingual text, Welsh first then English, the SMS short and inside
// the GSM alphabet (so billed at 153 characters a fragment, not 67).
import { describe, expect, it } from 'vitest';
import { clockText, emailText, messageLanguages, smsText, whenText, type MessageFacts } from '../../../server/domain/delivery-text.ts';

const LINK = `https://video.example.nhs.uk/join?lang=cy#t=${'e'.repeat(300)}`;
const invite: MessageFacts = { kind: 'invite', link: LINK, clinic: '', clinician: 'Dr Asha Patel', startsAt: '2030-12-10T14:30:00Z' };
const GSM = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;

describe('the appointment time', () => {
  it('in English, GOV.UK style, UK time', () => {
    expect(whenText('2026-12-08T14:30:00Z')).toBe('Tuesday 8 December at 2:30pm');
    expect(whenText('2026-12-08T14:30:00Z', 'en-GB')).toBe('Tuesday 8 December at 2:30pm');
    expect(whenText('2026-12-08T00:00:00Z')).toBe('Tuesday 8 December at midnight');
    expect(clockText(9, 5)).toBe('9:05am');
  });

  it('in Welsh: day and month names from Intl, "am" then the time, yb/yh, canol dydd mutated after am', () => {
    expect(whenText('2026-12-08T14:30:00Z', 'cy')).toBe('dydd Mawrth 8 Rhagfyr am 2:30yh');
    expect(whenText('2026-07-01T13:00:00Z', 'cy')).toBe('dydd Mercher 1 Gorffennaf am 2yh'); // BST
    expect(whenText('2026-12-08T09:05:00Z', 'cy')).toBe('dydd Mawrth 8 Rhagfyr am 9:05yb');
    expect(whenText('2026-12-08T12:00:00Z', 'cy')).toBe('dydd Mawrth 8 Rhagfyr am ganol dydd');
    expect(whenText('2026-12-08T00:00:00Z', 'cy')).toBe('dydd Mawrth 8 Rhagfyr am hanner nos');
    expect(clockText(12, 0, 'cy')).toBe('canol dydd');
    expect(clockText(23, 45, 'cy')).toBe('11:45yh');
  });
});

describe('a bilingual message', () => {
  it('is Welsh first, then English, for a Welsh appointment; English alone otherwise', () => {
    expect(messageLanguages('cy')).toEqual(['cy', 'en-GB']);
    expect(messageLanguages('en-GB')).toEqual(['en-GB']);
  });

  it('SMS: a Welsh line, an English line, then the link once; in the GSM alphabet', () => {
    const text = smsText(invite, ['cy', 'en-GB']);
    const [cy, en, link, ...rest] = text.split('\n');
    expect(rest).toEqual([]);
    expect(cy).toBe("Eich apwyntiad fideo: dydd Mawrth 10 Rhagfyr am 2:30yh. Clinigydd: Dr Asha Patel. Ymunwch drwy'r ddolen isod. Mae'n gweithio ar un ddyfais yn unig.");
    expect(en).toBe('Your video appointment with Dr Asha Patel is on Tuesday 10 December at 2:30pm. Join with the link below. It works on one device only.');
    expect(link).toBe(LINK);
    expect(text).toMatch(GSM);
    // The words around the link: under two 153-character fragments.
    expect(text.length - LINK.length).toBeLessThanOrEqual(306);
  });

  it('SMS with a clinic, and a cancellation (no link)', () => {
    expect(smsText({ ...invite, clinic: 'Dermatoleg' }, ['cy', 'en-GB'])).toContain('Clinigydd: Dr Asha Patel (Dermatoleg).');
    const cancelled = smsText({ ...invite, kind: 'cancelled', link: '' }, ['cy', 'en-GB']);
    expect(cancelled.split('\n')).toEqual([
      "Mae eich apwyntiad fideo wedi'i ganslo: dydd Mawrth 10 Rhagfyr am 2:30yh, clinigydd Dr Asha Patel. Cysylltwch gyda'r clinig.",
      'Your video appointment with Dr Asha Patel on Tuesday 10 December at 2:30pm is cancelled. Please contact the clinic.',
    ]);
    expect(cancelled).toMatch(GSM);
  });

  it('email: a bilingual subject; a Welsh block then an English one, each with the time, the clinician, the clinic and the link', () => {
    const { subject, body } = emailText({ ...invite, clinic: 'Dermatology North' }, ['cy', 'en-GB']);
    expect(subject).toBe('Eich apwyntiad fideo / Your video appointment');
    const [cy, en] = body.split('\n\n\n');
    expect(cy).toContain('Pryd: dydd Mawrth 10 Rhagfyr am 2:30yh');
    expect(cy).toContain('Clinigydd: Dr Asha Patel');
    expect(cy).toContain('Clinig: Dermatology North');
    expect(cy).toContain(LINK);
    expect(en).toContain('When: Tuesday 10 December at 2:30pm');
    expect(en).toContain('Clinic: Dermatology North');
    expect(en).toContain(LINK);
    expect(body.indexOf('Pryd:')).toBeLessThan(body.indexOf('When:'));
    const cancelled = emailText({ ...invite, kind: 'cancelled', link: '' }, ['cy', 'en-GB']);
    expect(cancelled.subject).toBe("Mae eich apwyntiad fideo wedi'i ganslo / Your video appointment is cancelled");
    expect(cancelled.body).not.toContain('https://');
    expect(cancelled.body).not.toContain('Clinig:');
  });
});
