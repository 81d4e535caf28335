// Plain-words text for errors, endings, times and roles. Codes are never shown alone.

export interface Problem {
  title: string;
  /** Our own kind explanation of what happened and what to do. */
  text: string;
  /** Whether trying the same thing again may help. */
  retry: boolean;
  /** Our words say all the server's do, and more precisely (the server's are not shown). */
  own?: boolean;
}

const KNOWN: Record<string, Omit<Problem, 'retry'> & { retry?: boolean }> = {
  TOKEN_INVALID: {
    title: 'This link does not work',
    text: 'Check that you opened the whole link from the message the clinic sent you. If it still does not work, contact the clinic and ask for a new link.',
  },
  TOKEN_EXPIRED: {
    title: 'This link has expired',
    text: 'Links only work for a limited time. Contact the clinic and ask for a new link.',
  },
  LINK_CLOSED: {
    title: 'This link has been closed',
    text: 'The clinician has closed this link, so it cannot be used on a new phone or computer. If you still need your appointment, contact the clinic and ask for a new link.',
  },
  LINK_REVOKED: {
    title: 'This link has been cancelled',
    text: 'The clinic has cancelled this link. If you still need your appointment, contact the clinic.',
  },
  CONSULTATION_ENDED: {
    title: 'This consultation has ended',
    text: 'This video consultation has already finished, so the link no longer works. If you need to speak to the clinic again, contact them.',
  },
  APPOINTMENT_NOT_OPEN: {
    title: 'Your appointment is not open yet',
    text: 'You can join a little before the time of your appointment. Please open the link again nearer the time.',
    retry: true,
  },
  APPOINTMENT_CANCELLED: {
    title: 'This appointment has been cancelled',
    text: 'The clinic has cancelled this appointment, so the link no longer works. The clinic will contact you.',
  },
  CONSULTATION_LOCKED: {
    title: 'The consultation is closed to new people',
    text: 'The clinician has locked this consultation, so nobody new can join at the moment. Wait a few minutes and try again, or contact the clinic.',
    retry: true,
  },
  RATE_LIMITED: {
    title: 'Too many attempts',
    text: 'There have been too many attempts in a short time. Please wait a minute, then try again.',
    retry: true,
  },
  NETWORK: {
    title: 'We could not reach the video service',
    text: 'Check that you are connected to the internet (Wi-Fi or mobile data), then try again.',
    retry: true,
  },
  UNAUTHENTICATED: {
    title: 'Please open your link again',
    text: 'This page needs the link from the message the clinic sent you. Open that link again to join.',
  },
  FORBIDDEN: {
    title: 'You cannot join this consultation',
    text: 'The clinician has not let this device into the consultation. If you think this is a mistake, contact the clinic.',
  },
  DISCONNECTED: {
    title: 'The connection was closed',
    text: 'The video service closed the connection. Try again, and if it keeps happening, contact the clinic.',
    retry: true,
  },
  TIMEOUT: {
    title: 'The video service did not answer',
    text: 'Your connection may be slow. Please try again.',
    retry: true,
  },
  // Staff sign-in and console links (the console page).
  SIGN_IN_REQUIRED: {
    title: 'Please sign in',
    text: 'You need to sign in to use the clinician console.',
  },
  SIGN_IN_FAILED: {
    title: 'Sign-in did not work',
    text: 'Your sign-in could not be checked. Please try again. If it keeps happening, tell your IT service desk.',
    retry: true,
  },
  NO_ROLE: {
    title: 'No access to video consultations',
    text: 'You are signed in, but your account has no role in this service. Ask your administrator to give you access.',
  },
  TICKET_USED: {
    title: 'This console link has already been used',
    text: 'Each console link works once. Open the appointment again from your clinical system to get a new link.',
  },
  TICKET_EXPIRED: {
    title: 'This console link has expired',
    text: 'Console links only work for a few minutes. Open the appointment again from your clinical system to get a new link.',
  },
  TICKET_OTHER_USER: {
    title: 'This console link is for another clinician',
    text: 'You are signed in as someone else. Sign out, then sign in as the clinician the link is for.',
  },
  NOT_PERMITTED: {
    title: 'Your role does not allow this',
    text: 'Your account cannot open this consultation. If you think it should, ask your administrator.',
  },
  // Pages retry these by themselves; the words are here in case one is ever shown.
  UNAVAILABLE: {
    title: 'The video service is not available just now',
    text: 'Please wait a minute, then try again.',
    retry: true,
  },
  SHUTTING_DOWN: {
    title: 'The video service is restarting',
    text: 'Please wait a minute, then try again.',
    retry: true,
  },
};

