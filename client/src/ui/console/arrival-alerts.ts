// One alert per arrival (waiting:arrived): a chime (when the sound setting is
// on), a desktop notification where the browser already allows them (asked
// only from the "Turn on desktop alerts" button, never on load), and a line in
// the banner; the tab title follows the view. Once per arrival id in this
// browser, across tabs and reloads (model/arrival-log.ts), and none for a
// patient whose consultation this page has open in front of the clinician
// (its waiting room already shows them). A clinician is alerted for their own
// patients only; a coordinator for the clinic's.
import { arrivalLog, claimAcrossTabs, sharedStorage, type ArrivalLog } from '../../model/arrival-log.ts';
import type { Arrival } from '../../model/staff-connection.ts';
import { ALERT_SETTINGS, ARRIVAL } from '../messages.ts';
import { ArrivalBanner, type BannerLine } from './arrival-banner.ts';
import { Chime } from '../chime.ts';

export interface ArrivalAlertOptions {
  /** The signed-in staff member's id. */
  me: string;
  /** Coordinators (and clinic admins) are alerted for every patient of their clinics. */
  coordinator: boolean;
  /** Whether this page shows that appointment's consultation to the clinician right now. */
  showing(appointmentId: string): boolean;
  /** The saved sound setting (alerts:settings). */
  sound(): boolean;
  /** The name of a clinician (for a coordinator's alert about someone else's patient). */
  clinicianName(clinicianId: string): string | null;
  /** Opens an own patient's consultation (the banner's Open, a notification's click). */
  open(appointmentId: string, name: string): void;
}

export type DesktopAlerts = 'on' | 'off' | 'blocked' | 'unsupported';

export class ArrivalAlerts {
  readonly banner: ArrivalBanner;
  readonly #opts: ArrivalAlertOptions;
  readonly #log: ArrivalLog;
  readonly #chime: Chime;

  constructor(opts: ArrivalAlertOptions, log: ArrivalLog = arrivalLog(sharedStorage())) {
    this.#opts = opts;
    this.#log = log;
    this.#chime = new Chime();
    this.banner = new ArrivalBanner((line) => {
      this.banner.forget(line.appointmentId);
      opts.open(line.appointmentId, line.name);
    });
  }

  async arrived(a: Arrival): Promise<void> {
    const mine = a.clinicianId === this.#opts.me;
    if (!mine && !this.#opts.coordinator) return;
    const first = await claimAcrossTabs(a.arrivalId, this.#log);
    if (!first || this.#opts.showing(a.appointmentId)) return;
    const clinicianName = mine ? null : this.#opts.clinicianName(a.clinicianId);
    if (this.#opts.sound()) this.#chime.play();
    this.#notify(a, mine, clinicianName);
    const line: BannerLine = { arrivalId: a.arrivalId, appointmentId: a.appointmentId, name: a.name, clinicianName, canOpen: mine };
    this.banner.add(line);
  }

  /** Drops banner lines of people no longer waiting. */
  stillWaiting(arrivalIds: ReadonlySet<string>): void {
    this.banner.keepOnly(arrivalIds);
  }

  /** Whether desktop alerts can show now, and whether asking could change that. */
  desktop(): DesktopAlerts {
    if (typeof Notification === 'undefined') return 'unsupported';
    if (Notification.permission === 'granted') return 'on';
    return Notification.permission === 'denied' ? 'blocked' : 'off';
  }

  /** Asks the browser (from a click only). */
  async askForDesktop(): Promise<DesktopAlerts> {
    if (typeof Notification === 'undefined') return 'unsupported';
    try {
      await Notification.requestPermission();
    } catch {
      // an old browser's callback form: the permission is read below either way
    }
    return this.desktop();
  }

  dispose(): void {
    this.#chime.dispose();
    this.banner.clear();
  }

  #notify(a: Arrival, mine: boolean, clinicianName: string | null): void {
    if (this.desktop() !== 'on') return;
    try {
      // The tag folds a second tab's notification for the same arrival into this one.
      const n = new Notification(ARRIVAL.notificationTitle(a.name), { body: ARRIVAL.notificationBody(clinicianName), tag: a.arrivalId });
      n.onclick = () => {
        window.focus();
        n.close();
        if (mine) {
          this.banner.forget(a.appointmentId);
          this.#opts.open(a.appointmentId, a.name);
        }
      };
    } catch {
      // Some browsers only show notifications from a service worker: the banner and title still say it.
    }
  }
}

/** The words for the desktop alerts line. */
export function desktopText(state: DesktopAlerts): string {
  switch (state) {
    case 'on':
      return ALERT_SETTINGS.desktopOn;
    case 'blocked':
      return ALERT_SETTINGS.desktopBlocked;
    case 'unsupported':
      return ALERT_SETTINGS.desktopUnsupported;
    case 'off':
      return '';
  }
}
