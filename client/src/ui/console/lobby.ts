// The console's waiting room and the people in the call: admit, deny or write
// a note to someone waiting; send back, remove or ask for a photo from someone
// in the call. Both lists are rendered with lit-html's keyed `repeat`: a
// person's entry (and the button in it that has focus) stays the same element
// while their details change; when the focused entry goes, focus moves to the
// list's first button (or its heading), never to the page.
import { html, nothing, render, type TemplateResult } from 'lit-html';
import { repeat } from 'lit-html/directives/repeat.js';
import type { ParticipantView } from '../../../../server/wire/participants.ts';
import type { ClientMessage, ClientMessageName } from '../../../../server/wire/socket.ts';
import type { Thread } from '../../model/thread.ts';
import { ClientError } from '../../net/rpc.ts';
import { h, setStatus } from '../dom.ts';
import { duration, errorText, participantConnection, roleLabel, sharingProblem } from '../messages.ts';
import { t } from '../../i18n/i18n.ts';
import { RowNotes } from './row-notes.ts';

/** Sends one lobby request, then says `done` or `failed` on the status line. */
export type Act = <K extends ClientMessageName>(name: K, payload: ClientMessage<K>, done: string, failed: string) => Promise<void>;

interface Section {
  heading: HTMLElement;
  list: HTMLElement;
  none: HTMLElement;
}

export class Lobby {
  readonly element: HTMLElement;
  readonly #act: Act;
  readonly #thread: Thread;
  readonly #waitingSection: Section;
  readonly #admittedSection: Section;
  readonly #notes: RowNotes;
  #waiting: ParticipantView[] = [];
  #admitted: ParticipantView[] = [];

  constructor(act: Act, thread: Thread) {
    this.#act = act;
    this.#thread = thread;
    this.#waitingSection = section('waiting', t('console:lobby.waitingHeading'), t('console:lobby.waitingNone'));
    this.#admittedSection = section('admitted', t('console:lobby.admittedHeading'), t('console:lobby.admittedNone'));
    this.#notes = new RowNotes({ idPrefix: 'note-', list: this.#waitingSection.list, render: () => this.render() });
    const s = (x: Section, id: string) => h('section', { 'aria-labelledby': id }, x.heading, x.list, x.none);
    this.element = h('div', { class: 'lobby' }, s(this.#waitingSection, 'waiting-heading'), s(this.#admittedSection, 'admitted-heading'));
  }

  /** The people to show, in order; called on every consultation:state. */
  update(waiting: ParticipantView[], admitted: ParticipantView[]): void {
    this.#waiting = waiting;
    this.#admitted = admitted;
    this.#notes.keepOnly((id) => waiting.some((p) => p.id === id));
    this.render();
  }

  /** Renders both lists again (also every second, for the "Waiting for" times). */
  render(): void {
    const now = Date.now();
    this.#renderList(this.#waitingSection, this.#waiting, (p) => this.#waitingItem(p, now));
    this.#renderList(this.#admittedSection, this.#admitted, (p) => this.#admittedItem(p));
  }

  #renderList(s: Section, people: ParticipantView[], item: (p: ParticipantView) => TemplateResult): void {
    const active = document.activeElement as HTMLElement | null;
    const had = active && s.list.contains(active) ? active : null;
    const from = had?.closest<HTMLElement>('[data-participant]')?.dataset.participant;
    const action = had?.dataset.action;
    render(repeat(people, (p) => p.id, item), s.list);
    s.none.hidden = people.length > 0;
    if (!had || s.list.contains(document.activeElement)) return;
    // The focused entry moved or went: the same button if it is still there, else the list's first.
    const same = from && action ? s.list.querySelector<HTMLElement>(`[data-participant="${CSS.escape(from)}"] [data-action="${CSS.escape(action)}"]`) : null;
    (same ?? s.list.querySelector<HTMLElement>('button') ?? s.heading).focus();
  }

  #waitingItem(p: ParticipantView, now: number): TemplateResult {
    const note = this.#notes.get(p.id);
    const since = p.waitingSince
      ? html`<p data-since=${p.waitingSince}>${t('console:lobby.waitingFor', { duration: duration(now - Date.parse(p.waitingSince)) })}</p>`
      : html`<p>${t('console:lobby.waiting')}</p>`;
    const act = (name: 'lobby:admit' | 'lobby:deny', done: string, failed: string) => () => void this.#act(name, { participantId: p.id }, done, failed);
    const name = { name: p.name };
    return html`<li data-participant=${p.id}>${who(p)}${since}${device(p)}${p.linkReused
      ? html`<p class="flag">${t('console:lobby.linkReusedWaiting')}</p>`
      : nothing}${connectionNote(p)}<p><button type="button" data-action="admit" @click=${act('lobby:admit', t('console:lobby.admitted', name), t('console:lobby.admitFailed', name))}>${t('console:lobby.admit', name)}</button><button type="button" class="secondary" data-action="deny" @click=${act('lobby:deny', t('console:lobby.denied', name), t('console:lobby.denyFailed', name))}>${t('console:lobby.deny', name)}</button><button type="button" class="secondary" data-action="message" aria-expanded=${note ? 'true' : 'false'} aria-controls=${note ? this.#notes.formId(p.id) : nothing} @click=${() => this.#toggleNote(p)}>${t('console:lobby.message', name)}</button></p>${note ? note.el : nothing}</li>`;
  }