/** One entry of an error's `details` (server/wire/errors.ts). */
export interface ProblemDetail {
  key: string;
  problem: string;
}

/**
 * `details`: what the server added to its answer. APPOINTMENT_NOT_OPEN carries
 * {key: 'opensAt', problem: <ISO time>}: then the page says when, and the
 * server's own (general) words are not shown.
 */
export function describeProblem(code: string, serverMessage: string, details: readonly ProblemDetail[] = []): Problem {
  const opensAt = details.find((d) => d.key === 'opensAt')?.problem;
  if (code === 'APPOINTMENT_NOT_OPEN' && opensAt && !Number.isNaN(Date.parse(opensAt))) {
    return { title: KNOWN[code]!.title, text: `Your link opens at ${friendlyTime(opensAt)}. Please open it again then.`, retry: true, own: true };
  }
  const k = KNOWN[code];
  if (k) return { title: k.title, text: k.text, retry: k.retry ?? false };
  return {
    title: 'Something went wrong',
    text: serverMessage || 'Something went wrong on our side. Please try again in a minute. If it keeps happening, contact the clinic.',
    retry: true,
  };
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
  switch (reason) {
    case 'ended':
      return who === 'clinician'
        ? { title: 'The consultation has ended', text: 'The consultation has ended for everyone.', rejoin: false }
        : { title: 'The consultation has ended', text: 'Your clinician has ended the consultation. Thank you for joining. You can now close this page.', rejoin: false };
    case 'removed':
      return {
        title: 'You have been removed from the consultation',
        text: 'The clinician has removed you from this consultation. If you think this is a mistake, contact the clinic.',
        rejoin: false,
      };
    case 'denied':
      return {
        title: 'You were not let in',
        text: 'The clinician did not let you in to this consultation. If you think this is a mistake, contact the clinic.',
        rejoin: false,
      };
    case 'media-lost':
      return {
        title: 'The video connection was lost',
        text: 'We lost the video connection and could not get it back. Check your internet connection, then join again.',
        rejoin: true,
      };
    case 'shutdown':
      return {
        title: 'The video service is restarting',
        text: 'The video service is being restarted. Please wait a minute, then join again.',
        rejoin: true,
      };
    case 'signed-out':
      return who === 'clinician'
        ? { title: 'You have signed out', text: 'This session was signed out. To sign in again, open the console link from your clinical system.', rejoin: false }
        : { title: 'You have been signed out', text: 'This device was signed out of the appointment. To join again, open your appointment link.', rejoin: false };
    case 'replaced':
      return {
        title: 'This consultation is open in another window or device',
        text: 'This consultation is open in another window or device. You can carry on there. To use this window instead, reload this page.',
        rejoin: false,
      };
    case 'cancelled':
      return who === 'clinician'
        ? { title: 'This appointment has been cancelled', text: 'The clinic has cancelled this appointment. Everyone in it has been told.', rejoin: false }
        : { title: 'This appointment has been cancelled', text: 'This appointment has been cancelled. The clinic will contact you.', rejoin: false };
    case 'link-reissued':
      return {
        title: 'This link has been replaced',
        text: 'This link has been replaced. Please use the new link the clinic sent you.',
        rejoin: false,
      };
    case 'reassigned':
      return who === 'clinician'
        ? { title: 'This patient is now with another clinician', text: 'The clinic has given this appointment to another clinician, so it has closed here.', rejoin: false }
        : { title: 'Your appointment has moved', text: 'The clinic has moved your appointment to another clinician. Open your link again to carry on.', rejoin: true };
    case 'left':
      return who === 'clinician'
        ? { title: 'You have left the consultation', text: 'You have left the consultation. The others can carry on without you.', rejoin: true }
        : {
            title: 'You have left the consultation',
            text: 'You have left the consultation. If you left by mistake, you can join again.',
            rejoin: true,
          };
  }
}

