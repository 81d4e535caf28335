// /console: the clinician's page. The link's token (and optionally an
// appointment id) is in the URL fragment. Today's appointments, then one open
// appointment: the waiting room (admit / deny, a note to someone waiting), the
// people in the call (send back / remove, ask for a photo), lock and end, the
// call itself, and the chat with shared files. The open consultation is
// remembered in this tab (its id only), so a reload reopens it; connection
// trouble is retried by itself behind "Reconnecting…". This file is the
// composition: sign-in and moving between the views; the views are ui/console/.
import type { ClinicianAppointmentSummary, SessionInfo } from '../../../server/wire/session.ts';
import { Consultation, type EndedReason } from '../model/consultation.ts';
import { LocalDevices } from '../model/local-devices.ts';
import { Thread } from '../model/thread.ts';
import { clinicianAppointments, endSession, isRetryable, takeFragment } from '../net/api.ts';
import { consultationSocket } from '../net/socket.ts';
import { CallView, remoteInto } from '../ui/call-view.ts';
import { ConsultationScreen } from '../ui/console/consultation-screen.ts';
import { ConnectionBanner } from '../ui/connection-banner.ts';
import { DayList } from '../ui/console/day-list.ts';
import { rememberedConsultation } from '../ui/console/remembered.ts';
import { DeviceControls } from '../ui/device-controls.ts';
import { button, h, setStatus, showView } from '../ui/dom.ts';
import { CONNECTED_AGAIN, describeEnding, describeProblem, errorText, isoDay, RECONNECTING } from '../ui/messages.ts';
import { browserEnvironment, codeOf, exposeDiagnostics, exposeRecovery, exposeThread, openSession, retrying, sessionMissing, showProblem } from '../ui/page.ts';

class ConsolePage {
  readonly #local = new LocalDevices();
  readonly #controls = new DeviceControls(this.#local);
  #token: string | null;
  #clinicianName = '';
  #appointments: ClinicianAppointmentSummary[] = [];
  #consultation: Consultation | null = null;
  #thread: Thread | null = null;
  #screen: ConsultationScreen | null = null;
  #dayList: DayList | null = null;
  readonly #remembered = rememberedConsultation();
  readonly #banner = new ConnectionBanner(() => this.#consultation?.rejoin());

  constructor(token: string | null) {
    this.#token = token;
    exposeDiagnostics(() => {
      const media = this.#consultation?.media;
      return media ? media.receiveStats() : null;
    });
    exposeThread(() => this.#thread?.items ?? []);
    exposeRecovery(() => this.#consultation?.recovery ?? null);
    this.#banner.mount();
    window.addEventListener('pagehide', () => {
      this.#consultation?.close();
      this.#local.stop();
    });
  }

  async signIn(openId: string | null): Promise<void> {
    setStatus('Signing you in…');
    let info: SessionInfo;
    try {
      info = await openSession(this.#token);
    } catch (e) {
      const { code, message } = codeOf(e);
      if (sessionMissing(e, this.#token)) {
        this.#remembered.clear();
        showView('error', h('h1', {}, 'Please sign in again'), h('p', {}, 'Open the console link from your clinical system to sign in.'));
        setStatus('You are not signed in.', 'error', false);
        return;
      }
      showProblem(code, message, describeProblem(code, message).retry ? [button('Try again', () => void this.signIn(openId))] : []);
      return;
    }
    this.#token = null; // used: a retry from here on resumes the session instead
    if (info.kind !== 'clinician') {
      showView(
        'error',
        h('h1', {}, 'This page is for clinicians'),
        h('p', {}, 'You are signed in with a patient or guest link. ', h('a', { href: '/join' }, 'Go to your appointment'), '.'),
      );
      setStatus('This page is for clinicians.', 'error', false);
      return;
    }
    this.#clinicianName = info.name;
    // A link naming an appointment wins; otherwise the one this tab had open before a reload.
    const remembered = openId ? null : this.#remembered.get();
    if (openId) void this.#open(openId);
    else if (remembered) void this.#open(remembered, undefined, true);
    else void this.#showList();
  }

  /** Today's appointments; `stillWanted` keeps retrying through an outage while it says so. */
  async #loadList(stillWanted?: () => boolean): Promise<boolean> {
    const load = () => clinicianAppointments(isoDay(new Date()));
    try {
      this.#appointments = await (stillWanted ? retrying(load, () => !stillWanted()) : load());
      return true;
    } catch (e) {
      if (!stillWanted?.()) return false;
      setStatus(isRetryable(e) ? RECONNECTING : `We could not load your appointments. ${errorText(e)}`, 'error');
      return false;
    }
  }

  async #showList(): Promise<void> {
    this.#stopTimers();
    // One load at a time: through an outage the 15 s refresh joins the retrying one.
    let loading: Promise<boolean> | null = null;
    const list: DayList = new DayList({
      clinicianName: this.#clinicianName,
      load: async () => {
        loading ??= this.#loadList(() => this.#dayList === list).finally(() => (loading = null));
        return (await loading) ? this.#appointments : null;
      },
      open: (id, name) => void this.#open(id, name),
      signOut: () => void this.#signOut(),
    });
    this.#dayList = list;
    await list.show();
  }

  async #signOut(): Promise<void> {
    this.#remembered.clear();
    this.#banner.reset();
    this.#stopTimers();
    this.#consultation?.close();
    this.#consultation = null;
    this.#stopSharing();
    this.#local.stop();
    try {
      await endSession();
    } catch {
      // the cookie expires anyway
    }
    showView('ended', h('h1', {}, 'You have signed out'), h('p', {}, 'To sign in again, open the console link from your clinical system.'));
    setStatus('You have signed out.', 'info', false);
  }

  #stopTimers(): void {
    this.#dayList?.stop();
    this.#dayList = null;
    this.#screen?.stop();
  }