  #admittedItem(p: ParticipantView): TemplateResult {
    const act = (name: 'lobby:sendBack' | 'lobby:remove', done: string, failed: string) => () => void this.#act(name, { participantId: p.id }, done, failed);
    const name = { name: p.name };
    return html`<li data-participant=${p.id}>${who(p)}${device(p)}${p.linkReused
      ? html`<p class="flag">${t('console:lobby.linkReused')}</p>`
      : nothing}${connectionNote(p)}<p><button type="button" class="secondary" data-action="requestPhoto" @click=${() => void this.#requestPhoto(p)}>${t('console:lobby.requestPhoto', name)}</button><button type="button" class="secondary" data-action="sendBack" @click=${act('lobby:sendBack', t('console:lobby.sentBack', name), t('console:lobby.sendBackFailed', name))}>${t('console:lobby.sendBack', name)}</button><button type="button" class="danger" data-action="remove" @click=${act('lobby:remove', t('console:lobby.removed', name), t('console:lobby.removeFailed', name))}>${t('console:lobby.remove', name)}</button></p></li>`;
  }

  /** The inline note form under a waiting person: opened and closed by their "Message" button. */
  #toggleNote(p: ParticipantView): void {
    this.#notes.toggle(
      p.id,
      p.name,
      this.#thread.limits.maxTextLength,
      async (text) => {
        try {
          await this.#thread.send(text, p.id);
        } catch (e) {
          throw new Error(t('console:lobby.messageFailed', { reason: problemText(e) }), { cause: e });
        }
      },
      () => setStatus(t('console:lobby.messageSent', { name: p.name }), 'ok'),
    );
  }

  async #requestPhoto(p: ParticipantView): Promise<void> {
    try {
      await this.#thread.requestPhoto(p.id);
      setStatus(t('console:lobby.photoRequested', { name: p.name }), 'ok');
    } catch (e) {
      setStatus(t('console:lobby.photoFailed', { name: p.name, reason: problemText(e) }), 'error');
    }
  }
}

function section(key: string, title: string, none: string): Section {
  return {
    heading: h('h2', { id: `${key}-heading`, tabindex: '-1' }, title),
    list: h('ul', { class: 'people', 'aria-labelledby': `${key}-heading` }),
    none: h('p', { class: 'empty' }, none),
  };
}

/** Why sending to someone failed, in plain words. */
function problemText(e: unknown): string {
  return e instanceof ClientError ? sharingProblem(e.code, e.message) : errorText(e);
}

function device(p: ParticipantView): TemplateResult | typeof nothing {
  return p.device ? html`<p>${t('console:lobby.device', { device: p.device })}</p>` : nothing;
}

/** Their connection in plain words, when it is not fine. */
function connectionNote(p: ParticipantView): TemplateResult | typeof nothing {
  const text = participantConnection(p.connection);
  return text ? html`<p class="flag" data-connection=${p.connection}>${text}</p>` : nothing;
}

function who(p: ParticipantView): TemplateResult {
  return html`<p class="who"><strong>${p.name}</strong> (${roleLabel(p.role)})</p>`;
}