// ---- connection trouble ----

/** The page's own words while it retries by itself (loading, or the connection dropped). */
export const RECONNECTING = 'Reconnecting…';

/** The banner for each connection state the consultation reports ('connected' shows none). */
export const CONNECTION_BANNER = {
  reconnecting: 'Reconnecting…',
  restarting: 'The service is restarting. You will be reconnected in a moment.',
  lost: 'We could not reconnect you. Check that you are online, then press Reconnect.',
} as const;

/** The one button offered once reconnecting by itself has not worked. */
export const RECONNECT_BUTTON = 'Reconnect';

/** Said once the connection is back after trouble. */
export const CONNECTED_AGAIN = 'You are connected again.';

/** On a remote tile whose video has stopped arriving (not paused by its sender). */
export const VIDEO_FROZEN = 'Video paused, reconnecting…';

/** What the clinician's participant list says about a person's connection (nothing when all is well). */
export function participantConnection(connection: 'online' | 'reconnecting' | 'offline'): string | null {
  if (connection === 'reconnecting') return 'Connection lost, reconnecting…';
  if (connection === 'offline') return 'Not connected';
  return null;
}

const timeFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long' });

export function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "14:30" */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : timeFmt.format(d);
}

/** "14:30 today", "14:30 on Tuesday 2 December" */
export function when(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return sameDay(d, now) ? `${timeFmt.format(d)} today` : `${timeFmt.format(d)} on ${dayFmt.format(d)}`;
}

export function longDay(d: Date): string {
  return dayFmt.format(d);
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
  const unit = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (h > 0) return `${unit(h, 'hour')} ${unit(m, 'minute')}`;
  if (m > 0) return `${unit(m, 'minute')} ${unit(s, 'second')}`;
  return unit(s, 'second');
}

/** "2:15pm today", "9am tomorrow", "2:15pm on Tuesday 8 December": a time as a patient reads it, in their local time. */
export function friendlyTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const hour = d.getHours() % 12 || 12;
  const minutes = d.getMinutes();
  const clock = `${hour}${minutes ? `:${String(minutes).padStart(2, '0')}` : ''}${d.getHours() < 12 ? 'am' : 'pm'}`;
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  if (sameDay(d, now)) return `${clock} today`;
  if (sameDay(d, tomorrow)) return `${clock} tomorrow`;
  return `${clock} on ${dayFmt.format(d)}`;
}

// ---- the patient's consent step and waiting room: the clinic's details, honest status ----

/** "This appointment is with Dr Asha Patel (Dermatology, North site) at 14:30 today." */
export function appointmentWith(clinicianName: string, clinicName: string | undefined, startsAt: string): string {
  return `This appointment is with ${clinicianName}${clinicName ? ` (${clinicName})` : ''} at ${when(startsAt)}.`;
}

export const PRIVACY_NOTICE = 'How we use your information';
export const PRIVACY_NOTICE_LINK = 'How we use your information (opens in a new tab)';
export const PRIVACY_NOTICE_MORE = 'Read the full privacy notice (opens in a new tab)';

