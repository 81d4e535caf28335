// Plain-words text for errors, endings, times and roles. Codes are never shown alone.

export interface Problem {
  title: string;
  /** Our own kind explanation of what happened and what to do. */
  text: string;
  /** Whether trying the same thing again may help. */
  retry: boolean;
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

export function describeProblem(code: string, serverMessage: string): Problem {
  const k = KNOWN[code];
  if (k) return { title: k.title, text: k.text, retry: k.retry ?? false };
  return {
    title: 'Something went wrong',
    text: serverMessage || 'Something went wrong on our side. Please try again in a minute. If it keeps happening, contact the clinic.',
    retry: true,
  };
}

export type EndReason = 'ended' | 'removed' | 'denied' | 'media-lost' | 'shutdown' | 'left' | 'signed-out' | 'replaced';

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
