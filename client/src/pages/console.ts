// /console: the clinician's page. The link's token (and optionally an
// appointment id) is in the URL fragment. Today's appointments, then one open
// appointment: the waiting room (admit / deny, a note to someone waiting), the
// people in the call (send back / remove, ask for a photo), lock and end, the
// call itself, and the chat with shared files.
import type { ClinicianAppointmentSummary, ConsultationView, ParticipantView, SessionInfo } from '../../../server/signaling/protocol.ts';
import { ApiError, clinicianAppointments, createSession, currentSession, endSession, takeFragment } from '../lib/api.ts';
import { Consultation, type EndedReason } from '../lib/consultation.ts';
import { button, h, setStatus, showView } from '../lib/dom.ts';
import { FileViewer } from '../lib/file-viewer.ts';
import { LocalMedia } from '../lib/local-media.ts';
import { clockTime, describeEnding, describeProblem, duration, errorText, isoDay, longDay, roleLabel, sharingProblem, when } from '../lib/messages.ts';
import { noteForm, type NoteForm } from '../lib/note-form.ts';
import { codeOf, exposeDiagnostics, showProblem } from '../lib/page.ts';
import { ClientError } from '../lib/rpc.ts';
import { shareFileButton } from '../lib/share-file.ts';
import { exposeThread, Thread } from '../lib/thread.ts';
import { ThreadView } from '../lib/thread-view.ts';
import type { ClientMessage, ClientMessageName } from '../../../server/signaling/protocol.ts';

const local = new LocalMedia();
let token: string | null = null;
let clinicianName = '';
let appointments: ClinicianAppointmentSummary[] = [];
let consultation: Consultation | null = null;
let listTimer: ReturnType<typeof setInterval> | undefined;
let tickTimer: ReturnType<typeof setInterval> | undefined;
let reconnecting = false;
let thread: Thread | null = null;
/** Closes the open consultation's viewer and chat (they live beside the view). */
let closeSharing: () => void = () => undefined;

exposeDiagnostics(() => {
  const media = consultation?.media;
  return media ? media.receiveStats() : null;
});
exposeThread(() => thread?.items ?? []);

function stopSharing(): void {
  closeSharing();
  closeSharing = () => undefined;
  thread = null;
}

const STATUS_TEXT: Record<ClinicianAppointmentSummary['status'], string> = {
  scheduled: 'Not started',
  live: 'In progress',
  ended: 'Ended',
};

async function signIn(openId: string | null): Promise<void> {
  setStatus('Signing you in…');
  let info: SessionInfo;
  try {
    info = token ? await createSession(token) : await currentSession();
  } catch (e) {
    const { code, message } = codeOf(e);
    if (!token && e instanceof ApiError && e.status === 401) {
      showView('error', h('h1', {}, 'Please sign in again'), h('p', {}, 'Open the console link from your clinical system to sign in.'));
      setStatus('You are not signed in.', 'error', false);
      return;
    }
    showProblem(code, message, describeProblem(code, message).retry ? [button('Try again', () => void signIn(openId))] : []);
    return;
  }
  token = null; // used: a retry from here on resumes the session instead
  if (info.kind !== 'clinician') {
    showView(
      'error',
      h('h1', {}, 'This page is for clinicians'),
      h('p', {}, 'You are signed in with a patient or guest link. ', h('a', { href: '/join' }, 'Go to your appointment'), '.'),
    );
    setStatus('This page is for clinicians.', 'error', false);
    return;
  }
  clinicianName = info.name;
  if (openId) void openAppointment(openId);
  else void showList();
}

// ---- today's appointments ----

async function loadList(): Promise<boolean> {
  try {
    appointments = await clinicianAppointments(isoDay(new Date()));
    return true;
  } catch (e) {
    setStatus(`We could not load your appointments. ${errorText(e)}`, 'error');
    return false;
  }
}

async function showList(): Promise<void> {
  stopTimers();
  const listEl = h('ul', { class: 'appointments', 'aria-labelledby': 'list-heading' });
  const empty = h('p', { class: 'empty', hidden: '' }, 'You have no video appointments today.');
  const refresh = button('Refresh the list', () => void refreshList(listEl, empty, true), 'secondary');
  const signOut = button('Sign out', () => void doSignOut(), 'secondary');
  showView(
    'list',
    h('h1', { id: 'list-heading' }, "Today's appointments"),
    h('p', {}, `${clinicianName ? clinicianName + ', ' : ''}${longDay(new Date())}.`),
    listEl,
    empty,
    h('p', {}, refresh, signOut),
  );
  await refreshList(listEl, empty, false);
  listTimer = setInterval(() => void refreshList(listEl, empty, false), 15_000);
}