/** Before a tel: link: "If you need help, call 01234 567890." */
export const HELP_CALL = 'If you need help, call ';
/** Before a tel: link on an ending page. */
export const CALL_CLINIC = 'If you need to speak to the clinic, call ';
/** On the consent step, before the clinic's number (or without one, the sentence ends "contact the clinic."). */
export const WRONG_DETAILS = 'If these details are not right, do not join: contact the clinic';

/** The waiting room's status line: true when someone who can let them in has the waiting room open and was told. */
export function clinicianAwareText(aware: boolean): string {
  return aware
    ? 'Your clinician knows you are here.'
    : 'Your clinician will see that you are here when they open their video waiting room.';
}

export function runningLateText(minutes: number): string {
  return `Your clinician is running about ${minutes} minute${minutes === 1 ? '' : 's'} late.`;
}

export const RUNNING_ON_TIME = 'Your clinician is no longer running late.';

/** The heading over the clinic's own message to people waiting. */
export function clinicMessageHeading(clinicName: string | undefined): string {
  return clinicName ? `A message from ${clinicName}` : 'A message from the clinic';
}

/** Asking for notifications (only on a click). */
export const NOTIFY_OFFER = 'Tell me when I am let in';
export const NOTIFY_ON = 'We will tell you when you are let in, even if you are using another app or tab.';
export const NOTIFY_OFF = 'Your browser will not show a notification. Keep this page open: it will play a sound when you are let in.';

/** When let in while the page is in the background: the tab title and the notification. */
export const LET_IN_TITLE = 'You can join now';
export const LET_IN_BODY = 'Your clinician has let you in. Go back to your video appointment.';

/** 'family_member' -> 'Family member' */
export function roleLabel(role: string): string {
  const r = role.replace(/[_-]+/g, ' ').trim();
  return r ? r[0]!.toUpperCase() + r.slice(1) : 'Participant';
}

/** 'interpreter' -> 'an interpreter': how a guest's invitation reads in a sentence. */
export function asRole(role: string): string {
  const known: Record<string, string> = { interpreter: 'an interpreter', family: 'a family member', carer: 'a carer' };
  return known[role] ?? 'a guest';
}

export function errorText(e: unknown): string {
  if (e instanceof Error && e.message) return e.message;
  return 'Something went wrong. Please try again.';
}

// ---- chat and shared files ----

const SHARING: Record<string, string> = {
  FILE_TOO_LARGE: 'This file is too big to send.',
  UNSUPPORTED_TYPE: 'This kind of file cannot be sent. Photos (JPEG, PNG or HEIC) can be sent.',
  FILE_TOO_COMPLEX: 'This photo is too large to check, so it was not sent. Take the photo again, or choose a smaller one.',
  QUOTA_EXCEEDED: 'No more files can be sent in this consultation. Ask the clinician.',
  REQUEST_TIMEOUT: 'Sending took too long, so it stopped. Check your connection, then try again.',
  UNAVAILABLE: 'The service is busy checking other photos. Please wait a moment, then try again.',
  CORRUPT_FILE: 'This file seems to be damaged, so it could not be sent. Try taking the photo again, or choose another file.',
  NOT_ADMITTED: 'You can send messages and files once the clinician lets you in.',
  CONSULTATION_ENDED: 'The consultation has ended, so nothing more can be sent.',
  RATE_LIMITED: 'You have sent a lot in a short time. Please wait a minute, then try again.',
  DELIVERY_FAILED: 'The record system did not accept the file. Try again, or save it to the record by hand.',
  NOT_CONFIGURED: 'Sending to the record system is not set up for this service.',
  NETWORK: 'We could not reach the video service. Check your connection, then try again.',
  TIMEOUT: 'The video service did not answer in time. Please try again.',
  FILE_GONE: 'This file is no longer available.',
};

/** Plain words for a failed send, upload, save or delivery. */
export function sharingProblem(code: string, serverMessage: string): string {
  return SHARING[code] ?? (serverMessage || 'Something went wrong. Please try again.');
}

