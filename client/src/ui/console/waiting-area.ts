// The console's live waiting area, from the pushed view (never polled): who
// waits, own patients first, with their clinician, appointment time, how long
// they have waited (updating), device, pre-call check (camera, microphone and
// the network verdict, marked when it is not good) and the "link used on
// another device" warning. A clinician of a clinic can show the whole clinic;
// a coordinator always sees it. Actions: Open (own patients), Message (own
// patients; a coordinator's clinics), Re-assign (coordinators, to another
// clinician of the clinic). Rendered with lit-html's keyed `repeat`, so a
// person's entry (and the button in it that has focus) stays the same element
// while the view changes; when the focused entry goes, focus moves to the
// list's first button (or its heading), never to the page.
import { html, nothing, render, type TemplateResult } from 'lit-html';
import { repeat } from 'lit-html/directives/repeat.js';
import type { NetworkVerdict } from '../../../../server/wire/precall.ts';
import type { WaitingAreaView, WaitingEntry } from '../../../../server/wire/staff-socket.ts';
import { ownFirst } from '../../model/waiting-queue.ts';
import type { WaitingScope } from '../../model/staff-connection.ts';
import { ClientError } from '../../net/rpc.ts';
import type { StaffRpc } from '../../net/staff-socket.ts';
import { h, setStatus } from '../dom.ts';
import { errorText, participantConnection, precallCheckText, roleLabel, WAITING_AREA } from '../messages.ts';
import { t } from '../../i18n/i18n.ts';
import { RowNotes } from './row-notes.ts';

/** The wait times are in whole minutes: drawing them again this often is plenty. */
const TICK_MS = 15_000;
const MESSAGE_MAX = 1000;

export interface WaitingAreaOptions {
  me: string;
  /** A clinician of a clinic: may ask for the whole clinic. */
  canWatchClinic: boolean;
  /** Coordinators always see the clinic (no choice offered). */
  clinicOnly: boolean;
  /** Whether the viewer coordinates this clinic (message anyone waiting there, re-assign). */
  coordinates(clinicId: string | undefined): boolean;
  rpc(): StaffRpc | null;
  watch(scope: WaitingScope): Promise<void>;
  open(appointmentId: string, name: string): void;
}

