// One open appointment on the console: the lobby (waiting room and the people
// in the call), managing it, the call itself and the chat with shared files.
// Built on the first consultation:state; update() follows every later one.
// Above it all, the page's "N of your patients waiting" bar (next-patient.ts).
import type { ConsultationView } from '../../../../server/wire/participants.ts';
import type { ClientMessage, ClientMessageName } from '../../../../server/wire/socket.ts';
import type { Consultation } from '../../model/consultation.ts';
import type { Thread } from '../../model/thread.ts';
import type { CallView } from '../call-view.ts';
import type { DeviceControls } from '../device-controls.ts';
import { h, setStatus, showView } from '../dom.ts';
import { FileViewer } from '../file-viewer.ts';
import { errorText, roleLabel, when } from '../messages.ts';
import { shareFileButton } from '../share-file.ts';
import { ThreadView } from '../thread-view.ts';
import { Lobby } from './lobby.ts';
import { Manage } from './manage.ts';
import { t } from '../../i18n/i18n.ts';

export interface ScreenParts {
  consultation: Consultation;
  thread: Thread;
  call: CallView;
  controls: DeviceControls;
  /** Whether this consultation is still the one the page has open (a late reply is not shown otherwise). */
  current(): boolean;
  /** Shown under the heading: how many other patients wait, and "End and next patient". */
  queueBar?: HTMLElement;
  /** Sets the tab title from this screen's name and how many wait in its waiting room (the page adds its own count). */
  title(screenTitle: string, waitingHere: number): void;
}

export class ConsultationScreen {
  readonly #title: string;
  readonly #lobby: Lobby;
  readonly #manage: Manage;
  readonly #chat: ThreadView;
  readonly #viewer: FileViewer;
  readonly #thread: Thread;
  readonly #tick: ReturnType<typeof setInterval>;
  readonly #setTitle: (screenTitle: string, waitingHere: number) => void;
  #view: ConsultationView;
  #busy = false;

  constructor(parts: ScreenParts, first: ConsultationView, patientName: string) {
    const { consultation: c, thread, call } = parts;
    this.#view = first;
    this.#thread = thread;
    this.#title = patientName ? t('console:consultation.titleWith', { name: patientName }) : t('console:consultation.title');
    this.#setTitle = (title, n) => parts.title(title, n);
    const act = async <K extends ClientMessageName>(name: K, payload: ClientMessage<K>, done: string, failed: string): Promise<void> => {
      if (this.#busy) return;
      this.#busy = true;
      try {
        await c.rpc.request(name, payload);
        if (parts.current()) setStatus(done, 'ok');
      } catch (e) {
        // Ending closes the socket before its ack can arrive: no error to show then.
        if (parts.current()) setStatus(`${failed} ${errorText(e)}`, 'error');
      } finally {
        this.#busy = false;
      }
    };
    this.#lobby = new Lobby(act, thread);
    this.#manage = new Manage(act);
    this.#lobby.element.append(this.#manage.element);
    this.#viewer = new FileViewer(thread, true);
    const chat: ThreadView = new ThreadView({
      thread,
      nameOf: (pid) => this.#view.participants.find((p) => p.id === pid)?.name ?? t('console:consultation.someoneWhoLeft'),
      openFile: (item) => this.#viewer.open(item, () => chat.messageBox),
      actions: [shareFileButton(thread)],
    });
    this.#chat = chat;

    call.settings.append(parts.controls.element);
    showView(
      'consultation',
      h('h1', {}, this.#title),
      h('p', {}, t('console:consultation.when', { when: when(first.startsAt), count: first.durationMinutes })),
      ...(parts.queueBar ? [parts.queueBar] : []),
      h(
        'div',
        { class: 'console' },
        this.#lobby.element,
        h('section', { class: 'video', 'aria-labelledby': 'video-heading' }, h('h2', { id: 'video-heading' }, t('console:consultation.video')), call.element),
        chat.element,
      ),
    );
    call.activate();
    setStatus(t('console:consultation.isOpen', { title: this.#title }));
    this.#tick = setInterval(() => this.#lobby.render(), 1000);
  }

  update(v: ConsultationView, prev: ConsultationView | null): void {
    this.#view = v;
    // The server splits the lists (domain/participants.ts isWaiting): the page never decides who is waiting.
    const { waiting, admitted } = v;
    this.#lobby.update(waiting, admitted);
    this.#manage.update(v.locked);
    this.#setTitle(this.#title, waiting.length);
    if (prev) {
      const before = new Set(prev.waiting.map((p) => p.id));
      const arrived = waiting.filter((p) => !before.has(p.id));
      if (arrived.length) {
        setStatus(
          arrived
            .map((p) => {
              const line = t('console:consultation.arrived', { name: p.name, role: roleLabel(p.role).toLowerCase() });
              return p.linkReused ? `${line} ${t('console:consultation.linkReused')}` : line;
            })
            .join(' '),
        );
      }
    } else if (waiting.length) {
      setStatus(t('console:consultation.isOpenWaiting', { title: this.#title, count: waiting.length }));
    }
  }

  /** Stops the clock only (the view stays until another replaces it). */
  stop(): void {
    clearInterval(this.#tick);
  }

  /** Closes the chat and viewer and drops the thread's contents. */
  dispose(): void {
    this.stop();
    this.#chat.detach();
    this.#viewer.dispose();
    this.#thread.dispose();
  }
}