/** "820 bytes", "245 KB", "3.4 MB" */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The first and last characters of a SHA-256, for people to compare at a glance. */
export function shortHash(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-8)}` : hex;
}

// ---- staff accounts (the console) ----

/** What each staff role lets someone do, in plain words (for an account without the clinician role). */
export const ROLE_ABILITY: Record<string, string> = {
  clinician: 'see patients by video in this console',
  'clinic-coordinator': "book and manage a clinic's video appointments, through your booking system",
  'clinic-admin': "manage who belongs to a clinic, through your trust's admin tools",
  auditor: 'export the audit trail of video consultations, through the admin tools',
  'trust-admin': 'administer this video service for the whole trust, through the admin tools',
};

/** "You were signed out": the words, for a session that was signed in at the identity provider or opened with a console link. */
export function signedOutText(via: 'oidc' | 'ticket', idleMinutes: number | null): string {
  const why = `You signed out in another window, the session was unused for ${idleMinutes ?? 'too many'} minutes, or an administrator ended it.`;
  return via === 'oidc' ? `${why} Sign in again to carry on.` : `${why} To carry on, open the console link from your clinical system again.`;
}

// ---- the console's waiting area, arrival alerts and moving between patients ----

/** "less than a minute", "1 minute", "12 minutes", "1 hour 5 minutes": a wait, to the minute (it updates without chatter). */
export function minutesText(ms: number): string {
  const m = Math.max(0, Math.floor(ms / 60_000));
  if (m < 1) return 'less than a minute';
  const h = Math.floor(m / 60);
  const rest = m % 60;
  const unit = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return h > 0 ? `${unit(h, 'hour')}${rest ? ` ${unit(rest, 'minute')}` : ''}` : unit(m, 'minute');
}

export const CONSOLE_TITLE = 'Console';
/** The tab title while people wait: "(2) waiting · Console". */
export const waitingTitle = (n: number, base: string = CONSOLE_TITLE): string => (n > 0 ? `(${n}) waiting · ${base}` : base);

export const WAITING_AREA = {
  heading: 'Waiting now',
  wholeClinic: 'Show the whole clinic',
  clinicHeading: (names: string[]) => (names.length ? `Waiting now in ${names.join(', ')}` : 'Waiting now in your clinic'),
  noneMine: 'None of your patients is waiting.',
  noneClinic: 'Nobody is waiting in your clinic.',
  yourPatient: 'Your patient',
  withClinician: (name: string) => `Waiting for ${name}`,
  appointmentAt: (iso: string) => `Appointment at ${clockTime(iso)}`,
  waitingFor: (ms: number, sinceIso: string) => `Waiting for ${minutesText(ms)} (since ${clockTime(sinceIso)})`,
  device: (d: string) => `Device: ${d}`,
  linkReused: 'Warning: this link was used on another device. Check who this is before you let them in.',
  reconnecting: 'The waiting list is reconnecting…',
  unavailable: 'The live waiting list is not available just now. It will come back by itself.',
  open: (name: string) => `Open ${name}`,
  message: (name: string) => `Message ${name}`,
  messageSent: (name: string) => `Message sent to ${name}.`,
  messageFailed: 'The message was not sent.',
  reassign: (name: string) => `Re-assign ${name}`,
  reassignLabel: (name: string) => `Give ${name}'s appointment to`,
  reassignSubmit: 'Re-assign',
  reassignNobody: 'There is no other clinician in this clinic to give this appointment to.',
  reassigned: (name: string, to: string) => `${name} is now waiting for ${to}.`,
  reassignFailed: (name: string) => `We could not re-assign ${name}.`,
  cancel: 'Cancel',
} as const;

/** The result of someone's pre-call check, in plain words. */
export function precallCheckText(check: { camera: boolean; microphone: boolean } | undefined): string {
  if (!check) return 'Camera and microphone check: not done yet';
  if (check.camera && check.microphone) return 'Camera and microphone check: both working';
  if (!check.camera && !check.microphone) return 'Camera and microphone check: neither is working';
  return `Camera and microphone check: the ${check.camera ? 'microphone' : 'camera'} is not working`;
}

