// /join: the patient's (or interpreter's, or family member's) page. The link's
// token is in the URL fragment: it is exchanged once for a session cookie and
// removed from the address bar. Then: a name check and consent with a camera
// and microphone preview, the waiting room (nobody seen or heard; notes from
// the clinician shown), the call with its chat and photo requests, and a plain
// final message.
import type { ConsultationView, SessionInfo } from '../../../server/signaling/protocol.ts';
import { ApiError, createSession, currentSession, takeFragment } from '../net/api.ts';
import { Consultation, type EndedReason } from '../model/consultation.ts';
import { button, h, setStatus, showView } from '../ui/dom.ts';
import { FileViewer } from '../ui/file-viewer.ts';
import { asRole, describeEnding, describeProblem, when, type EndReason } from '../ui/messages.ts';
import { codeOf, exposeDiagnostics, exposeThread, previewFigure, showProblem } from '../ui/page.ts';
import { PhotoDialog } from '../ui/photo-dialog.ts';
import { LocalDevices } from '../model/local-devices.ts';
import { Thread } from '../model/thread.ts';
import { consultationSocket } from '../net/socket.ts';
import { CallView, remoteInto } from '../ui/call-view.ts';
import { DeviceControls } from '../ui/device-controls.ts';
import { ThreadView } from '../ui/thread-view.ts';
import { waitingNotes } from '../ui/waiting-notes.ts';

type Guest = Extract<SessionInfo, { kind: 'guest' }>;
type Screen = 'loading' | 'consent' | 'waiting' | 'call' | 'ended' | 'error';

const local = new LocalDevices();
const controls = new DeviceControls(local);
let token: string | null = null;
let session: Guest | null = null;
let consultation: Consultation | null = null;
/** The call view of the open consultation (built here, fed by it). */
let call: CallView | null = null;
let screen: Screen = 'loading';
let wasAdmitted = false;
let reconnecting = false;
let localOpened: Promise<unknown> | null = null;
let sharing: Sharing | null = null;
let detachNotes: (() => void) | null = null;

exposeDiagnostics(() => {
  const media = consultation?.media;
  return media ? media.receiveStats() : null;
});
exposeThread(() => sharing?.thread.items ?? []);

/** The chat, the photo dialog and the file viewer of one consultation connection. */
interface Sharing {
  thread: Thread;
  chat: ThreadView;
  photo: PhotoDialog;
  viewer: FileViewer;
}

function clinicianName(): string {
  return consultation?.view?.clinicianName ?? session?.clinicianName ?? 'Your clinician';
}

function startSharing(c: Consultation): Sharing {
  const thread = new Thread(c);
  const viewer = new FileViewer(thread, false);
  const photo = new PhotoDialog(thread, clinicianName, local);
  const back = () => chat.messageBox;
  const chat: ThreadView = new ThreadView({
    thread,
    nameOf: (id) => c.view?.participants.find((p) => p.id === id)?.name ?? 'another person',
    openFile: (item) => viewer.open(item, back),
    answerRequest: (item) => photo.open(item, back),
    actions: [button('Send a photo or file', () => photo.open(null, back), 'secondary')],
    collapsible: true,
  });
  // A photo request opens the dialog at once (on the page it is addressed to).
  thread.subscribe((change) => {
    if (!('item' in change) || !change.live || screen !== 'call') return;
    const item = change.item;
    if (item.kind === 'photo-request' && item.to === thread.selfId) {
      viewer.close();
      photo.open(item, back);
    }
  });
  return { thread, chat, photo, viewer };
}

function stopSharing(): void {
  detachNotes?.();
  detachNotes = null;
  if (!sharing) return;
  sharing.chat.detach();
  sharing.photo.dispose();
  sharing.viewer.dispose();
  sharing.thread.dispose();
  sharing = null;
}

function openLocal(): Promise<unknown> {
  localOpened ??= local.open();
  return localOpened;
}

