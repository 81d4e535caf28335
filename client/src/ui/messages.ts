// Plain-words text for errors, endings, times and roles, in the page's language
// (the words live in client/src/i18n/<language>/common.json). Codes are never
// shown alone, and the server's own messages (English, for API clients) never are.
// Constants are built with t() as the module loads: i18n.ts has already chosen
// the page's language by then.
import enCommon from '../i18n/en-GB/common.json' with { type: 'json' };
import type { Catalogue } from '../i18n/catalogues.ts';
import { clock, language, list, longDate, number, t } from '../i18n/i18n.ts';

export interface Problem {
  title: string;
  /** Our own kind explanation of what happened and what to do. */
  text: string;
  /** Whether trying the same thing again may help. */
  retry: boolean;
  /** Our words say all the server's do, and more precisely (the server's are not shown). */
  own?: boolean;
}

type Common = Catalogue['common'];
type ProblemCode = keyof Common['problem']['byCode'];
type ReasonCode = keyof Common['reason']['byCode'];
type DeviceErrorName = keyof Common['reason']['device'];
type SharingCode = keyof Common['sharing']['byCode'];

/** Codes with their own title and text, and whether trying again may help. Others get the general words. */
const PROBLEM_RETRY: Record<ProblemCode, boolean> = {
  TOKEN_INVALID: false,
  TOKEN_EXPIRED: false,
  LINK_CLOSED: false,
  LINK_REVOKED: false,
  LINK_ALREADY_USED: false,
  CONSULTATION_ENDED: false,
  APPOINTMENT_NOT_OPEN: true,
  APPOINTMENT_CANCELLED: false,
  CONSULTATION_LOCKED: true,
  CONSULTATION_FULL: false,
  NOT_ADMITTED: true,
  NOT_IN_CONSULTATION: false,
  RATE_LIMITED: true,
  NETWORK: true,
  UNAUTHENTICATED: false,
  FORBIDDEN: false,
  NOT_FOUND: false,
  INVALID_TRANSITION: true,
  DISCONNECTED: true,
  TIMEOUT: true,
  REQUEST_TIMEOUT: true,
  MEDIA_ERROR: true,
  // Staff sign-in and console links (the console page).
  SIGN_IN_REQUIRED: false,
  SIGN_IN_FAILED: true,
  NO_ROLE: false,
  TICKET_USED: false,
  TICKET_EXPIRED: false,
  TICKET_OTHER_USER: false,
  NOT_PERMITTED: false,
  // Pages retry these by themselves; the words are here in case one is ever shown.
  UNAVAILABLE: true,
  SHUTTING_DOWN: true,
};

const has = <K extends string>(table: Record<K, unknown>, key: string): key is K => Object.hasOwn(table, key);

/** One entry of an error's `details` (server/wire/errors.ts). */
export interface ProblemDetail {
  key: string;
  problem: string;
}

/**
 * Our words for an error code. The server's message is not used: it is English,
 * for API clients; a code we have no words for gets the general text.
 * `details`: what the server added to its answer. APPOINTMENT_NOT_OPEN carries
 * {key: 'opensAt', problem: <ISO time>}: then the page says when.
 */
export function describeProblem(code: string, _serverMessage: string, details: readonly ProblemDetail[] = []): Problem {
  const opensAt = details.find((d) => d.key === 'opensAt')?.problem;
  if (code === 'APPOINTMENT_NOT_OPEN' && opensAt && !Number.isNaN(Date.parse(opensAt))) {
    return { title: t('problem.byCode.APPOINTMENT_NOT_OPEN.title'), text: t('problem.opensAt', { when: friendlyTime(opensAt) }), retry: true, own: true };
  }
  if (has(PROBLEM_RETRY, code)) {
    return { title: t(`problem.byCode.${code}.title`), text: t(`problem.byCode.${code}.text`), retry: PROBLEM_RETRY[code] };
  }
  return { title: t('problem.unknown.title'), text: t('problem.unknown.text'), retry: true };
}

export type EndReason =
  | 'ended'
  | 'removed'
  | 'denied'
  | 'media-lost'
  | 'shutdown'
  | 'left'
  | 'signed-out'
  | 'replaced'
  | 'cancelled'
  | 'link-reissued'
  | 'reassigned';

export interface Ending {
  title: string;
  text: string;
  /** Whether joining again can make sense (offer a button). */
  rejoin: boolean;
}