async function refreshList(listEl: HTMLElement, empty: HTMLElement, announce: boolean): Promise<void> {
  if (!(await loadList())) return;
  if (!listEl.isConnected) return;
  const focusedId = (document.activeElement as HTMLElement | null)?.dataset?.appointment;
  const items = [...appointments].sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  listEl.replaceChildren(
    ...items.map((a) => {
      const open = button(`Open ${a.patientName}`, () => void openAppointment(a.id, a.patientName));
      open.dataset.appointment = a.id;
      const facts = [`${clockTime(a.startsAt)}, ${a.durationMinutes} minutes`, STATUS_TEXT[a.status]];
      if (a.locked) facts.push('Locked');
      return h(
        'li',
        {},
        h('p', { class: 'who' }, h('strong', {}, a.patientName)),
        h('p', {}, facts.join(' · ')),
        h(
          'p',
          a.waiting > 0 ? { class: 'flag' } : {},
          `${a.waiting} waiting`,
          a.present > 0 ? `, ${a.present} in the call` : '',
        ),
        open,
      );
    }),
  );
  empty.hidden = items.length > 0;
  if (focusedId) listEl.querySelector<HTMLElement>(`[data-appointment="${CSS.escape(focusedId)}"]`)?.focus();
  const waiting = items.reduce((n, a) => n + a.waiting, 0);
  document.title = `${waiting ? `(${waiting} waiting) ` : ''}Today's appointments – Video consultation`;
  if (announce) setStatus(`The list is up to date. ${items.length} appointments, ${waiting} people waiting.`);
}

async function doSignOut(): Promise<void> {
  stopTimers();
  consultation?.close();
  consultation = null;
  stopSharing();
  local.stop();
  try {
    await endSession();
  } catch {
    // the cookie expires anyway
  }
  showView('ended', h('h1', {}, 'You have signed out'), h('p', {}, 'To sign in again, open the console link from your clinical system.'));
  setStatus('You have signed out.', 'info', false);
}

function stopTimers(): void {
  clearInterval(listTimer);
  clearInterval(tickTimer);
  listTimer = tickTimer = undefined;
}

// ---- one appointment ----

interface Item {
  li: HTMLElement;
  signature: string;
}

async function openAppointment(id: string, name?: string): Promise<void> {
  stopTimers();
  consultation?.close();
  stopSharing();
  setStatus('Opening the consultation and starting your camera…');
  let patientName = name ?? appointments.find((a) => a.id === id)?.patientName ?? '';
  if (!patientName) {
    if (await loadList().catch(() => false)) patientName = appointments.find((a) => a.id === id)?.patientName ?? '';
  }
  if (!local.hasVideo && !local.hasAudio) {
    const r = await local.open();
    if (r.problem) setStatus(r.problem, 'error');
  }
  let ui: ReturnType<typeof buildConsultation> | null = null;
  const c = new Consultation(
    local,
    {
      state: (view, prev) => {
        if (!ui) {
          patientName ||= view.participants.find((p) => p.role === 'patient')?.name ?? '';
          ui = buildConsultation(c, t, view, patientName);
        }
        ui.update(view, prev);
      },
      ended: (reason) => showEnded(reason),
      failed: (code, message) => {
        c.close();
        if (consultation === c) {
          consultation = null;
          stopSharing();
        }
        stopTimers();
        showProblem(code, message, [button("Back to today's appointments", () => void showList())]);
      },
      connection: (s) => {
        if (s === 'reconnecting' && !reconnecting) {
          reconnecting = true;
          setStatus('The connection dropped. Reconnecting…', 'error');
        } else if (s === 'connected' && reconnecting) {
          reconnecting = false;
          setStatus('You are connected again.', 'ok');
        }
      },
      mediaProblem: (m) => setStatus(m, 'error'),
      leave: () => void leaveAppointment(),
    },
    { appointmentId: id },
  );
  const t = new Thread(c);
  consultation = c;
  thread = t;
}

