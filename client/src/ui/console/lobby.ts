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
import { noteForm, type NoteForm } from '../note-form.ts';

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
  readonly #notes = new Map<string, NoteForm>();
  #waiting: ParticipantView[] = [];
  #admitted: ParticipantView[] = [];

  constructor(act: Act, thread: Thread) {
    this.#act = act;
    this.#thread = thread;
    this.#waitingSection = section('waiting', 'Waiting room', 'Nobody is waiting.');
    this.#admittedSection = section('admitted', 'In the consultation', 'Nobody else has joined yet.');
    const s = (x: Section, id: string) => h('section', { 'aria-labelledby': id }, x.heading, x.list, x.none);
    this.element = h('div', { class: 'lobby' }, s(this.#waitingSection, 'waiting-heading'), s(this.#admittedSection, 'admitted-heading'));
  }

  /** The people to show, in order; called on every consultation:state. */
  update(waiting: ParticipantView[], admitted: ParticipantView[]): void {
    this.#waiting = waiting;
    this.#admitted = admitted;
    for (const id of [...this.#notes.keys()]) if (!waiting.some((p) => p.id === id)) this.#notes.delete(id);
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
      ? html`<p data-since=${p.waitingSince}>Waiting for ${duration(now - Date.parse(p.waitingSince))}</p>`
      : html`<p>Waiting</p>`;
    const act = (name: 'lobby:admit' | 'lobby:deny', done: string, failed: string) => () => void this.#act(name, { participantId: p.id }, done, failed);
    return html`<li data-participant=${p.id}>${who(p)}${since}${p.device ? html`<p>Device: ${p.device}</p>` : nothing}${p.linkReused
      ? html`<p class="flag">Warning: link already used on another device. Check who this is before you let them in.</p>`
      : nothing}${connectionNote(p)}<p><button type="button" data-action="admit" @click=${act('lobby:admit', `${p.name} has been let in.`, `We could not admit ${p.name}.`)}>Admit ${p.name}</button><button type="button" class="secondary" data-action="deny" @click=${act('lobby:deny', `${p.name} has been turned away.`, `We could not deny ${p.name}.`)}>Deny ${p.name}</button><button type="button" class="secondary" data-action="message" aria-expanded=${note ? 'true' : 'false'} aria-controls=${note ? `note-${p.id}` : nothing} @click=${() => this.#toggleNote(p)}>Message ${p.name}</button></p>${note ? note.el : nothing}</li>`;
  }

  #admittedItem(p: ParticipantView): TemplateResult {
    const act = (name: 'lobby:sendBack' | 'lobby:remove', done: string, failed: string) => () => void this.#act(name, { participantId: p.id }, done, failed);
    return html`<li data-participant=${p.id}>${who(p)}${p.device ? html`<p>Device: ${p.device}</p>` : nothing}${p.linkReused
      ? html`<p class="flag">Warning: link already used on another device.</p>`
      : nothing}${connectionNote(p)}<p><button type="button" class="secondary" data-action="requestPhoto" @click=${() => void this.#requestPhoto(p)}>Request photo from ${p.name}</button><button type="button" class="secondary" data-action="sendBack" @click=${act('lobby:sendBack', `${p.name} has been sent back to the waiting room.`, `We could not send ${p.name} back.`)}>Send back ${p.name}</button><button type="button" class="danger" data-action="remove" @click=${act('lobby:remove', `${p.name} has been removed from the consultation.`, `We could not remove ${p.name}.`)}>Remove ${p.name}</button></p></li>`;
  }

  /** The inline note form under a waiting person: opened and closed by their "Message" button. */
  #toggleNote(p: ParticipantView): void {
    if (this.#notes.has(p.id)) return this.#closeNote(p.id);
    const form = noteForm(
      `note-${p.id}`,
      p.name,
      this.#thread.limits.maxTextLength,
      async (text) => {
        try {
          await this.#thread.send(text, p.id);
        } catch (e) {
          throw new Error(`The message was not sent. ${e instanceof ClientError ? sharingProblem(e.code, e.message) : errorText(e)}`, { cause: e });
        }
        this.#closeNote(p.id);
        setStatus(`Message sent to ${p.name}.`, 'ok');
      },
      () => this.#closeNote(p.id),
    );
    this.#notes.set(p.id, form);
    this.render();
    form.focus();
  }

  #closeNote(id: string): void {
    const form = this.#notes.get(id);
    const hadFocus = !!form && form.el.contains(document.activeElement);
    this.#notes.delete(id);
    this.render();
    const btn = this.#waitingSection.list.querySelector<HTMLElement>(`[data-participant="${CSS.escape(id)}"] [data-action="message"]`);
    if (form && btn && (hadFocus || document.activeElement === document.body)) btn.focus();
  }

  async #requestPhoto(p: ParticipantView): Promise<void> {
    try {
      await this.#thread.requestPhoto(p.id);
      setStatus(`A photo has been requested from ${p.name}. They see the request on their screen.`, 'ok');
    } catch (e) {
      setStatus(`We could not ask ${p.name} for a photo. ${e instanceof ClientError ? sharingProblem(e.code, e.message) : errorText(e)}`, 'error');
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

/** Their connection in plain words, when it is not fine. */
function connectionNote(p: ParticipantView): TemplateResult | typeof nothing {
  const text = participantConnection(p.connection);
  return text ? html`<p class="flag" data-connection=${p.connection}>${text}</p>` : nothing;
}

function who(p: ParticipantView): TemplateResult {
  return html`<p class="who"><strong>${p.name}</strong> (${roleLabel(p.role)})</p>`;
}