export function describeEnding(reason: EndReason, who: 'guest' | 'clinician'): Ending {
  const clinician = who === 'clinician';
  switch (reason) {
    case 'ended':
      return { title: t('ending.ended.title'), text: clinician ? t('ending.ended.clinicianText') : t('ending.ended.guestText'), rejoin: false };
    case 'removed':
      return { title: t('ending.removed.title'), text: t('ending.removed.text'), rejoin: false };
    case 'denied':
      return { title: t('ending.denied.title'), text: t('ending.denied.text'), rejoin: false };
    case 'media-lost':
      return { title: t('ending.mediaLost.title'), text: t('ending.mediaLost.text'), rejoin: true };
    case 'shutdown':
      return { title: t('ending.shutdown.title'), text: t('ending.shutdown.text'), rejoin: true };
    case 'signed-out':
      return clinician
        ? { title: t('ending.signedOut.clinicianTitle'), text: t('ending.signedOut.clinicianText'), rejoin: false }
        : { title: t('ending.signedOut.guestTitle'), text: t('ending.signedOut.guestText'), rejoin: false };
    case 'replaced':
      return { title: t('ending.replaced.title'), text: t('ending.replaced.text'), rejoin: false };
    case 'cancelled':
      return { title: t('ending.cancelled.title'), text: clinician ? t('ending.cancelled.clinicianText') : t('ending.cancelled.guestText'), rejoin: false };
    case 'link-reissued':
      return { title: t('ending.linkReissued.title'), text: t('ending.linkReissued.text'), rejoin: false };
    case 'reassigned':
      return clinician
        ? { title: t('ending.reassigned.clinicianTitle'), text: t('ending.reassigned.clinicianText'), rejoin: false }
        : { title: t('ending.reassigned.guestTitle'), text: t('ending.reassigned.guestText'), rejoin: true };
    case 'left':
      return { title: t('ending.left.title'), text: clinician ? t('ending.left.clinicianText') : t('ending.left.guestText'), rejoin: true };
  }
}

// ---- connection trouble ----

/** The page's own words while it retries by itself (loading, or the connection dropped). */
export const RECONNECTING = t('connection.reconnecting');

/** The banner for each connection state the consultation reports ('connected' shows none). */
export const CONNECTION_BANNER = {
  reconnecting: t('connection.reconnecting'),
  restarting: t('connection.restarting'),
  lost: t('connection.lost'),
} as const;

/** The one button offered once reconnecting by itself has not worked. */
export const RECONNECT_BUTTON = t('connection.reconnectButton');

/** Said once the connection is back after trouble. */
export const CONNECTED_AGAIN = t('connection.connectedAgain');

/** On a remote tile whose video has stopped arriving (not paused by its sender). */
export const VIDEO_FROZEN = t('connection.videoFrozen');

/** What the clinician's participant list says about a person's connection (nothing when all is well). */
export function participantConnection(connection: 'online' | 'reconnecting' | 'offline'): string | null {
  if (connection === 'reconnecting') return t('connection.participantReconnecting');
  if (connection === 'offline') return t('connection.participantOffline');
  return null;
}

// ---- times: staff read the 24-hour clock, patients GOV.UK's "2:30pm", "midday" ----

export function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

function parsed(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * The day inside a sentence ("on Tuesday 8 December"). Welsh puts a time
 * phrase into the soft mutation ("ddydd Mawrth"), which a placeholder cannot
 * say, so the Welsh day is mutated here.
 */
function dayInSentence(d: Date): string {
  const day = longDate(d);
  return language() === 'cy' ? day.replace(/^dydd /i, 'ddydd ') : day;
}

/** "{at} today" / "heddiw {at}", (for patients) tomorrow, or on the day. */
function onDay(d: Date, at: string, now: Date, sayTomorrow: boolean): string {
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  if (sameDay(d, now)) return t('time.today', { at });
  if (sayTomorrow && sameDay(d, tomorrow)) return t('time.tomorrow', { at });
  return t('time.onDay', { at, date: dayInSentence(d) });
}

/** "14:30" (staff) */
export function clockTime(iso: string): string {
  const d = parsed(iso);
  return d ? clock(d) : iso;
}

/** "14:30 today", "14:30 on Tuesday 2 December" (staff: the 24-hour clock) */
export function when(iso: string, now = new Date()): string {
  const d = parsed(iso);
  return d ? onDay(d, t('time.atClock', { time: clock(d) }), now, false) : iso;
}

/** The day on its own, as a line starts: "Tuesday 8 December", "Dydd Mawrth 8 Rhagfyr". */
export function longDay(d: Date): string {
  const day = longDate(d);
  return day.charAt(0).toUpperCase() + day.slice(1);
}

/** The local calendar day as YYYY-MM-DD. */
export function isoDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** "45 seconds", "3 minutes 12 seconds", "1 hour 2 minutes" */
export function duration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const hours = (count: number) => t('duration.hours', { count });
  const minutes = (count: number) => t('duration.minutes', { count });
  if (h > 0) return t('duration.pair', { larger: hours(h), smaller: minutes(m) });
  if (m > 0) return t('duration.pair', { larger: minutes(m), smaller: t('duration.seconds', { count: s }) });
  return t('duration.seconds', { count: s });
}