function buildConsultation(c: Consultation, t: Thread, first: ConsultationView, patientName: string) {
  const waitingList = h('ul', { class: 'people', 'aria-labelledby': 'waiting-heading' });
  const admittedList = h('ul', { class: 'people', 'aria-labelledby': 'admitted-heading' });
  const waitingHeading = h('h2', { id: 'waiting-heading', tabindex: '-1' }, 'Waiting room');
  const admittedHeading = h('h2', { id: 'admitted-heading', tabindex: '-1' }, 'In the consultation');
  const noneWaiting = h('p', { class: 'empty' }, 'Nobody is waiting.');
  const noneAdmitted = h('p', { class: 'empty' }, 'Nobody else has joined yet.');
  const lockState = h('p', {});
  const lockBtn = button('Lock consultation', () => void toggleLock(), 'secondary');
  const endBtn = button('End consultation', () => openConfirm(), 'danger');
  endBtn.setAttribute('aria-expanded', 'false');
  endBtn.setAttribute('aria-controls', 'end-confirm');
  const confirmBtn = button('Are you sure? End for everyone', () => void endNow(), 'danger');
  const cancelBtn = button('Keep the consultation going', () => closeConfirm(), 'secondary');
  const confirm = h(
    'div',
    { id: 'end-confirm', class: 'confirm', hidden: '' },
    h('p', {}, 'This ends the video call for everyone, and the links stop working.'),
    confirmBtn,
    cancelBtn,
  );
  const waitingItems = new Map<string, Item>();
  const admittedItems = new Map<string, Item>();
  const notes = new Map<string, NoteForm>();
  let view = first;
  let busy = false;
  const title = patientName ? `Consultation with ${patientName}` : 'Consultation';
  const viewer = new FileViewer(t, true);
  const chat: ThreadView = new ThreadView({
    thread: t,
    nameOf: (pid) => view.participants.find((p) => p.id === pid)?.name ?? 'someone who has left',
    openFile: (item) => viewer.open(item, () => chat.messageBox),
    actions: [shareFileButton(t)],
  });
  closeSharing = () => {
    chat.detach();
    viewer.dispose();
    t.dispose();
  };

  c.call.settings.append(local.controls);
  showView(
    'consultation',
    h('h1', {}, title),
    h('p', {}, `${when(first.startsAt)}, ${first.durationMinutes} minutes.`),
    h(
      'div',
      { class: 'console' },
      h(
        'div',
        { class: 'lobby' },
        h('section', { 'aria-labelledby': 'waiting-heading' }, waitingHeading, waitingList, noneWaiting),
        h('section', { 'aria-labelledby': 'admitted-heading' }, admittedHeading, admittedList, noneAdmitted),
        h('section', { 'aria-labelledby': 'manage-heading' }, h('h2', { id: 'manage-heading' }, 'Manage the consultation'), lockState, lockBtn, endBtn, confirm),
      ),
      h('section', { class: 'video', 'aria-labelledby': 'video-heading' }, h('h2', { id: 'video-heading' }, 'Video'), c.call.element),
      chat.element,
    ),
  );
  c.call.activate();
  setStatus(`${title} is open.`);
  tickTimer = setInterval(tick, 1000);

  async function act<K extends ClientMessageName>(name: K, payload: ClientMessage<K>, done: string, failed: string): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      await c.rpc.request(name, payload);
      if (consultation === c) setStatus(done, 'ok');
    } catch (e) {
      // Ending closes the socket before its ack can arrive: no error to show then.
      if (consultation === c) setStatus(`${failed} ${errorText(e)}`, 'error');
    } finally {
      busy = false;
    }
  }

  async function toggleLock(): Promise<void> {
    const locked = !view.locked;
    await act(
      'consultation:lock',
      { locked },
      locked ? 'The consultation is locked: nobody new can join.' : 'The consultation is unlocked: people with a link can join the waiting room.',
      locked ? 'We could not lock the consultation.' : 'We could not unlock the consultation.',
    );
  }

  function openConfirm(): void {
    confirm.hidden = false;
    endBtn.setAttribute('aria-expanded', 'true');
    confirmBtn.focus();
  }

  function closeConfirm(): void {
    confirm.hidden = true;
    endBtn.setAttribute('aria-expanded', 'false');
    endBtn.focus();
  }

  async function endNow(): Promise<void> {
    setStatus('Ending the consultation…');
    await act('consultation:end', {}, 'The consultation has ended.', 'We could not end the consultation.');
  }

  function tick(): void {
    const now = Date.now();
    for (const el of waitingList.querySelectorAll<HTMLElement>('[data-since]')) {
      const since = Date.parse(el.dataset.since ?? '');
      if (!Number.isNaN(since)) el.textContent = `Waiting for ${duration(now - since)}`;
    }
  }

  function waitingItem(p: ParticipantView): HTMLElement {
    const parts: (Node | string)[] = [
      h('p', { class: 'who' }, h('strong', {}, p.name), ` (${roleLabel(p.role)})`),
      p.waitingSince
        ? h('p', { 'data-since': p.waitingSince }, `Waiting for ${duration(Date.now() - Date.parse(p.waitingSince))}`)
        : h('p', {}, 'Waiting'),
    ];
    if (p.device) parts.push(h('p', {}, `Device: ${p.device}`));
    if (p.linkReused) parts.push(h('p', { class: 'flag' }, 'Warning: link already used on another device. Check who this is before you let them in.'));
    if (!p.connected) parts.push(h('p', { class: 'flag' }, 'Not connected at the moment (they may have closed the page).'));
    const admit = button(`Admit ${p.name}`, () => void act('lobby:admit', { participantId: p.id }, `${p.name} has been let in.`, `We could not admit ${p.name}.`));
    admit.dataset.action = 'admit';
    const deny = button(
      `Deny ${p.name}`,
      () => void act('lobby:deny', { participantId: p.id }, `${p.name} has been turned away.`, `We could not deny ${p.name}.`),
      'secondary',
    );
    deny.dataset.action = 'deny';
    const message = button(`Message ${p.name}`, () => toggleNote(p), 'secondary');
    message.dataset.action = 'message';
    message.setAttribute('aria-expanded', String(notes.has(p.id)));
    if (notes.has(p.id)) message.setAttribute('aria-controls', `note-${p.id}`);
    const li = h('li', { 'data-participant': p.id }, ...parts, h('p', {}, admit, deny, message));
    const note = notes.get(p.id);
    if (note) li.append(note.el);
    return li;
  }

  /** The inline note form under a waiting person: opened and closed by their "Message" button. */
  function toggleNote(p: ParticipantView): void {
    if (notes.has(p.id)) return closeNote(p.id);
    const form = noteForm(
      p.name,
      t.limits.maxTextLength,
      async (text) => {
        try {
          await t.send(text, p.id);
        } catch (e) {
          throw new Error(`The message was not sent. ${e instanceof ClientError ? sharingProblem(e.code, e.message) : errorText(e)}`, { cause: e });
        }
        closeNote(p.id);
        setStatus(`Message sent to ${p.name}.`, 'ok');
      },
      () => closeNote(p.id),
    );
    form.el.id = `note-${p.id}`;
    notes.set(p.id, form);
    const li = waitingItems.get(p.id)?.li;
    li?.append(form.el);
    const btn = li?.querySelector('[data-action="message"]');
    btn?.setAttribute('aria-expanded', 'true');
    btn?.setAttribute('aria-controls', form.el.id);
    form.focus();
  }

  function closeNote(id: string): void {
    const form = notes.get(id);
    notes.delete(id);
    form?.el.remove();
    const btn = waitingItems.get(id)?.li.querySelector<HTMLElement>('[data-action="message"]');
    btn?.setAttribute('aria-expanded', 'false');
    btn?.removeAttribute('aria-controls');
    if (form && btn && (form.el.contains(document.activeElement) || document.activeElement === document.body)) btn.focus();
  }

  async function requestPhoto(p: ParticipantView): Promise<void> {
    try {
      await t.requestPhoto(p.id);
      setStatus(`A photo has been requested from ${p.name}. They see the request on their screen.`, 'ok');
    } catch (e) {
      setStatus(`We could not ask ${p.name} for a photo. ${e instanceof ClientError ? sharingProblem(e.code, e.message) : errorText(e)}`, 'error');
    }
  }

  function admittedItem(p: ParticipantView): HTMLElement {
    const parts: (Node | string)[] = [h('p', { class: 'who' }, h('strong', {}, p.name), ` (${roleLabel(p.role)})`)];
    if (p.device) parts.push(h('p', {}, `Device: ${p.device}`));
    if (p.linkReused) parts.push(h('p', { class: 'flag' }, 'Warning: link already used on another device.'));
    if (!p.connected) parts.push(h('p', { class: 'flag' }, 'Connection lost: waiting for them to come back.'));
    const back = button(
      `Send back ${p.name}`,
      () => void act('lobby:sendBack', { participantId: p.id }, `${p.name} has been sent back to the waiting room.`, `We could not send ${p.name} back.`),
      'secondary',
    );
    back.dataset.action = 'sendBack';
    const remove = button(
      `Remove ${p.name}`,
      () => void act('lobby:remove', { participantId: p.id }, `${p.name} has been removed from the consultation.`, `We could not remove ${p.name}.`),
      'danger',
    );
    remove.dataset.action = 'remove';
    const photo = button(`Request photo from ${p.name}`, () => void requestPhoto(p), 'secondary');
    photo.dataset.action = 'requestPhoto';
    return h('li', { 'data-participant': p.id }, ...parts, h('p', {}, photo, back, remove));
  }

  /** Keyed update: unchanged people keep their elements (and focus); focus never falls to the page. */
  function sync(list: HTMLElement, items: Map<string, Item>, people: ParticipantView[], render: (p: ParticipantView) => HTMLElement, heading: HTMLElement): void {
    const active = document.activeElement as HTMLElement | null;
    let lostFocus = false;
    let refocus: { id: string; action: string } | null = null;
    const keep = new Set(people.map((p) => p.id));
    for (const [id, item] of items) {
      if (keep.has(id)) continue;
      if (active && item.li.contains(active)) lostFocus = true;
      item.li.remove();
      items.delete(id);
    }
    people.forEach((p, i) => {
      const signature = JSON.stringify([p.name, p.role, p.device, p.linkReused, p.connected, p.waitingSince]);
      let item = items.get(p.id);
      if (!item || item.signature !== signature) {
        // Before rendering: render() may move parts of the old entry (an open note form) into the new one.
        if (item && active && item.li.contains(active)) refocus = { id: p.id, action: active.dataset.action ?? '' };
        const li = render(p);
        if (item) item.li.replaceWith(li);
        item = { li, signature };
        items.set(p.id, item);
      }
      if (list.children[i] !== item.li) list.insertBefore(item.li, list.children[i] ?? null);
    });
    const r = refocus as { id: string; action: string } | null;
    if (r) items.get(r.id)?.li.querySelector<HTMLElement>(`[data-action="${r.action}"]`)?.focus();
    if (lostFocus) {
      const next = list.querySelector<HTMLElement>('button');
      (next ?? heading).focus();
    }
  }

  function update(v: ConsultationView, prev: ConsultationView | null): void {
    view = v;
    const others = v.participants.filter((p) => p.id !== v.self.id);
    const waiting = others.filter((p) => p.state === 'waiting' && (p.connected || p.waitingSince));
    const admitted = others.filter((p) => p.state === 'admitted');
    for (const id of [...notes.keys()]) if (!waiting.some((p) => p.id === id)) notes.delete(id);
    sync(waitingList, waitingItems, waiting, waitingItem, waitingHeading);
    sync(admittedList, admittedItems, admitted, admittedItem, admittedHeading);
    noneWaiting.hidden = waiting.length > 0;
    noneAdmitted.hidden = admitted.length > 0;
    lockBtn.textContent = v.locked ? 'Unlock consultation' : 'Lock consultation';
    lockState.textContent = v.locked
      ? 'Locked: nobody new can join, not even into the waiting room.'
      : 'Open: people with a link can join the waiting room.';
    document.title = `${waiting.length ? `(${waiting.length} waiting) ` : ''}${title} – Video consultation`;
    if (prev) {
      const before = new Set(prev.participants.filter((p) => p.state === 'waiting').map((p) => p.id));
      const arrived = waiting.filter((p) => !before.has(p.id));
      if (arrived.length) {
        setStatus(
          arrived
            .map((p) => `${p.name} (${roleLabel(p.role).toLowerCase()}) is waiting to be let in.${p.linkReused ? ' Their link was already used on another device.' : ''}`)
            .join(' '),
        );
      }
    } else if (waiting.length) {
      setStatus(`${title} is open. ${waiting.length === 1 ? '1 person is' : `${waiting.length} people are`} waiting.`);
    }
  }

  return { update };
}

async function leaveAppointment(): Promise<void> {
  const c = consultation;
  consultation = null;
  stopSharing();
  stopTimers();
  setStatus('Leaving the consultation…');
  await c?.leave();
  local.stop();
  await showList();
  setStatus('You have left the consultation. It carries on until you end it.');
}

function showEnded(reason: EndedReason): void {
  consultation?.close();
  consultation = null;
  stopSharing();
  stopTimers();
  local.stop();
  const e = describeEnding(reason, 'clinician');
  const title = reason === 'ended' ? 'The consultation has ended' : e.title;
  showView('ended', h('h1', {}, title), h('p', {}, e.text), h('p', {}, button("Back to today's appointments", () => void showList())));
  setStatus(`${title}. ${e.text}`, 'info', false);
}

window.addEventListener('pagehide', () => {
  consultation?.close();
  local.stop();
});

const fragment = takeFragment();
token = fragment.get('t');
void signIn(fragment.get('a'));
