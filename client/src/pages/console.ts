// /console: the clinician's page. The link's token (and optionally an
// appointment id) is in the URL fragment. Today's appointments, then one open
// appointment: the waiting room (admit / deny, a note to someone waiting), the
// people in the call (send back / remove, ask for a photo), lock and end, the
// call itself, and the chat with shared files. The open consultation is
// remembered in this tab (its id only), so a reload reopens it; connection
// trouble is retried by itself behind "Reconnecting…". Where the server has
// sign-in with an identity provider, a page without a staff session goes there
// and comes back (a console link that came first is kept for the return, and
// posted once). For the whole page one /staff socket follows the waiting area
// live (ui/console/clinic-day.ts): arrival alerts, the clinic's waiting area
// (coordinators see only that), "N of your patients waiting" and "End and next
// patient" in a consultation. Leave asks: step out, or end for everyone.
// This file is the composition: sign-in and moving between the views; the
// views are ui/console/.
import type { ClinicianAppointmentSummary, SessionInfo } from '../../../server/wire/session.ts';
import type { QueuedAppointment } from '../model/waiting-queue.ts';
import { Consultation, type EndedReason } from '../model/consultation.ts';
import { LocalDevices } from '../model/local-devices.ts';
import { Thread } from '../model/thread.ts';
import { ApiError, clinicianAppointments, isRetryable, signOutStaff, takeFragment } from '../net/api.ts';
import { consultationSocket } from '../net/socket.ts';
import { CallView, remoteInto } from '../ui/call-view.ts';
import { ClinicDay } from '../ui/console/clinic-day.ts';
import { ConsultationScreen } from '../ui/console/consultation-screen.ts';
import { LeaveDialog } from '../ui/console/leave-dialog.ts';
import { NextPatientBar } from '../ui/console/next-patient.ts';
import { TabTitle } from '../ui/console/tab-title.ts';
import { ConnectionBanner } from '../ui/connection-banner.ts';
import { DayList } from '../ui/console/day-list.ts';
import { rememberedConsultation } from '../ui/console/remembered.ts';
import { coordinatesAny, isClinician, showNotClinician, showPatientSession, showSignedOut, showSignedOutHere, showSignInAgain, showSignInStuck } from '../ui/console/account.ts';
import { goToSignIn, justTriedSignIn, signInDone, takeKeptTicket } from '../ui/console/sign-in.ts';
import { DeviceControls } from '../ui/device-controls.ts';
import { button, clearStatus, h, setStatus, showView } from '../ui/dom.ts';
import {
  CLINIC_CONSOLE,
  CONNECTED_AGAIN,
  describeEnding,
  describeProblem,
  errorText,
  isoDay,
  LEAVE_DIALOG,
  NEXT_PATIENT,
  RECONNECTING,
} from '../ui/messages.ts';
import { applyLanguage, t } from '../i18n/i18n.ts';
import { mountLanguageSwitch } from '../ui/language-switch.ts';
import { browserEnvironment, codeOf, exposeDiagnostics, exposeRecovery, exposeThread, openSession, retrying, sessionMissing, showProblem } from '../ui/page.ts';

// The page's language first: <html lang>, the switch, and the static HTML's words.
applyLanguage();
mountLanguageSwitch();
document.title = t('console:page.title');
const opening = document.querySelector('#app h1');
if (opening) opening.textContent = t('console:page.opening');