export class WaitingArea {
  readonly element: HTMLElement;
  readonly #opts: WaitingAreaOptions;
  readonly #heading: HTMLElement;
  readonly #state: HTMLElement;
  readonly #list: HTMLElement;
  readonly #none: HTMLElement;
  readonly #toggle: HTMLInputElement | null;
  readonly #notes: RowNotes;
  /** Entries (by participant) with the re-assign form open. */
  readonly #reassigning = new Set<string>();
  #view: WaitingAreaView | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(opts: WaitingAreaOptions) {
    this.#opts = opts;
    this.#heading = h('h2', { id: 'waiting-area-heading', tabindex: '-1' }, WAITING_AREA.heading);
    this.#state = h('p', { class: 'hint' });
    this.#list = h('ul', { class: 'people waiting-area', 'aria-labelledby': 'waiting-area-heading' });
    this.#none = h('p', { class: 'empty' }, WAITING_AREA.noneMine);
    const parts: HTMLElement[] = [this.#heading];
    this.#toggle = null;
    if (opts.canWatchClinic && !opts.clinicOnly) {
      const box = h('input', { type: 'checkbox', id: 'whole-clinic' });
      box.addEventListener('change', () => void this.#switch(box.checked ? 'clinic' : 'mine'));
      this.#toggle = box;
      parts.push(h('p', { class: 'choice' }, box, h('label', { for: 'whole-clinic' }, WAITING_AREA.wholeClinic)));
    }
    this.element = h('section', { class: 'waiting-now', 'aria-labelledby': 'waiting-area-heading' }, ...parts, this.#state, this.#list, this.#none);
    this.#notes = new RowNotes({ idPrefix: 'wa-note-', list: this.#list, render: () => this.render() });
  }

  /** A new view (null: none yet). */
  update(view: WaitingAreaView | null): void {
    this.#view = view;
    if (view && this.#toggle) this.#toggle.checked = view.scope === 'clinic';
    const present = new Set(view?.entries.map((e) => e.participantId) ?? []);
    this.#notes.keepOnly((id) => present.has(id));
    for (const id of [...this.#reassigning]) if (!present.has(id)) this.#reassigning.delete(id);
    this.render();
    this.#timer ??= setInterval(() => this.render(), TICK_MS);
  }

  /** The live view's state: shown under the heading while it is not current. */
  connection(state: 'live' | 'reconnecting' | 'unavailable'): void {
    this.#state.textContent = state === 'live' ? '' : state === 'reconnecting' ? WAITING_AREA.reconnecting : WAITING_AREA.unavailable;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  render(): void {
    if (!this.element.isConnected && this.#timer) return;
    const v = this.#view;
    const entries = v ? ownFirst(v.entries, this.#opts.me) : [];
    const clinicScope = v?.scope === 'clinic';
    this.#heading.textContent = clinicScope ? WAITING_AREA.clinicHeading(v.clinics.map((c) => c.name)) : WAITING_AREA.heading;
    this.#none.textContent = clinicScope ? WAITING_AREA.noneClinic : WAITING_AREA.noneMine;
    this.#none.hidden = !v || entries.length > 0;
    const now = Date.now();
    const active = document.activeElement as HTMLElement | null;
    const had = active && this.#list.contains(active) ? active : null;
    const from = had?.closest<HTMLElement>('[data-participant]')?.dataset.participant;
    const action = had?.dataset.action;
    render(repeat(entries, (e) => e.participantId, (e) => this.#item(e, now)), this.#list);
    if (!had || this.#list.contains(document.activeElement)) return;
    const same = from && action ? this.#list.querySelector<HTMLElement>(`[data-participant="${CSS.escape(from)}"] [data-action="${CSS.escape(action)}"]`) : null;
    (same ?? this.#list.querySelector<HTMLElement>('button') ?? this.#heading).focus();
  }

  #item(e: WaitingEntry, now: number): TemplateResult {
    const mine = e.clinicianId === this.#opts.me;
    const coordinates = this.#opts.coordinates(e.clinicId);
    const note = this.#notes.get(e.participantId);
    const reassigning = this.#reassigning.has(e.participantId);
    const connection = participantConnection(e.connection);
    return html`<li data-participant=${e.participantId} data-appointment=${e.appointmentId} class=${mine ? 'mine' : nothing}>
      <p class="who"><strong>${e.name}</strong>${e.role === 'patient' ? nothing : ` (${roleLabel(e.role)})`}</p>
      <p>${mine ? WAITING_AREA.yourPatient : WAITING_AREA.withClinician(e.clinicianName)} · ${WAITING_AREA.appointmentAt(e.startsAt)}</p>
      <p data-since=${e.waitingSince}>${WAITING_AREA.waitingFor(now - Date.parse(e.waitingSince), e.waitingSince)}</p>
      <p>${WAITING_AREA.device(e.device)} · ${precallCheckText(e.check)}</p>
      ${networkLine(e.check?.network?.verdict)}
      ${e.linkReused ? html`<p class="flag">${WAITING_AREA.linkReused}</p>` : nothing}
      ${connection ? html`<p class="flag" data-connection=${e.connection}>${connection}</p>` : nothing}
      <p>${mine ? html`<button type="button" data-action="open" @click=${() => this.#opts.open(e.appointmentId, e.name)}>${WAITING_AREA.open(e.name)}</button>` : nothing}${mine || coordinates
        ? html`<button type="button" class="secondary" data-action="message" aria-expanded=${note ? 'true' : 'false'} aria-controls=${note ? this.#notes.formId(e.participantId) : nothing} @click=${() => this.#toggleNote(e)}>${WAITING_AREA.message(e.name)}</button>`
        : nothing}${coordinates
        ? html`<button type="button" class="secondary" data-action="reassign" aria-expanded=${reassigning ? 'true' : 'false'} aria-controls=${reassigning ? `wa-reassign-${e.participantId}` : nothing} @click=${() => this.#toggleReassign(e)}>${WAITING_AREA.reassign(e.name)}</button>`
        : nothing}</p>
      ${note ? note.el : nothing}${reassigning ? this.#reassignForm(e) : nothing}
    </li>`;
  }

  async #switch(scope: WaitingScope): Promise<void> {
    try {
      await this.#opts.watch(scope);
    } catch (e) {
      if (this.#toggle) this.#toggle.checked = this.#view?.scope === 'clinic';
      setStatus(`${WAITING_AREA.unavailable} ${errorText(e)}`, 'error');
    }
  }

  #toggleNote(e: WaitingEntry): void {
    const id = e.participantId;
    this.#notes.toggle(
      id,
      e.name,
      MESSAGE_MAX,
      async (text) => {
        const rpc = this.#opts.rpc();
        try {
          if (!rpc) throw new ClientError('UNAVAILABLE', WAITING_AREA.unavailable);
          await rpc.request('waiting:message', { appointmentId: e.appointmentId, participantId: id, text });
        } catch (err) {
          throw new Error(`${WAITING_AREA.messageFailed} ${errorText(err)}`, { cause: err });
        }
      },
      () => setStatus(WAITING_AREA.messageSent(e.name), 'ok'),
    );
  }

  #toggleReassign(e: WaitingEntry): void {
    const id = e.participantId;
    if (this.#reassigning.has(id)) {
      this.#reassigning.delete(id);
      this.render();
      return;
    }
    this.#reassigning.add(id);
    this.render();
    this.#list.querySelector<HTMLElement>(`#wa-reassign-${CSS.escape(id)} select, #wa-reassign-${CSS.escape(id)} p`)?.focus();
  }

  #reassignForm(e: WaitingEntry): TemplateResult {
    const id = e.participantId;
    const others = (this.#view?.clinicians ?? []).filter((c) => c.clinicId === e.clinicId && c.id !== e.clinicianId);
    const close = () => {
      const hadFocus = this.#list.querySelector(`#wa-reassign-${CSS.escape(id)}`)?.contains(document.activeElement) ?? false;
      this.#reassigning.delete(id);
      this.render();
      this.#refocus(id, 'reassign', hadFocus);
    };
    if (others.length === 0) {
      return html`<div id=${`wa-reassign-${id}`} class="note-form"><p tabindex="-1">${WAITING_AREA.reassignNobody}</p><p><button type="button" class="secondary" @click=${close}>${WAITING_AREA.cancel}</button></p></div>`;
    }
    const submit = async (ev: Event) => {
      ev.preventDefault();
      const form = ev.currentTarget as HTMLFormElement;
      const to = others.find((c) => c.id === (form.elements.namedItem('clinician') as HTMLSelectElement).value);
      const rpc = this.#opts.rpc();
      if (!to) return;
      try {
        if (!rpc) throw new ClientError('UNAVAILABLE', WAITING_AREA.unavailable);
        await rpc.request('waiting:reassign', { appointmentId: e.appointmentId, clinicianId: to.id });
        close();
        setStatus(WAITING_AREA.reassigned(e.name, to.name), 'ok');
      } catch (err) {
        setStatus(`${WAITING_AREA.reassignFailed(e.name)} ${errorText(err)}`, 'error');
      }
    };
    const keys = (ev: KeyboardEvent) => {
      if (ev.key === 'Escape') close();
    };
    return html`<form id=${`wa-reassign-${id}`} class="note-form" @submit=${submit} @keydown=${keys}>
      <label for=${`wa-reassign-${id}-to`}>${WAITING_AREA.reassignLabel(e.name)}</label>
      <select id=${`wa-reassign-${id}-to`} name="clinician">${others.map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select>
      <p><button type="submit" data-action="reassign-send">${WAITING_AREA.reassignSubmit}</button><button type="button" class="secondary" @click=${close}>${WAITING_AREA.cancel}</button></p>
    </form>`;
  }

  /** After an inline form closed: back to the button that opened it (when focus was in the form, or lost). */
  #refocus(participantId: string, action: string, hadFocus: boolean): void {
    const btn = this.#list.querySelector<HTMLElement>(`[data-participant="${CSS.escape(participantId)}"] [data-action="${action}"]`);
    if (btn && (hadFocus || document.activeElement === document.body)) btn.focus();
  }
}

const NETWORK_WORDS = {
  good: 'console:network.good',
  weak: 'console:network.weak',
  'relay-only': 'console:network.relayOnly',
  failed: 'console:network.failed',
} as const satisfies Record<NetworkVerdict, string>;

/**
 * Their network check's verdict in plain words (computed by the server from
 * what their page measured). Anything short of good is marked by a sign and a
 * bold line as well as the colour, so it is seen before they are let in.
 */
function networkLine(verdict: NetworkVerdict | undefined): TemplateResult {
  if (verdict === 'good') return html`<p data-network="good">${t(NETWORK_WORDS.good)}</p>`;
  if (!verdict) return html`<p data-network="none">${t('console:network.notChecked')}</p>`;
  return html`<p class="flag" data-network=${verdict}><span class="marker" aria-hidden="true">⚠ </span>${t(NETWORK_WORDS[verdict])}</p>`;
}
