// The CLI's commands for a clinic's day: list appointments (every page),
// re-issue a link, cancel, reschedule. Each is REST (docs/openapi.json), with
// its options checked here first so a mistake sends nothing.
import type { AppointmentPage, AppointmentSummary, Cancelled, Reissued, Rescheduled } from '../../server/wire/appointments.ts';
import { clinicOption } from './access-commands.ts';
import { durationOption, idOption, out, table, timeOption, UsageError, type Command, type Values } from './common.ts';

const USER_RE = /^[\x21-\x7e]{1,128}$/;
/** Pages asked for at most (200 each): a day is never this long; a server that never stops paging is. */
const MAX_PAGES = 50;

function dayOption(values: Values): string {
  const v = String(values.day);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v) {
    throw new UsageError(`--day must be a date, YYYY-MM-DD (got "${v}")`);
  }
  return v;
}

function linksOption(values: Values): 'keep' | 'reissue' {
  const v = String(values.links);
  if (v !== 'keep' && v !== 'reissue') throw new UsageError(`--links must be keep or reissue (got "${v}")`);
  return v;
}

/** "14:30" in this machine's time zone (the day asked for is its local day too). */
const localTime = (iso: string): string => {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
};

const row = (a: AppointmentSummary): string =>
  `  ${localTime(a.startsAt)}  ${String(a.durationMinutes).padStart(3)} min  ${a.status.padEnd(9)}  ${a.id}  ${a.clinician.name} (${a.clinician.id})  ${a.patient.name}${a.waiting > 0 ? `  ${String(a.waiting)} waiting` : ''}${a.clinicId ? `  clinic ${a.clinicId}` : ''}`;

const APPOINTMENT = { value: 'ID', help: 'the appointment', required: true };

export const APPOINTMENT_COMMANDS: Record<string, Command> = {
  appointments: {
    summary: "a clinic's or a clinician's appointments for a day (this machine's local day), by start time",
    options: {
      day: { value: 'DATE', help: 'the day, YYYY-MM-DD', required: true },
      clinic: { value: 'CLINIC', help: "the clinic's appointments (a clinic-bound key: its own, named or not)" },
      clinician: { value: 'ID', help: "the clinician's appointments (their id in your system)" },
    },
    flags: { json: "print the appointments as JSON (every page's, in one list)" },
    server: true,
    async run({ values, api }) {
      const day = dayOption(values);
      const query = new URLSearchParams({ day, tz: String(new Date(`${day}T00:00:00`).getTimezoneOffset()), limit: '200' });
      if (values.clinic !== undefined) query.set('clinicId', clinicOption(String(values.clinic), '--clinic'));
      if (values.clinician !== undefined) {
        const c = String(values.clinician);
        if (!USER_RE.test(c)) throw new UsageError(`--clinician must be a clinician's id: 1 to 128 printable characters, no spaces (got "${c}")`);
        query.set('clinicianId', c);
      }
      const all: AppointmentSummary[] = [];
      for (let page = 0; ; page++) {
        if (page === MAX_PAGES) throw new UsageError(`more than ${String(MAX_PAGES)} pages: narrow the list with --clinic or --clinician`);
        const p = await api.json<AppointmentPage>('GET', `/api/v1/appointments?${query.toString()}`);
        all.push(...p.appointments);
        if (!p.next) break;
        query.set('cursor', p.next);
      }
      if (values.json) out(JSON.stringify(all, null, 2));
      else out([`appointments on ${day} (${String(all.length)})`, ...all.map(row)].join('\n'));
      return 0;
    },
  },
  'reissue-link': {
    summary: "a new link in place of one (a patient's too): the old stops working and whoever came in through it is removed",
    options: {
      appointment: APPOINTMENT,
      link: { value: 'ID', help: 'the link to replace (patient link or invite)', required: true },
    },
    server: true,
    async run({ values, api }) {
      const id = idOption(values, 'appointment');
      const link = idOption(values, 'link');
      const r = await api.json<Reissued>('POST', `/api/v1/appointments/${id}/links/${link}/reissue`, {});
      out(table([
        ['link', r.url],
        ['link id', r.linkId],
        ['role', r.role],
        ['replaced', `${r.replaced} (refused from now on)`],
      ]));
      return 0;
    },
  },
  cancel: {
    summary: 'cancel an appointment: every link refused, anyone waiting told and disconnected',
    options: { appointment: APPOINTMENT },
    server: true,
    async run({ values, api }) {
      const id = idOption(values, 'appointment');
      const r = await api.json<Cancelled>('POST', `/api/v1/appointments/${id}/cancel`, {});
      out(`cancelled appointment ${r.id} at ${r.cancelledAt}`);
      return 0;
    },
  },
  reschedule: {
    summary: 'move an appointment; its links keep working at the new time (keep) or are replaced (reissue)',
    options: {
      appointment: APPOINTMENT,
      'starts-at': { value: 'TIME', help: 'the new start, ISO 8601 with a zone, e.g. 2026-12-01T14:30:00Z', required: true },
      duration: { value: 'MINUTES', help: 'the new length, 5 to 240 (default: unchanged)' },
      links: { value: 'keep|reissue', help: 'keep: the same links work at the new time; reissue: new links, the old refused', required: true },
    },
    server: true,
    async run({ values, api }) {
      const id = idOption(values, 'appointment');
      const body = {
        startsAt: timeOption(values, 'starts-at'),
        ...(values.duration === undefined ? {} : { durationMinutes: durationOption(String(values.duration)) }),
        links: linksOption(values),
      };
      const r = await api.json<Rescheduled>('PATCH', `/api/v1/appointments/${id}`, body);
      out(table([
        ['appointment', r.id],
        ['starts', `${r.startsAt}, ${String(r.durationMinutes)} minutes`],
        ['links', body.links === 'keep' ? 'kept: the same links work at the new time' : `${String(r.links.length)} re-issued`],
      ]));
      for (const l of r.links) out(`  ${l.role.padEnd(11)}  ${l.linkId} (replaces ${l.replaced})  ${l.url}`);
      return 0;
    },
  },
};