class ConsolePage {
  readonly #local = new LocalDevices();
  readonly #controls = new DeviceControls(this.#local);
  #token: string | null;
  #clinicianName = '';
  /** How this session was signed in (what "You were signed out" offers), and its idle limit. */
  #via: 'oidc' | 'ticket' = 'ticket';
  #idleMinutes: number | null = null;
  #appointments: ClinicianAppointmentSummary[] = [];
  #consultation: Consultation | null = null;
  #thread: Thread | null = null;
  #screen: ConsultationScreen | null = null;
  #dayList: DayList | null = null;
  /** The live waiting area and alerts (from sign-in to sign-out). */
  #day: ClinicDay | null = null;
  /** In a consultation: the queue bar. */
  #queueBar: NextPatientBar | null = null;
  readonly #title = new TabTitle(() => this.#day?.waitingCount() ?? null);
  #leaveDialog: LeaveDialog | null = null;
  /** "End and next patient" is under way: one click is one move. */
  #moving = false;
  /** "End and next patient" waits for this consultation's ending (its ack may never come: ending closes the socket). */
  #endWaiter: { c: Consultation; resolve: () => void } | null = null;
  /** The appointment being opened (before its first view arrives). */
  #opening: string | null = null;
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
      this.#day?.close();
      this.#local.stop();
    });
  }

  async signIn(openId: string | null): Promise<void> {
    setStatus(t('console:signIn.signingIn'));
    // Back from the identity provider with a console link that came before the sign-in: post it now, once.
    if (!this.#token) {
      const kept = takeKeptTicket();
      if (kept) {
        this.#token = kept.token;
        openId ??= kept.appointmentId;
      }
    }
    let info: SessionInfo;
    try {
      info = await openSession(this.#token, 'clinician');
    } catch (e) {
      const { code, message } = codeOf(e);
      if (code === 'SIGN_IN_REQUIRED') {
        this.#needSignIn(openId);
        return;
      }
      if (sessionMissing(e, this.#token)) {
        this.#remembered.clear();
        showSignInAgain();
        return;
      }
      showProblem(code, message, describeProblem(code, message).retry ? [button(t('console:signIn.tryAgain'), () => void this.signIn(openId))] : []);
      return;
    }
    this.#token = null; // used: a retry from here on resumes the session instead
    signInDone();
    clearStatus(); // "Signing you in…" is done: each view says what happens next
    if (info.kind !== 'clinician') {
      showPatientSession();
      return;
    }
    this.#clinicianName = info.name;
    this.#via = info.via;
    this.#idleMinutes = info.idleMinutes;
    const coordinator = coordinatesAny(info);
    if (!isClinician(info) && !coordinator) {
      showNotClinician(info, () => void this.#signOut());
      return;
    }
    this.#day = new ClinicDay({
      info,
      open: (id, name) => void this.#switchTo(id, name),
      showing: (id) => this.#openId() === id && document.visibilityState === 'visible',
      changed: () => this.#viewChanged(),
      ownChanged: () => this.#dayList?.refreshSoon(),
      ended: () => this.#sessionEnded(),
    });
    if (!isClinician(info)) {
      // A coordinator's console: the clinic's waiting area, nothing to open.
      this.#showClinic();
      return;
    }
    // A link naming an appointment wins; otherwise the one this tab had open before a reload.
    const remembered = openId ? null : this.#remembered.get();
    if (openId) void this.#open(openId);
    else if (remembered) void this.#open(remembered, undefined, true);
    else void this.#showList();
  }

  /** No staff session and the server has sign-in: to the provider (keeping a console link), unless that just happened. */
  #needSignIn(openId: string | null): void {
    const ticket = this.#token ? { token: this.#token, appointmentId: openId } : null;
    this.#token = null;
    if (justTriedSignIn()) {
      // Back from the provider and still no session (cookies blocked?): ask instead of going round again.
      showSignInStuck(() => goToSignIn(ticket));
      return;
    }
    setStatus(t('console:signIn.going'));
    goToSignIn(ticket);
  }

  /** Today's appointments; `stillWanted` keeps retrying through an outage while it says so. */
  async #loadList(stillWanted?: () => boolean, background = false): Promise<boolean> {
    const load = () => clinicianAppointments(isoDay(new Date()), background);
    try {
      this.#appointments = await (stillWanted ? retrying(load, () => !stillWanted()) : load());
      return true;
    } catch (e) {
      if (!stillWanted?.()) return false;
      if (e instanceof ApiError && e.status === 401) {
        // The session ended (idle, revoked, signed out elsewhere).
        this.#sessionEnded();
        return false;
      }
      setStatus(isRetryable(e) ? RECONNECTING : `${t('console:day.loadFailed')} ${errorText(e)}`, 'error');
      return false;
    }
  }

  async #showList(): Promise<void> {
    this.#stopTimers();
    // One load at a time: through an outage the background refresh joins the retrying one.
    let loading: Promise<boolean> | null = null;
    const list: DayList = new DayList({
      clinicianName: this.#clinicianName,
      load: async (background) => {
        loading ??= this.#loadList(() => this.#dayList === list, background).finally(() => (loading = null));
        return (await loading) ? this.#appointments : null;
      },
      open: (id, name) => void this.#open(id, name),
      signOut: () => void this.#signOut(),
      panels: this.#day?.panels() ?? [],
      title: (n) => this.#title.list(n, false),
    });
    this.#dayList = list;
    const shown = list.show();
    this.#day?.waitingArea.render();
    await shown;
  }

  /** A coordinator without patients of their own: the clinic's waiting area, running late, alerts. */
  #showClinic(): void {
    showView(
      'clinic',
      h('h1', {}, CLINIC_CONSOLE.heading),
      h('p', {}, CLINIC_CONSOLE.intro(this.#clinicianName)),
      ...(this.#day?.panels() ?? []),
      h('p', {}, button(t('console:account.signOut'), () => void this.#signOut(), 'secondary')),
    );
    this.#day?.waitingArea.render();
    this.#title.list(0, true);
  }

  /** The appointment whose consultation is open here, if any. */
  #openId(): string | null {
    return this.#consultation?.view?.appointmentId ?? this.#opening;
  }

  /** The live view changed: the queue bar and the tab title follow. */
  #viewChanged(): void {
    this.#queueBar?.update(this.#day?.queue(this.#openId()) ?? null);
    const clinic = document.body.dataset.phase === 'clinic';
    this.#title.refresh(this.#dayList !== null || clinic, clinic);
  }

  async #signOut(): Promise<void> {
    this.#day?.close();
    this.#day = null;
    this.#remembered.clear();
    this.#banner.reset();
    this.#stopTimers();
    this.#consultation?.close();
    this.#consultation = null;
    this.#stopSharing();
    this.#local.stop();
    try {
      // The server ends the session and says where to go: the provider's sign-out, or our signed-out page.
      const { redirect } = await signOutStaff();
      location.assign(redirect);
      return;
    } catch {
      // the session ends by itself when unused
    }
    showSignedOutHere();
  }

  #stopTimers(): void {
    this.#dayList?.stop();
    this.#dayList = null;
    this.#screen?.stop();
  }

  /** Closes the open consultation's viewer and chat (they live beside the view), its queue bar and leave dialog. */
  #stopSharing(): void {
    this.#screen?.dispose();
    this.#screen = null;
    this.#thread = null;
    this.#queueBar?.stop();
    this.#queueBar = null;
    this.#title.leaveConsultation();
    this.#leaveDialog?.remove();
    this.#leaveDialog = null;
    this.#opening = null;
  }

  /**
   * Opens a patient's consultation from the waiting area, the banner or a
   * notification. Already in another one: step out of it first (its patient
   * is told, as with Leave), never just drop it.
   */
  async #switchTo(id: string, name: string): Promise<void> {
    if (this.#openId() === id) return;
    const c = this.#consultation;
    if (c) {
      this.#consultation = null;
      setStatus(LEAVE_DIALOG.steppedOut);
      await c.leave();
    }
    await this.#open(id, name);
  }

  /** "End and next patient": this consultation ends for everyone, then the longest-waiting patient's opens. */
  async #endAndNext(head: QueuedAppointment): Promise<void> {
    const c = this.#consultation;
    if (!c || this.#moving) return;
    this.#moving = true;
    if (this.#queueBar) this.#queueBar.busy = true;
    setStatus(NEXT_PATIENT.moving(head.name));
    // Not the open one any more: its ending ("The consultation has ended") is not shown, the next one opens instead.
    this.#consultation = null;
    const ended = new Promise<void>((resolve) => (this.#endWaiter = { c, resolve }));
    let failure: unknown = null;
    try {
      await Promise.race([c.rpc.request('consultation:end', {}), ended]);
    } catch (e) {
      // The ending closes the socket, which fails the pending request just before "ended" is handed on: wait for that a moment.
      const endedAnyway = await Promise.race([ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2_000))]);
      if (!endedAnyway) failure = e;
    }
    this.#endWaiter = null;
    this.#moving = false;
    if (failure) {
      if (this.#queueBar) this.#queueBar.busy = false;
      this.#consultation = c;
      setStatus(`${NEXT_PATIENT.failed} ${errorText(failure)}`, 'error');
      return;
    }
    c.close();
    await this.#open(head.appointmentId, head.name);
  }

  /** Leave asks first (a dialog): step out, or end for everyone. */
  #askLeave(): void {
    const c = this.#consultation;
    if (!c) return;
    this.#leaveDialog ??= new LeaveDialog({
      stepOut: () => void this.#leave(),
      endForEveryone: () => void this.#endForEveryone(),
    });
    this.#leaveDialog.open(() => document.querySelector<HTMLElement>('#app h1'));
  }

  async #endForEveryone(): Promise<void> {
    const c = this.#consultation;
    if (!c) return;
    setStatus(t('console:consultation.ending'));
    try {
      await c.rpc.request('consultation:end', {});
    } catch (e) {
      // The ending itself closes the socket, and "The consultation has ended" follows: only a refusal is news.
      if (this.#consultation === c) setStatus(`${t('console:consultation.endFailed')} ${errorText(e)}`, 'error');
    }
  }

  /** `restored`: reopening what this tab had open before a reload (if that no longer works, back to the list). */
  async #open(id: string, name?: string, restored = false): Promise<void> {
    this.#stopTimers();
    this.#consultation?.close();
    this.#stopSharing();
    this.#banner.reset();
    this.#remembered.set(id);
    this.#opening = id;
    this.#day?.alerts.banner.forget(id);
    setStatus(t('console:consultation.opening'));
    const find = () => this.#appointments.find((a) => a.id === id)?.patientName ?? '';
    let patientName = name ?? find();
    if (!patientName && (await this.#loadList().catch(() => false))) patientName = find();
    if (!this.#local.hasVideo && !this.#local.hasAudio) {
      const r = await this.#local.open();
      if (r.problem) setStatus(r.problem, 'error');
    }
    const call = new CallView(this.#controls, { media: () => c.media, leave: () => this.#askLeave() });
    const bar = this.#day?.clinician ? new NextPatientBar((head) => void this.#endAndNext(head)) : null;
    this.#queueBar = bar;
    bar?.update(this.#day?.queue(id) ?? null);
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
            const parts = {
              consultation: c,
              thread,
              call,
              controls: this.#controls,
              current: () => this.#consultation === c,
              ...(bar ? { queueBar: bar.element } : {}),
              title: (title: string, waitingHere: number) => {
                if (this.#consultation === c) this.#title.consultation(title, waitingHere);
              },
            };
            this.#screen = new ConsultationScreen(parts, view, patientName);
          }
          this.#screen.update(view, prev);
        },
        ended: (reason) => {
          // Not the open one any more (ended for "End and next patient", or stepped out of): nothing to show.
          if (this.#consultation === c) this.#ended(reason);
          else if (this.#endWaiter?.c === c) this.#endWaiter.resolve();
        },
        failed: (code, message) => {
          c.close();
          // Not the open one any more (ended for "End and next patient", stepped out of): its closing is no news.
          if (this.#consultation !== c) return;
          this.#consultation = null;
          this.#stopSharing();
          this.#stopTimers();
          this.#remembered.clear();
          this.#banner.reset();
          if (restored && !shown) {
            // Reopening after a reload, and the consultation will not have us back: the list, and why.
            void this.#showList().then(() => setStatus(t('console:consultation.reopenFailed', { reason: describeProblem(code, message).title }), 'error'));
            return;
          }
          showProblem(code, message, [button(t('console:consultation.backToList'), () => void this.#showList())]);
        },
        connection: (state) => {
          if (this.#banner.show(state) && state === 'connected') setStatus(CONNECTED_AGAIN, 'ok');
        },
        mediaProblem: (m) => setStatus(m, 'error'),
        leave: () => this.#askLeave(),
      },
    });
    const thread = new Thread(c);
    this.#consultation = c;
    this.#thread = thread;
  }

  async #leave(): Promise<void> {
    const c = this.#consultation;
    this.#consultation = null;
    this.#remembered.clear();
    this.#banner.reset();
    this.#stopSharing();
    this.#stopTimers();
    setStatus(t('console:consultation.leaving'));
    await c?.leave();
    this.#local.stop();
    await this.#showList();
    setStatus(LEAVE_DIALOG.steppedOut);
  }

  /** Everything stopped, and "You were signed out" (with a Sign in button where the provider is how staff sign in). */
  #sessionEnded(): void {
    // The staff socket and an open consultation's socket may both say so.
    if (document.body.dataset.phase === 'signed-out') return;
    this.#day?.close();
    this.#day = null;
    this.#closeConsultation();
    showSignedOut(this.#via, this.#idleMinutes, () => goToSignIn(null));
  }

  /** The open consultation closed, camera and microphone off, nothing remembered (after "replaced" the other window remembers it itself). */
  #closeConsultation(): void {
    this.#consultation?.close();
    this.#consultation = null;
    this.#remembered.clear();
    this.#banner.reset();
    this.#stopSharing();
    this.#stopTimers();
    this.#local.stop();
  }

  #ended(reason: EndedReason): void {
    if (reason === 'signed-out') {
      this.#sessionEnded();
      return;
    }
    this.#closeConsultation();
    const e = describeEnding(reason, 'clinician');
    const title = reason === 'ended' ? t('console:consultation.ended') : e.title;
    showView('ended', h('h1', {}, title), h('p', {}, e.text), h('p', {}, button(t('console:consultation.backToList'), () => void this.#showList())));
    setStatus(`${title}. ${e.text}`, 'info', false);
  }
}

const fragment = takeFragment();
// The appointment: from a console link's fragment, or /console?appointment=<id> (a signed-in clinician needs no link).
void new ConsolePage(fragment.get('t')).signIn(fragment.get('a') ?? new URLSearchParams(location.search).get('appointment'));
