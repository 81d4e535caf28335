// What a link message says: the appointment time as a person reads it, in the
// clinic's time zone, written the GOV.UK way ("Tuesday 8 December at 2:30pm",
// "2pm", "midday"; in Welsh "dydd Mawrth 8 Rhagfyr am 2:30yh"), because the
// message is read on a phone, away from any calendar; and, for a Welsh
// appointment, the whole bilingual text (Welsh first, then English: the Welsh
// Language Standards), written here from the server's catalogues.
import { serverText } from '../i18n/server-text.ts';
import { DEFAULT_LANGUAGE, type Language } from '../wire/language.ts';

/** The time zone of the appointment times in messages (the service runs in the UK). */
export const MESSAGE_TIME_ZONE = 'Europe/London';

/** The Intl locale of each language's day and month names. */
const INTL_LOCALE: Record<Language, string> = { 'en-GB': 'en-GB', cy: 'cy' };

/** "Tuesday 8 December at 2:30pm" (cy: "dydd Mawrth 8 Rhagfyr am 2:30yh") for an ISO time, in `timeZone`. */
export function whenText(iso: string, language: Language = DEFAULT_LANGUAGE, timeZone = MESSAGE_TIME_ZONE): string {
  const parts = new Intl.DateTimeFormat(INTL_LOCALE[language], {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    hour: 'numeric',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const hour = Number(part('hour'));
  const minute = Number(part('minute'));
  // Intl writes Welsh days capitalised ("Dydd Mawrth"); inside a sentence it is "dydd Mawrth".
  const weekday = language === 'cy' ? part('weekday').replace(/^Dydd /, 'dydd ') : part('weekday');
  const day = `${weekday} ${part('day')} ${part('month')}`;
  if (minute === 0 && hour === 12) return serverText(language, 'when.atMidday', { day });
  if (minute === 0 && hour === 0) return serverText(language, 'when.atMidnight', { day });
  return serverText(language, 'when.atTime', { day, time: clockText(hour, minute, language) });
}

/** 14:30 -> "2:30pm", 14:00 -> "2pm", 12:00 -> "midday", 00:00 -> "midnight" (GOV.UK style; cy "2:30yh", "canol dydd"). */
export function clockText(hour: number, minute: number, language: Language = DEFAULT_LANGUAGE): string {
  if (minute === 0 && hour === 12) return serverText(language, 'clock.midday');
  if (minute === 0 && hour === 0) return serverText(language, 'clock.midnight');
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  const time = minute === 0 ? String(h12) : `${h12}:${String(minute).padStart(2, '0')}`;
  return serverText(language, hour < 12 ? 'clock.am' : 'clock.pm', { time });
}

/** The languages a message is written in, in order: a Welsh appointment's are bilingual, Welsh first. */
export function messageLanguages(language: Language): Language[] {
  return language === 'cy' ? ['cy', 'en-GB'] : [language];
}

/** What a message is about. */
export interface MessageFacts {
  kind: 'invite' | 'cancelled';
  /** The one-time link ('' in a cancellation). */
  link: string;
  /** The clinic's name, or '' for an appointment of no clinic. */
  clinic: string;
  clinician: string;
  startsAt: string;
}

/**
 * The text of a text message in `languages` (each language's sentences, one
 * line each, then the link once: it is most of the length). Kept short, and
 * in the Welsh without letters outside the GSM alphabet (â, ŵ, ŷ...), which
 * would make the whole message Unicode: a third as many characters per
 * fragment, so three times the cost.
 */
export function smsText(facts: MessageFacts, languages: readonly Language[]): string {
  const lines = languages.map((lang) => {
    const fields = { clinician: facts.clinician, clinic: facts.clinic, when: whenText(facts.startsAt, lang) };
    if (facts.kind === 'invite') return serverText(lang, facts.clinic ? 'sms.inviteAtClinic' : 'sms.invite', fields);
    return serverText(lang, facts.clinic ? 'sms.cancelledAtClinic' : 'sms.cancelled', fields);
  });
  return facts.kind === 'invite' ? [...lines, facts.link].join('\n') : lines.join('\n');
}

/** The subject and body of an email in `languages` (one block per language, each complete with the link). */
export function emailText(facts: MessageFacts, languages: readonly Language[]): { subject: string; body: string } {
  const subject = languages.map((lang) => serverText(lang, facts.kind === 'invite' ? 'email.subject.invite' : 'email.subject.cancelled')).join(' / ');
  const blocks = languages.map((lang) => {
    const about = [
      serverText(lang, 'email.when', { when: whenText(facts.startsAt, lang) }),
      serverText(lang, 'email.clinician', { clinician: facts.clinician }),
      ...(facts.clinic ? [serverText(lang, 'email.clinic', { clinic: facts.clinic })] : []),
    ].join('\n');
    if (facts.kind === 'cancelled') return [serverText(lang, 'email.cancelled.heading'), about, serverText(lang, 'email.cancelled.contact')].join('\n\n');
    return [serverText(lang, 'email.invite.heading'), about, `${serverText(lang, 'email.invite.join')}\n${facts.link}`, serverText(lang, 'email.invite.oneDevice')].join('\n\n');
  });
  return { subject, body: blocks.join('\n\n\n') };
}