export const RUNNING_LATE = {
  heading: 'Running late',
  clinician: 'Clinician',
  minutes: 'About how many minutes late?',
  minutesHint: 'Patients waiting for this clinician see it. From 1 to 240 minutes.',
  save: 'Tell waiting patients',
  clear: 'Clear',
  none: 'Nobody is marked as running late.',
  you: 'You',
  line: (name: string, minutes: number) => `${name}: running about ${minutes} minute${minutes === 1 ? '' : 's'} late`,
  saved: (name: string, minutes: number) => `Patients waiting for ${name} now see that they are running about ${minutes} minute${minutes === 1 ? '' : 's'} late.`,
  cleared: (name: string) => `${name} is no longer marked as running late.`,
  badMinutes: 'Enter a number of minutes from 1 to 240.',
  failed: 'We could not change the running-late notice.',
} as const;

export const ALERT_SETTINGS = {
  heading: 'Arrival alerts',
  sound: 'Play a sound when a patient arrives',
  soundOn: 'A sound will play when a patient arrives.',
  soundOff: 'No sound will play when a patient arrives.',
  soundFailed: 'We could not save the sound setting.',
  desktopOffer: 'Turn on desktop alerts',
  desktopOn: 'Desktop alerts are on: you will see one when a patient arrives, even in another window.',
  desktopBlocked: 'Desktop alerts are blocked in this browser. To use them, allow notifications for this site in the browser settings.',
  desktopUnsupported: 'This browser cannot show desktop alerts.',
} as const;

export const ARRIVAL = {
  /** The banner's line and the status line. */
  arrived: (name: string, clinicianName: string | null) => (clinicianName ? `${name} has arrived for ${clinicianName} and is waiting.` : `${name} has arrived and is waiting.`),
  open: 'Open',
  dismiss: 'Dismiss',
  /** The desktop notification. */
  notificationTitle: (name: string) => `${name} is waiting`,
  notificationBody: (clinicianName: string | null) => (clinicianName ? `Waiting for ${clinicianName}.` : 'Select to open the consultation.'),
} as const;

export const NEXT_PATIENT = {
  none: 'None of your other patients is waiting.',
  summary: (n: number, longestMs: number) =>
    `${n} of your patients ${n === 1 ? 'is' : 'are'} waiting, the longest for ${minutesText(longestMs)}.`,
  button: 'End and next patient',
  hint: (name: string) => `Ends this consultation for everyone, then opens ${name}'s.`,
  moving: (name: string) => `Ending this consultation and opening ${name}'s…`,
  failed: 'We could not end this consultation.',
} as const;

export const LEAVE_DIALOG = {
  title: 'Leave the consultation?',
  stepOut: 'Step out',
  stepOutText: 'The patient will be told you stepped out, and can keep waiting for you. Open the consultation again to come back.',
  end: 'End the consultation for everyone',
  endText: 'The call ends for everyone, and the links stop working.',
  cancel: 'Cancel',
  steppedOut: 'You have stepped out. The patient can keep waiting for you.',
} as const;

/** What a patient (or guest) in the call is shown when the call has nobody else, or the clinician stepped out. */
export const CALL_EMPTY = {
  nobodyYet: 'Nobody else is in the call yet.',
  steppedOut: (name: string) => `${name} has stepped out. Please stay on this page. They can come back to the call.`,
} as const;

export const CLINIC_CONSOLE = {
  heading: "Your clinic's waiting area",
  /** On the day list, over the clinician's own appointments (below the waiting area). */
  appointments: 'Your appointments',
  intro: (name: string) => `${name ? `${name}, you` : 'You'} can see everyone waiting in your clinics, send them a message, give an appointment to another clinician, and say when a clinician is running late.`,
} as const;