/** A patient's clock, alone and after "at": "2:30pm"/"2pm"/"midday" ("2:30yh", "canol dydd"; "am ganol dydd"). */
function patientClock(d: Date): { alone: string; at: string } {
  const h = d.getHours();
  const m = d.getMinutes();
  if (m === 0 && h === 12) return { alone: t('time.midday'), at: t('time.atMidday') };
  if (m === 0 && h === 0) return { alone: t('time.midnight'), at: t('time.atMidnight') };
  const time = `${h % 12 || 12}${m ? `:${String(m).padStart(2, '0')}` : ''}`;
  const alone = h < 12 ? t('time.clockAm', { time }) : t('time.clockPm', { time });
  return { alone, at: t('time.atClock', { time: alone }) };
}

/** "2:30pm", "9am", "midday": a time of day as a patient reads it (GOV.UK style), in their local time. */
export function friendlyClock(iso: string): string {
  const d = parsed(iso);
  return d ? patientClock(d).alone : iso;
}

/** "2:15pm today", "9am tomorrow", "2:15pm on Tuesday 8 December": a time as a patient reads it, in their local time. */
export function friendlyTime(iso: string, now = new Date()): string {
  const d = parsed(iso);
  return d ? onDay(d, patientClock(d).at, now, true) : iso;
}

// ---- the patient's consent step and waiting room: the clinic's details, honest status ----

/** "This appointment is with Dr Asha Patel (Dermatology, North site) at 2:30pm today." */
export function appointmentWith(clinicianName: string, clinicName: string | undefined, startsAt: string): string {
  const at = friendlyTime(startsAt);
  return clinicName
    ? t('appointment.withClinic', { clinician: clinicianName, clinic: clinicName, when: at })
    : t('appointment.withClinician', { clinician: clinicianName, when: at });
}

export const PRIVACY_NOTICE = t('appointment.privacyNotice');
export const PRIVACY_NOTICE_LINK = t('appointment.privacyNoticeLink');
export const PRIVACY_NOTICE_MORE = t('appointment.privacyNoticeMore');

/** Before a tel: link: "If you need help, call 01234 567890." */
export const HELP_CALL = t('appointment.helpCall');
/** Before a tel: link on an ending page. */
export const CALL_CLINIC = t('appointment.callClinic');
/** On the consent step, before the clinic's number (or without one, the sentence ends "contact the clinic."). */
export const WRONG_DETAILS = t('appointment.wrongDetails');

/** The waiting room's status line: true when someone who can let them in has the waiting room open and was told. */
export function clinicianAwareText(aware: boolean): string {
  return aware ? t('waiting.clinicianAware') : t('waiting.clinicianNotAware');
}

export function runningLateText(minutes: number): string {
  return t('waiting.runningLate', { count: minutes });
}

export const RUNNING_ON_TIME = t('waiting.onTime');

/** The heading over the clinic's own message to people waiting. */
export function clinicMessageHeading(clinicName: string | undefined): string {
  return clinicName ? t('waiting.clinicMessage', { clinic: clinicName }) : t('waiting.clinicMessageNoName');
}

/** Asking for notifications (only on a click). */
export const NOTIFY_OFFER = t('waiting.notifyOffer');
export const NOTIFY_ON = t('waiting.notifyOn');
export const NOTIFY_OFF = t('waiting.notifyOff');

/** When let in while the page is in the background: the tab title and the notification. */
export const LET_IN_TITLE = t('waiting.letInTitle');
export const LET_IN_BODY = t('waiting.letInBody');

// ---- roles ----

type RoleLabel = keyof Common['role']['label'];
type GuestRole = keyof Common['role']['inSentence'];

/** A role as the wire spells it, as a catalogue key ('family_member' and 'family-member' are 'family'). */
function roleKey(role: string): string {
  const r = role.trim().toLowerCase().replace(/[\s_-]+/g, '_');
  return r === 'family_member' ? 'family' : r;
}

/** 'family' -> 'Family member'; a role this page does not know -> 'Participant'. */
export function roleLabel(role: string): string {
  const r = roleKey(role);
  return has(enCommon.role.label, r) && r !== 'unknown' ? t(`role.label.${r satisfies RoleLabel}`) : t('role.label.unknown');
}

