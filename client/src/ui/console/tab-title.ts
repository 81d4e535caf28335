// The console tab's title, so a clinician working in another tab sees who
// waits: "(2) waiting · Console" on the day list (or the clinic's waiting
// area), "(2) waiting · Consultation with … · Console" in a consultation. The
// count is the live view's (the people waiting for this clinician; for a
// coordinator everyone shown) and, until that is in, the page's own count.
import { t } from '../../i18n/i18n.ts';
import { CLINIC_CONSOLE, CONSOLE_TITLE, waitingTitle } from '../messages.ts';

export class TabTitle {
  readonly #liveCount: () => number | null;
  /** The open consultation's title and its own waiting count; null on the list or the clinic's page. */
  #screen: { title: string; waitingHere: number } | null = null;

  /** `liveCount`: the live view's count, null until it is in. */
  constructor(liveCount: () => number | null) {
    this.#liveCount = liveCount;
  }

  /** On the day list (`clinic`: a coordinator's waiting area instead). */
  list(waitingInList: number, clinic: boolean): void {
    const n = this.#liveCount() ?? waitingInList;
    document.title = n > 0 ? waitingTitle(n) : `${clinic ? CLINIC_CONSOLE.heading : t('console:day.heading')} · ${CONSOLE_TITLE}`;
  }

  /** In a consultation: its title, and how many wait in its own waiting room. */
  consultation(title: string, waitingHere: number): void {
    this.#screen = { title, waitingHere };
    const n = this.#liveCount() ?? waitingHere;
    document.title = waitingTitle(n, `${title} · ${CONSOLE_TITLE}`);
  }

  /** The live count changed: the same title with the new count (`onList`: the list or the clinic's page is showing). */
  refresh(onList: boolean, clinic: boolean): void {
    if (this.#screen) this.consultation(this.#screen.title, this.#screen.waitingHere);
    else if (onList) this.list(0, clinic);
  }

  /** The consultation closed (its title goes with it). */
  leaveConsultation(): void {
    this.#screen = null;
  }
}
