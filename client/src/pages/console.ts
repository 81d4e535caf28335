// /console: the clinician's page. The link's token (and optionally an
// appointment id) is in the URL fragment. Today's appointments, then one open
// appointment: the waiting room (admit / deny, a note to someone waiting), the
// people in the call (send back / remove, ask for a photo), lock and end, the
// call itself, and the chat with shared files. The open consultation is
// remembered in this tab (its id only), so a reload reopens it; connection
// trouble is retried by itself behind "Reconnecting…". Where the server has
// sign-in with an identity provider, a page without a staff session goes there
// and comes back (a console link that came first is kept for the return, and
// posted once). This file is the composition: sign-in and moving between the
// views; the views are ui/console/.
import type { ClinicianAppointmentSummary, SessionInfo } from '../../../server/wire/session.ts';
import { Consultation, type EndedReason } from '../model/consultation.ts';
import { LocalDevices } from '../model/local-devices.ts';
import { Thread } from '../model/thread.ts';
import { ApiError, clinicianAppointments, isRetryable, signOutStaff, takeFragment } from '../net/api.ts';
import { consultationSocket } from '../net/socket.ts';
import { CallView, remoteInto } from '../ui/call-view.ts';
import { ConsultationScreen } from '../ui/console/consultation-screen.ts';
import { ConnectionBanner } from '../ui/connection-banner.ts';
import { DayList } from '../ui/console/day-list.ts';
import { rememberedConsultation } from '../ui/console/remembered.ts';
import { isClinician, showNotClinician, showSignedOut } from '../ui/console/account.ts';
import { goToSignIn, justTriedSignIn, signInDone, takeKeptTicket } from '../ui/console/sign-in.ts';
import { DeviceControls } from '../ui/device-controls.ts';
import { button, h, setStatus, showView } from '../ui/dom.ts';
import { CONNECTED_AGAIN, describeEnding, describeProblem, errorText, isoDay, RECONNECTING } from '../ui/messages.ts';
import { browserEnvironment, codeOf, exposeDiagnostics, exposeRecovery, exposeThread, openSession, retrying, sessionMissing, showProblem } from '../ui/page.ts';

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
        showView('error', h('h1', {}, 'Please sign in again'), h('p', {}, 'Open the console link from your clinical system to sign in.'));
        setStatus('You are not signed in.', 'error', false);
        return;
      }
      showProblem(code, message, describeProblem(code, message).retry ? [button('Try again', () => void this.signIn(openId))] : []);
      return;
    }
    this.#token = null; // used: a retry from here on resumes the session instead
    signInDone();
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
    this.#via = info.via;
    this.#idleMinutes = info.idleMinutes;
    if (!isClinician(info)) {
      showNotClinician(info, () => void this.#signOut());
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
      showView(
        'sign-in',
        h('h1', {}, 'Please sign in'),
        h('p', {}, 'You need to sign in to use the clinician console. If you have just signed in, check that this browser allows cookies for this site.'),
        h('p', {}, button('Sign in', () => goToSignIn(ticket))),
      );
      setStatus('You are not signed in.', 'error', false);
      return;
    }
    setStatus('Taking you to sign in…');
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
      load: async (background) => {
        loading ??= this.#loadList(() => this.#dayList === list, background).finally(() => (loading = null));
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
      // The server ends the session and says where to go: the provider's sign-out, or our signed-out page.
      const { redirect } = await signOutStaff();
      location.assign(redirect);
      return;
    } catch {
      // the session ends by itself when unused
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

  /** Everything stopped, and "You were signed out" (with a Sign in button where the provider is how staff sign in). */
  #sessionEnded(): void {
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
    const title = reason === 'ended' ? 'The consultation has ended' : e.title;
    showView('ended', h('h1', {}, title), h('p', {}, e.text), h('p', {}, button("Back to today's appointments", () => void this.#showList())));
    setStatus(`${title}. ${e.text}`, 'info', false);
  }
}

const fragment = takeFragment();
// The appointment: from a console link's fragment, or /console?appointment=<id> (a signed-in clinician needs no link).
void new ConsolePage(fragment.get('t')).signIn(fragment.get('a') ?? new URLSearchParams(location.search).get('appointment'));