/** 'interpreter' -> 'an interpreter': how a guest's invitation reads in a sentence. */
export function asRole(role: string): string {
  const r = roleKey(role);
  return has(enCommon.role.inSentence, r) ? t(`role.inSentence.${r satisfies GuestRole}`) : t('role.inSentence.other');
}

/**
 * A failure in a few words, to follow our own "We could not …": the code's
 * words, or for a camera or microphone the browser's reason in ours. Never an
 * error's own message (the server's is English, the browser's in its own language).
 */
export function errorText(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && has(enCommon.reason.byCode, code)) return t(`reason.byCode.${code satisfies ReasonCode}`);
  const name = (e as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && has(enCommon.reason.device, name)) return t(`reason.device.${name satisfies DeviceErrorName}`);
  return t('reason.unknown');
}

// ---- chat and shared files ----

/** Plain words for a failed send, upload, save or delivery (never the server's message). */
export function sharingProblem(code: string, _serverMessage: string): string {
  if (has(enCommon.sharing.byCode, code)) return t(`sharing.byCode.${code satisfies SharingCode}`);
  if (has(enCommon.reason.byCode, code)) return t(`reason.byCode.${code satisfies ReasonCode}`);
  return t('sharing.unknown');
}

/** "820 bytes", "245 KB", "3.4 MB" */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return t('fileSize.bytes', { count: bytes });
  if (bytes < 1024 * 1024) return t('fileSize.kilobytes', { size: number(Math.round(bytes / 1024)) });
  return t('fileSize.megabytes', { size: number(bytes / (1024 * 1024), { minimumFractionDigits: 1, maximumFractionDigits: 1 }) });
}

