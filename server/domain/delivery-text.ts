// What a link message says about the appointment: the time as a person reads
// it, in the clinic's time zone, written the GOV.UK way ("Tuesday 8 December
// at 2:30pm", "2pm", "midday"), because the message is read on a phone, away
// from any calendar.

/** The time zone of the appointment times in messages (the service runs in the UK). */
export const MESSAGE_TIME_ZONE = 'Europe/London';

/** "Tuesday 8 December at 2:30pm" for an ISO time, in `timeZone`. */
export function whenText(iso: string, timeZone = MESSAGE_TIME_ZONE): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    hour: 'numeric',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')} ${part('day')} ${part('month')} at ${clockText(Number(part('hour')), Number(part('minute')))}`;
}

/** 14:30 -> "2:30pm", 14:00 -> "2pm", 12:00 -> "midday", 00:00 -> "midnight" (GOV.UK style). */
export function clockText(hour: number, minute: number): string {
  if (minute === 0 && hour === 12) return 'midday';
  if (minute === 0 && hour === 0) return 'midnight';
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  const suffix = hour < 12 ? 'am' : 'pm';
  return minute === 0 ? `${h12}${suffix}` : `${h12}:${String(minute).padStart(2, '0')}${suffix}`;
}