  /** Closes the open consultation's viewer and chat (they live beside the view). */
  #stopSharing(): void {
    this.#screen?.dispose();
    this.#screen = null;
    this.#thread = null;
  }

  /** `restored`: reopening what this tab had open before a reload (if that no longer works, back to the list). */
  async #open(id: string, name?: string, restored = false): Promise<void> {
    this.#stopTimers();
    this.#consultation?.close();
    this.#stopSharing();
    this.#banner.reset();
    this.#remembered.set(id);
    setStatus('Opening the consultation and starting your camera…');
    const find = () => this.#appointments.find((a) => a.id === id)?.patientName ?? '';
    let patientName = name ?? find();
    if (!patientName && (await this.#loadList().catch(() => false))) patientName = find();
    if (!this.#local.hasVideo && !this.#local.hasAudio) {
      const r = await this.#local.open();
      if (r.problem) setStatus(r.problem, 'error');
    }
    const call = new CallView(this.#controls, { media: () => c.media, leave: () => void this.#leave() });
    let shown = false;
    const c: Consultation = new Consultation({
      socket: consultationSocket({ appointmentId: id }),
      local: this.#local,
      remote: remoteInto(call),
      environment: browserEnvironment(),
      on: {
        state: (view, prev) => {
          shown = true;
          if (!this.#screen) {
            patientName ||= view.participants.find((p) => p.role === 'patient')?.name ?? '';
            const parts = { consultation: c, thread: t, call, controls: this.#controls, current: () => this.#consultation === c };
            this.#screen = new ConsultationScreen(parts, view, patientName);
          }
          this.#screen.update(view, prev);
        },
        ended: (reason) => this.#ended(reason),
        failed: (code, message) => {
          c.close();
          if (this.#consultation === c) {
            this.#consultation = null;
            this.#stopSharing();
          }
          this.#stopTimers();
          this.#remembered.clear();
          this.#banner.reset();
          if (restored && !shown) {
            // Reopening after a reload, and the consultation will not have us back: the list, and why.
            void this.#showList().then(() => setStatus(`We could not reopen the consultation. ${describeProblem(code, message).title}.`, 'error'));
            return;
          }
          showProblem(code, message, [button("Back to today's appointments", () => void this.#showList())]);
        },
        connection: (state) => {
          if (this.#banner.show(state) && state === 'connected') setStatus(CONNECTED_AGAIN, 'ok');
        },
        mediaProblem: (m) => setStatus(m, 'error'),
        leave: () => void this.#leave(),
      },
    });
    const t = new Thread(c);
    this.#consultation = c;
    this.#thread = t;
  }

  async #leave(): Promise<void> {
    const c = this.#consultation;
    this.#consultation = null;
    this.#remembered.clear();
    this.#banner.reset();
    this.#stopSharing();
    this.#stopTimers();
    setStatus('Leaving the consultation…');
    await c?.leave();
    this.#local.stop();
    await this.#showList();
    setStatus('You have left the consultation. It carries on until you end it.');
  }

  #ended(reason: EndedReason): void {
    this.#consultation?.close();
    this.#consultation = null;
    // Replaced: the other window has it open now, and remembers it itself.
    this.#remembered.clear();
    this.#banner.reset();
    this.#stopSharing();
    this.#stopTimers();
    this.#local.stop();
    const e = describeEnding(reason, 'clinician');
    const title = reason === 'ended' ? 'The consultation has ended' : e.title;
    showView('ended', h('h1', {}, title), h('p', {}, e.text), h('p', {}, button("Back to today's appointments", () => void this.#showList())));
    setStatus(`${title}. ${e.text}`, 'info', false);
  }
}

const fragment = takeFragment();
void new ConsolePage(fragment.get('t')).signIn(fragment.get('a'));