/** The first and last characters of a SHA-256, for people to compare at a glance. */
export function shortHash(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-8)}` : hex;
}

// ---- staff accounts (the console) ----

/** What each staff role lets someone do, in plain words (for an account without the clinician role). */
export const ROLE_ABILITY: Record<string, string> = {
  clinician: t('role.ability.clinician'),
  'clinic-coordinator': t('role.ability.clinicCoordinator'),
  'clinic-admin': t('role.ability.clinicAdmin'),
  auditor: t('role.ability.auditor'),
  'trust-admin': t('role.ability.trustAdmin'),
};

/** "You were signed out": the words, for a session that was signed in at the identity provider or opened with a console link. */
export function signedOutText(via: 'oidc' | 'ticket', idleMinutes: number | null): string {
  const why = idleMinutes === null ? t('signedOut.whyLong') : t('signedOut.whyIdle', { count: idleMinutes });
  return via === 'oidc' ? t('signedOut.oidc', { why }) : t('signedOut.ticket', { why });
}

// ---- the console's waiting area, arrival alerts and moving between patients ----

/** "less than a minute", "1 minute", "12 minutes", "1 hour 5 minutes": a wait, to the minute (it updates without chatter). */
export function minutesText(ms: number): string {
  const m = Math.max(0, Math.floor(ms / 60_000));
  if (m < 1) return t('duration.lessThanMinute');
  const h = Math.floor(m / 60);
  const rest = m % 60;
  const minutes = (count: number) => t('duration.minutes', { count });
  if (h === 0) return minutes(m);
  const hours = t('duration.hours', { count: h });
  return rest ? t('duration.pair', { larger: hours, smaller: minutes(rest) }) : hours;
}

export const CONSOLE_TITLE = t('console.title');
/** The tab title while people wait: "(2) waiting · Console". */
export const waitingTitle = (n: number, base: string = CONSOLE_TITLE): string => (n > 0 ? t('console.waitingTitle', { count: n, base }) : base);

export const WAITING_AREA = {
  heading: t('waitingArea.heading'),
  wholeClinic: t('waitingArea.wholeClinic'),
  clinicHeading: (names: string[]) => (names.length ? t('waitingArea.clinicHeading', { clinics: list(names) }) : t('waitingArea.yourClinicHeading')),
  noneMine: t('waitingArea.noneMine'),
  noneClinic: t('waitingArea.noneClinic'),
  yourPatient: t('waitingArea.yourPatient'),
  withClinician: (name: string) => t('waitingArea.withClinician', { name }),
  appointmentAt: (iso: string) => t('waitingArea.appointmentAt', { time: clockTime(iso) }),
  waitingFor: (ms: number, sinceIso: string) => t('waitingArea.waitingFor', { wait: minutesText(ms), since: clockTime(sinceIso) }),
  device: (d: string) => t('waitingArea.device', { device: d }),
  linkReused: t('waitingArea.linkReused'),
  reconnecting: t('waitingArea.reconnecting'),
  unavailable: t('waitingArea.unavailable'),
  open: (name: string) => t('waitingArea.open', { name }),
  message: (name: string) => t('waitingArea.message', { name }),
  messageSent: (name: string) => t('waitingArea.messageSent', { name }),
  messageFailed: t('waitingArea.messageFailed'),
  reassign: (name: string) => t('waitingArea.reassign', { name }),
  reassignLabel: (name: string) => t('waitingArea.reassignLabel', { name }),
  reassignSubmit: t('waitingArea.reassignSubmit'),
  reassignNobody: t('waitingArea.reassignNobody'),
  reassigned: (name: string, to: string) => t('waitingArea.reassigned', { name, to }),
  reassignFailed: (name: string) => t('waitingArea.reassignFailed', { name }),
  cancel: t('waitingArea.cancel'),
} as const;

/** The result of someone's pre-call check, in plain words. */
export function precallCheckText(check: { camera: boolean; microphone: boolean } | undefined): string {
  if (!check) return t('precallCheck.notDone');
  if (check.camera && check.microphone) return t('precallCheck.bothWorking');
  if (!check.camera && !check.microphone) return t('precallCheck.neitherWorking');
  return check.camera ? t('precallCheck.microphoneNotWorking') : t('precallCheck.cameraNotWorking');
}

export const RUNNING_LATE = {
  heading: t('runningLate.heading'),
  clinician: t('runningLate.clinician'),
  minutes: t('runningLate.minutes'),
  minutesHint: t('runningLate.minutesHint'),
  save: t('runningLate.save'),
  clear: t('runningLate.clear'),
  none: t('runningLate.none'),
  you: t('runningLate.you'),
  line: (name: string, minutes: number) => t('runningLate.line', { name, count: minutes }),
  saved: (name: string, minutes: number) => t('runningLate.saved', { name, count: minutes }),
  cleared: (name: string) => t('runningLate.cleared', { name }),
  badMinutes: t('runningLate.badMinutes'),
  failed: t('runningLate.failed'),
} as const;

export const ALERT_SETTINGS = {
  heading: t('alertSettings.heading'),
  sound: t('alertSettings.sound'),
  soundOn: t('alertSettings.soundOn'),
  soundOff: t('alertSettings.soundOff'),
  soundFailed: t('alertSettings.soundFailed'),
  desktopOffer: t('alertSettings.desktopOffer'),
  desktopOn: t('alertSettings.desktopOn'),
  desktopBlocked: t('alertSettings.desktopBlocked'),
  desktopUnsupported: t('alertSettings.desktopUnsupported'),
} as const;

export const ARRIVAL = {
  /** The banner's line and the status line. */
  arrived: (name: string, clinicianName: string | null) =>
    clinicianName ? t('arrival.arrivedFor', { name, clinician: clinicianName }) : t('arrival.arrived', { name }),
  open: t('arrival.open'),
  dismiss: t('arrival.dismiss'),
  /** The desktop notification. */
  notificationTitle: (name: string) => t('arrival.notificationTitle', { name }),
  notificationBody: (clinicianName: string | null) =>
    clinicianName ? t('arrival.notificationBodyFor', { clinician: clinicianName }) : t('arrival.notificationBody'),
} as const;

export const NEXT_PATIENT = {
  none: t('nextPatient.none'),
  summary: (n: number, longestMs: number) => t('nextPatient.summary', { count: n, wait: minutesText(longestMs) }),
  button: t('nextPatient.button'),
  hint: (name: string) => t('nextPatient.hint', { name }),
  moving: (name: string) => t('nextPatient.moving', { name }),
  failed: t('nextPatient.failed'),
} as const;

export const LEAVE_DIALOG = {
  title: t('leaveDialog.title'),
  stepOut: t('leaveDialog.stepOut'),
  stepOutText: t('leaveDialog.stepOutText'),
  end: t('leaveDialog.end'),
  endText: t('leaveDialog.endText'),
  cancel: t('leaveDialog.cancel'),
  steppedOut: t('leaveDialog.steppedOut'),
} as const;

/** What a patient (or guest) in the call is shown when the call has nobody else, or the clinician stepped out. */
export const CALL_EMPTY = {
  nobodyYet: t('callEmpty.nobodyYet'),
  steppedOut: (name: string) => t('callEmpty.steppedOut', { name }),
} as const;

export const CLINIC_CONSOLE = {
  heading: t('clinicConsole.heading'),
  /** On the day list, over the clinician's own appointments (below the waiting area). */
  appointments: t('clinicConsole.appointments'),
  intro: (name: string) => (name ? t('clinicConsole.introNamed', { name }) : t('clinicConsole.intro')),
} as const;