async function signIn(): Promise<void> {
  screen = 'loading';
  setStatus('Opening your appointment…');
  let info: SessionInfo;
  try {
    info = token ? await createSession(token) : await currentSession();
  } catch (e) {
    const { code, message } = codeOf(e);
    // A reload with no session: the link has to be opened again.
    const missing = !token && e instanceof ApiError && e.status === 401;
    screen = 'error';
    if (missing) showProblem('UNAUTHENTICATED', '');
    else showProblem(code, message, describeProblem(code, message).retry ? [button('Try again', () => void signIn())] : []);
    return;
  }
  if (info.kind !== 'guest') {
    screen = 'error';
    showView(
      'error',
      h('h1', {}, 'This page is for patients and their guests'),
      h('p', {}, 'You are signed in as a clinician. ', h('a', { href: '/console' }, 'Go to the clinician console'), '.'),
    );
    return;
  }
  session = info;
  if (info.state === 'denied' || info.state === 'removed') return end(info.state);
  // The same device coming back goes straight to where it was: the call, or the waiting room.
  if (info.resumed && (info.state === 'admitted' || (info.state === 'waiting' && info.enteredWaitingRoom))) {
    const where = info.state === 'admitted' ? 'your consultation' : 'the waiting room';
    showView('loading', h('h1', {}, `Rejoining ${where}…`));
    setStatus(`Rejoining ${where}…`);
    await openLocal();
    connect();
    return;
  }
  showConsent(info);
}

function reusedText(): string {
  return 'This link was already used on another device; the clinician will decide whether to let you in.';
}

function showConsent(s: Guest): void {
  screen = 'consent';
  // The patient's name is not sent until the clinician lets this device in (a
  // forwarded link must not reveal it): the clinician and the time are what the
  // patient checks, and the role says in what capacity a guest joins.
  const about = `This appointment is with ${s.clinicianName} at ${when(s.startsAt)}.`;
  const as = s.role === 'patient' ? '' : ` You are invited as ${asRole(s.role)}.`;
  const { figure } = previewFigure(controls, 'Your camera. Only you can see this until the clinician lets you in.');
  const check = h('input', { type: 'checkbox', id: 'consent' });
  const join = h('button', { type: 'button', id: 'join', 'aria-describedby': 'join-hint' }, 'Join the waiting room');
  join.disabled = true;
  const hint = h('p', { id: 'join-hint', class: 'hint' }, 'Tick the box above to continue.');
  check.addEventListener('change', () => {
    join.disabled = !check.checked;
    hint.textContent = check.checked
      ? 'The clinician will let you in when they are ready. Nobody can see or hear you in the waiting room.'
      : 'Tick the box above to continue.';
  });
  const retry = button('Try the camera and microphone again', () => {
    localOpened = null;
    void openLocal().then(() => afterOpen());
  }, 'secondary');
  retry.hidden = true;
  const afterOpen = () => {
    retry.hidden = local.hasVideo && local.hasAudio;
  };
  join.addEventListener('click', () => {
    if (!check.checked) return;
    join.disabled = true;
    check.disabled = true;
    setStatus('Connecting you to the waiting room…');
    connect();
  });
  showView(
    'consent',
    h('h1', {}, 'Your video appointment'),
    h('p', { class: 'lead' }, about + as),
    h('p', {}, `It is booked for ${s.durationMinutes} minutes. If these details are not right, do not join: contact the clinic.`),
    ...(s.linkReused ? [h('p', { class: 'flag' }, reusedText())] : []),
    h('h2', {}, 'Check your camera and microphone'),
    h('div', { class: 'check' }, figure, controls.element),
    retry,
    h('h2', {}, 'Join'),
    h('div', { class: 'consent' }, check, h('label', { for: 'consent' }, s.role === 'patient' ? 'I am the person this appointment is for (or joining for them), and I agree to a video consultation' : 'I was invited to this appointment, and I agree to a video consultation')),
    join,
    hint,
  );
  setStatus(about, 'info', false);
  void openLocal().then(() => afterOpen());
}

