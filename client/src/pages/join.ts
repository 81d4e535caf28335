// /join: the patient's (or interpreter's, or family member's) page. The link's
// token is in the URL fragment: it is exchanged once for a session cookie and
// removed from the address bar. Then: a name check and consent with a camera
// and microphone preview (its result sent once in the waiting room), the
// waiting room (nobody seen or heard; honest status, the clinic's message and
// notes from the clinician shown), the call with its chat and photo requests
// (a chime, the tab title and a notification when let in while the page is in
// the background), and a plain final message. Trouble on the way (the service
// unreachable for a while, the connection dropping) is retried by itself
// behind "Reconnecting…". A second link opened in the same tab (only the
// fragment changes) closes this one and opens the new one. The page speaks the
// chosen language (i18n/) and offers the other; switching reloads, and the
// session cookie brings the person back where they were. This file
// is the composition: sign-in and moving between the screens; the screens are ui/join/.
import type { ConsultationView } from '../../../server/wire/participants.ts';
import type { SessionInfo } from '../../../server/wire/session.ts';
import { takeFragment } from '../net/api.ts';
import { Consultation, type EndedReason } from '../model/consultation.ts';
import { button, clearStatus, h, setStatus, showView } from '../ui/dom.ts';
import { applyLanguage, t } from '../i18n/i18n.ts';
import { mountLanguageSwitch } from '../ui/language-switch.ts';
import { runPrecallCheck } from '../model/connectivity-check.ts';
import { CALL_CLINIC, CONNECTED_AGAIN, describeEnding, describeProblem, type EndReason } from '../ui/messages.ts';
import { browserEnvironment, codeOf, exposeDiagnostics, exposeRecovery, exposeThread, openSession, sessionMissing, showProblem, withoutTitle } from '../ui/page.ts';
import { ConnectionBanner } from '../ui/connection-banner.ts';
import { LocalDevices } from '../model/local-devices.ts';
import { consultationSocket } from '../net/socket.ts';
import { CallView, remoteInto } from '../ui/call-view.ts';
import { DeviceControls } from '../ui/device-controls.ts';
import { showConsent, type Guest } from '../ui/join/consent.ts';
import { startSharing, stopSharing, type Sharing } from '../ui/join/sharing.ts';
import { showWaitingRoom, type WaitingRoom } from '../ui/join/waiting-room.ts';
import { alertLetIn } from '../ui/join/let-in-alert.ts';
import { Chime, LET_IN_NOTES } from '../ui/chime.ts';
import { phoneLine } from '../ui/join/clinic-details.ts';
import { keepLinkProblem, keptLinkProblem } from '../ui/join/link-problem.ts';

type Screen = 'loading' | 'consent' | 'waiting' | 'call' | 'ended' | 'error';

/** Endings that send the patient to the clinic: its number follows, when it set one. */
const CALL_CLINIC_AFTER = new Set<string>(['cancelled', 'link-reissued', 'denied', 'removed']);

class JoinPage {
  readonly #local = new LocalDevices();
  readonly #controls = new DeviceControls(this.#local);
  /** The let-in chime: made now, so it can sound once the patient has used the page (ticked the box, pressed Join). */
  readonly #chime = new Chime(LET_IN_NOTES);
  readonly #token: string | null;
  #session: Guest | null = null;
  #consultation: Consultation | null = null;
  /** The call view of the open consultation (built here, fed by it). */
  #call: CallView | null = null;
  #screen: Screen = 'loading';
  #wasAdmitted = false;
  readonly #banner = new ConnectionBanner(() => this.#consultation?.rejoin());
  #localOpened: Promise<unknown> | null = null;
  #sharing: Sharing | null = null;
  #waiting: WaitingRoom | null = null;
  /** The pre-call check went to the server (once a page: it is kept with the participant). */
  #checkSent = false;
  /** Stops the pre-call check's probes once they no longer matter (let in, left, closed). */
  #checkAbort: AbortController | null = null;

