// The console's side of a clinic's day, for the page's whole life: the /staff
// socket and its live waiting area, the arrival alerts, running late and the
// alert settings. The page shows the panels (on the day list, or alone for a
// coordinator), and asks for the clinician's queue in a consultation.
import type { SessionInfo } from '../../../../server/wire/session.ts';
import type { WaitingAreaView } from '../../../../server/wire/staff-socket.ts';
import { StaffConnection } from '../../model/staff-connection.ts';
import { ownQueue, waitingCount, type QueuedAppointment } from '../../model/waiting-queue.ts';
import { staffSocket } from '../../net/staff-socket.ts';
import { coordinates, coordinatesAny, isClinician } from './account.ts';
import { AlertSettingsPanel } from './alert-settings.ts';
import { ArrivalAlerts } from './arrival-alerts.ts';
import { RunningLate } from './running-late.ts';
import { WaitingArea } from './waiting-area.ts';

type StaffInfo = Extract<SessionInfo, { kind: 'clinician' }>;

export interface ClinicDayOptions {
  info: StaffInfo;
  /** Opens an own patient's consultation (Open, the banner, a notification). */
  open(appointmentId: string, name: string): void;
  /** Whether the page shows this appointment's consultation to the clinician now (no alert then). */
  showing(appointmentId: string): boolean;
  /** A new view arrived (the page updates its title and the queue bar). */
  changed(view: WaitingAreaView): void;
  /** The clinician's own waiting people changed (the day list's counts follow). */
  ownChanged(): void;
  /** The staff session ended. */
  ended(): void;
}

export class ClinicDay {
  readonly me: string;
  readonly clinician: boolean;
  /** Looks after a clinic's waiting area: always the clinic's view. */
  readonly coordinator: boolean;
  readonly waitingArea: WaitingArea;
  readonly runningLate: RunningLate;
  readonly settings: AlertSettingsPanel;
  readonly alerts: ArrivalAlerts;
  readonly #opts: ClinicDayOptions;
  readonly #conn: StaffConnection;
  #ownKey = '';

  constructor(opts: ClinicDayOptions) {
    const { info } = opts;
    this.#opts = opts;
    this.me = info.clinicianId;
    this.clinician = isClinician(info);
    this.coordinator = coordinatesAny(info);
    const rpc = () => this.#conn.rpc;
    this.alerts = new ArrivalAlerts({
      me: this.me,
      coordinator: this.coordinator,
      showing: (id) => opts.showing(id),
      sound: () => this.#conn.view?.settings.sound ?? true,
      clinicianName: (id) => this.#conn.view?.clinicians.find((c) => c.id === id)?.name ?? this.#conn.view?.entries.find((e) => e.clinicianId === id)?.clinicianName ?? null,
      open: (id, name) => opts.open(id, name),
    });
    this.alerts.banner.mount();
    this.waitingArea = new WaitingArea({
      me: this.me,
      canWatchClinic: this.clinician && (info.clinics ?? []).length > 0,
      clinicOnly: this.coordinator,
      coordinates: (clinicId) => coordinates(info, clinicId),
      rpc,
      watch: (scope) => this.#conn.watch(scope),
      open: (id, name) => opts.open(id, name),
    });
    this.runningLate = new RunningLate({ me: this.me, clinician: this.clinician, rpc });
    this.settings = new AlertSettingsPanel(this.alerts, rpc);
    this.#conn = new StaffConnection(
      staffSocket(),
      {
        view: (v) => this.#show(v),
        arrived: (a) => void this.alerts.arrived(a),
        connection: (state) => this.waitingArea.connection(state),
        ended: () => opts.ended(),
      },
      this.coordinator ? 'clinic' : 'mine',
    );
  }

  get view(): WaitingAreaView | null {
    return this.#conn.view;
  }

  /** The panels for the day list (or a coordinator's page), in order. */
  panels(): HTMLElement[] {
    return [this.waitingArea.element, this.runningLate.element, this.settings.element];
  }

  /** The clinician's appointments with someone waiting, other than `except`; null until the live view is in. */
  queue(except: string | null): QueuedAppointment[] | null {
    const v = this.#conn.view;
    return v ? ownQueue(v.entries, this.me, except) : null;
  }

  /** For the tab title: the people waiting for this clinician (a coordinator: everyone shown); null until the view is in. */
  waitingCount(): number | null {
    const v = this.#conn.view;
    return v ? waitingCount(v.entries, this.me, !this.clinician) : null;
  }

  close(): void {
    this.#conn.close();
    this.waitingArea.stop();
    this.alerts.dispose();
  }

  #show(v: WaitingAreaView): void {
    this.waitingArea.update(v);
    this.runningLate.update(v);
    this.settings.update(v.settings.sound);
    this.alerts.stillWaiting(new Set(v.entries.map((e) => e.arrivalId)));
    const own = v.entries
      .filter((e) => e.clinicianId === this.me)
      .map((e) => e.arrivalId)
      .sort()
      .join(' ');
    this.#opts.changed(v);
    if (own !== this.#ownKey) {
      this.#ownKey = own;
      this.#opts.ownChanged();
    }
  }
}