function connect(): void {
  consultation?.close();
  stopSharing();
  wasAdmitted = false;
  const view = new CallView(controls, { media: () => c.media, leave: () => void leave() });
  const c: Consultation = new Consultation({
    socket: consultationSocket(),
    local,
    remote: remoteInto(view),
    on: {
      state: onState,
      ended: (reason: EndedReason) => end(reason),
      failed: (code, message) => {
        consultation?.close();
        consultation = null;
        stopSharing();
        local.stop();
        screen = 'error';
        showProblem(code, message, [button('Try again', () => location.reload())]);
      },
      connection: (c) => {
        if (c === 'reconnecting' && !reconnecting) {
          reconnecting = true;
          setStatus('Your connection dropped. Reconnecting… Please keep this page open.', 'error');
        } else if (c === 'connected' && reconnecting) {
          reconnecting = false;
          setStatus('You are connected again.', 'ok');
        }
      },
      mediaProblem: (m) => setStatus(m, 'error'),
      leave: () => void leave(),
    },
  });
  consultation = c;
  call = view;
  sharing = startSharing(c);
}

function onState(view: ConsultationView): void {
  const s = view.self.state;
  if (s === 'waiting' && screen !== 'waiting') showWaiting(view);
  else if (s === 'admitted' && screen !== 'call') showCall(view);
  else if (s === 'denied' || s === 'removed' || s === 'left') end(s);
}

function showWaiting(view: ConsultationView): void {
  const sentBack = wasAdmitted;
  if (screen === 'call') call?.deactivate();
  screen = 'waiting';
  sharing?.photo.close();
  sharing?.viewer.close();
  detachNotes?.();
  const notes = sharing ? waitingNotes(sharing.thread, view.clinicianName) : null;
  detachNotes = notes?.detach ?? null;
  const reused = view.self.linkReused || (session?.linkReused ?? false);
  const main = sentBack
    ? 'You are back in the waiting room. Your clinician will let you in again when they are ready.'
    : 'Your clinician will let you in. Please keep this page open.';
  const { figure } = previewFigure(controls, 'Your camera. Only you can see this.');
  const settings = h('details', { class: 'settings' }, h('summary', {}, 'Camera and microphone settings'), controls.element);
  showView(
    'waiting',
    h('h1', {}, sentBack ? 'You are back in the waiting room' : 'You are in the waiting room'),
    h('p', { class: 'waiting' }, main),
    ...(reused ? [h('p', { class: 'flag' }, reusedText())] : []),
    h('p', {}, `Your appointment is with ${view.clinicianName} at ${when(view.startsAt)}. While you wait, nobody can see or hear you.`),
    ...(notes ? [notes.element] : []),
    h('div', { class: 'check' }, figure, settings),
    button('Leave the waiting room', () => void leave(), 'secondary'),
  );
  setStatus(reused ? `${main} ${reusedText()}` : main, 'info', false);
}

function showCall(view: ConsultationView): void {
  const c = call;
  if (!consultation || !c) return;
  screen = 'call';
  wasAdmitted = true;
  detachNotes?.();
  detachNotes = null;
  c.settings.append(controls.element);
  const chat = sharing?.chat;
  if (chat?.toggle) c.addControl(chat.toggle);
  showView(
    'call',
    h('h1', {}, 'Your video consultation'),
    h('p', {}, `With ${view.clinicianName}.`),
    h('div', { class: 'call-layout' }, c.element, ...(chat ? [chat.element] : [])),
  );
  c.activate();
  setStatus('The clinician has let you in. You are now in the consultation.', 'ok');
}

async function leave(): Promise<void> {
  const c = consultation;
  consultation = null;
  setStatus('Leaving…');
  await c?.leave();
  end('left');
}

function end(reason: EndedReason | EndReason): void {
  consultation?.close();
  consultation = null;
  stopSharing();
  local.stop();
  screen = 'ended';
  const e = describeEnding(reason, 'guest');
  showView(
    'ended',
    h('h1', {}, e.title),
    h('p', {}, e.text),
    ...(e.rejoin ? [h('p', {}, button('Join again', () => location.reload()))] : []),
  );
  setStatus(`${e.title}. ${e.text}`, reason === 'ended' || reason === 'left' ? 'info' : 'error', false);
}

window.addEventListener('pagehide', () => {
  consultation?.close();
  local.stop();
});

token = takeFragment().get('t');
void signIn();