  constructor(token: string | null) {
    this.#token = token;
    exposeDiagnostics(() => {
      const media = this.#consultation?.media;
      return media ? media.receiveStats() : null;
    });
    exposeThread(() => this.#sharing?.thread.items ?? []);
    exposeRecovery(() => this.#consultation?.recovery ?? null);
    this.#banner.mount();
    window.addEventListener('pagehide', () => this.#close());
    window.addEventListener('hashchange', () => this.#linkOpened());
  }

  /** Everything this page holds open: the consultation's connection, the pre-call check, the camera and microphone. */
  #close(): void {
    this.#checkAbort?.abort();
    this.#consultation?.close();
    this.#consultation = null;
    this.#local.stop();
  }

  /**
   * Another link opened in this tab: only the fragment changed, so the page did
   * not load. Closes this appointment and loads the page again, which takes
   * the new token from the fragment (and removes it from the address bar).
   */
  #linkOpened(): void {
    if (!new URLSearchParams(location.hash.replace(/^#/, '')).get('t')) return;
    this.#close();
    location.reload();
  }

  async signIn(retry = false): Promise<void> {
    this.#screen = 'loading';
    // The heading says it (the static page's at first); a retry shows it again, without repeating it as a status.
    if (retry) showView('loading', h('h1', {}, t('join:page.loading')));
    clearStatus();
    let info: SessionInfo;
    try {
      info = await openSession(this.#token);
    } catch (e) {
      const { code, message, details = [] } = codeOf(e);
      const missing = sessionMissing(e, this.#token);
      this.#screen = 'error';
      if (missing) {
        // A reload after the link failed (e.g. to switch language): the same words as before, else "open your link again".
        const kept = keptLinkProblem();
        showProblem(kept?.code ?? 'UNAUTHENTICATED', '', [], kept?.details ?? []);
        return;
      }
      if (this.#token) keepLinkProblem({ code, details });
      showProblem(code, message, describeProblem(code, message, details).retry ? [button(t('join:signIn.tryAgain'), () => void this.signIn(true))] : [], details);
      return;
    }
    keepLinkProblem(null);
    if (info.kind !== 'guest') {
      this.#screen = 'error';
      showView(
        'error',
        h('h1', {}, t('join:signIn.staffHeading')),
        h('p', {}, t('join:signIn.staffText'), ' ', h('a', { href: '/console' }, t('join:signIn.staffLink'))),
      );
      return;
    }
    this.#session = info;
    if (info.state === 'denied' || info.state === 'removed') return this.#end(info.state);
    // The same device coming back goes straight to where it was: the call, or the waiting room.
    if (info.resumed && (info.state === 'admitted' || (info.state === 'waiting' && info.enteredWaitingRoom))) {
      // The focused heading says it: no status repeating it.
      showView('loading', h('h1', {}, info.state === 'admitted' ? t('join:signIn.rejoiningCall') : t('join:signIn.rejoiningWaiting')));
      await this.#openLocal();
      this.#connect();
      return;
    }
    this.#screen = 'consent';
    showConsent(info, {
      controls: this.#controls,
      local: this.#local,
      openLocal: () => this.#openLocal(),
      forgetLocal: () => {
        this.#localOpened = null;
      },
      join: () => this.#connect(),
    });
  }

  #clinicianName(): string {
    return this.#consultation?.view?.clinicianName ?? this.#session?.clinicianName ?? t('join:people.clinicianFallback');
  }

  #stopSharing(): void {
    this.#waiting?.detach();
    this.#waiting = null;
    if (!this.#sharing) return;
    stopSharing(this.#sharing);
    this.#sharing = null;
  }

  #openLocal(): Promise<unknown> {
    this.#localOpened ??= this.#local.open();
    return this.#localOpened;
  }

  #connect(): void {
    this.#consultation?.close();
    this.#stopSharing();
    this.#wasAdmitted = false;
    const view = new CallView(this.#controls, { media: () => c.media, leave: () => void this.#leave() });
    const c: Consultation = new Consultation({
      socket: consultationSocket(),
      local: this.#local,
      remote: remoteInto(view),
      environment: browserEnvironment(),
      on: {
        state: (v) => this.#onState(v),
        ended: (reason: EndedReason) => this.#end(reason),
        failed: (code, message) => {
          this.#close();
          this.#stopSharing();
          this.#banner.reset();
          this.#screen = 'error';
          showProblem(code, message, [button(t('join:signIn.tryAgain'), () => location.reload())]);
        },
        connection: (state) => {
          if (this.#banner.show(state) && state === 'connected') setStatus(CONNECTED_AGAIN, 'ok');
        },
        mediaProblem: (m) => setStatus(m, 'error'),
        leave: () => void this.#leave(),
      },
    });
    this.#consultation = c;
    this.#call = view;
    this.#sharing = startSharing(c, {
      local: this.#local,
      clinicianName: () => this.#clinicianName(),
      inCall: () => this.#screen === 'call',
    });
  }

  #onState(view: ConsultationView): void {
    const s = view.self.state;
    if (s === 'waiting' && this.#screen !== 'waiting') this.#showWaiting(view);
    else if (s === 'waiting') this.#waiting?.update(view);
    else if (s === 'admitted' && this.#screen !== 'call') this.#showCall(view);
    else if (s === 'denied' || s === 'removed' || s === 'left') this.#end(s);
  }

  #showWaiting(view: ConsultationView): void {
    const sentBack = this.#wasAdmitted;
    if (this.#screen === 'call') this.#call?.deactivate();
    this.#screen = 'waiting';
    this.#sharing?.photo.close();
    this.#sharing?.viewer.close();
    this.#waiting?.detach();
    this.#waiting = showWaitingRoom(view, {
      controls: this.#controls,
      thread: this.#sharing?.thread ?? null,
      sentBack,
      reused: view.self.linkReused || (this.#session?.linkReused ?? false),
      leave: () => void this.#leave(),
    });
    this.#sendCheck();
  }

  /**
   * The pre-call check (camera, microphone, and what the network lets through
   * to the video service), for the clinic's waiting area. A slow or
   * relay-only link is said kindly here too; a refusal changes nothing.
   */
  #sendCheck(): void {
    const c = this.#consultation;
    if (this.#checkSent || !c) return;
    this.#checkSent = true;
    const abort = new AbortController();
    this.#checkAbort = abort;
    const local = this.#local;
    void this.#openLocal()
      .then(() => runPrecallCheck({ stream: local.stream, hasVideo: local.hasVideo, hasAudio: local.hasAudio, signal: abort.signal }))
      .then((check) => (c === this.#consultation && this.#screen === 'waiting' ? c.rpc.request('self:check', check) : null))
      .then((ack) => {
        if (this.#screen === 'waiting' && (ack?.verdict === 'weak' || ack?.verdict === 'relay-only')) this.#waiting?.slowConnection();
      })
      .catch(() => undefined);
  }

  #showCall(view: ConsultationView): void {
    const c = this.#call;
    if (!this.#consultation || !c) return;
    const fromWaiting = this.#screen === 'waiting';
    this.#checkAbort?.abort();
    this.#screen = 'call';
    this.#wasAdmitted = true;
    this.#waiting?.detach();
    this.#waiting = null;
    c.settings.append(this.#controls.element);
    const chat = this.#sharing?.chat;
    if (chat?.toggle) c.addControl(chat.toggle);
    showView(
      'call',
      h('h1', {}, t('join:call.heading')),
      h('p', {}, t('join:call.with', { name: view.clinicianName })),
      h('div', { class: 'call-layout' }, c.element, ...(chat ? [chat.element] : [])),
    );
    c.activate();
    setStatus(t('join:call.letIn'), 'ok');
    if (fromWaiting) alertLetIn(this.#chime);
  }

  async #leave(): Promise<void> {
    const c = this.#consultation;
    this.#consultation = null;
    setStatus(t('join:call.leaving'));
    await c?.leave();
    this.#end('left');
  }

  #end(reason: EndedReason | EndReason): void {
    const phone = (this.#consultation?.view?.clinic ?? this.#session?.clinic)?.phone;
    this.#close();
    this.#stopSharing();
    this.#banner.reset();
    this.#screen = 'ended';
    const e = describeEnding(reason, 'guest');
    const call = CALL_CLINIC_AFTER.has(reason) ? phoneLine(phone, CALL_CLINIC) : null;
    showView(
      'ended',
      h('h1', {}, e.title),
      h('p', {}, e.text),
      ...(call ? [call] : []),
      ...(e.rejoin ? [h('p', {}, button(t('join:ended.joinAgain'), () => location.reload()))] : []),
    );
    // The focused heading reads the title: the status adds the rest.
    setStatus(withoutTitle(e.text, e.title), reason === 'ended' || reason === 'left' || reason === 'replaced' ? 'info' : 'error', false);
  }
}

/** The page in its language, with the switch to the other; the static page's words replaced from the catalogue. */
function startPage(): void {
  applyLanguage();
  mountLanguageSwitch();
  document.title = t('join:page.title');
  const loading = document.querySelector<HTMLElement>('#loading-heading');
  if (loading) loading.textContent = t('join:page.loading');
}

startPage();
void new JoinPage(takeFragment().get('t')).signIn();
