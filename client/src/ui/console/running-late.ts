// "Running late, about N minutes": a coordinator sets it for any clinician of
// their clinics, a clinician for themselves; patients waiting for that
// clinician see it. 0 (Clear) takes it away. The notices in force are listed
// from the pushed view.
import { html, nothing, render } from 'lit-html';
import type { WaitingAreaView } from '../../../../server/wire/staff-socket.ts';
import { ClientError } from '../../net/rpc.ts';
import type { StaffRpc } from '../../net/staff-socket.ts';
import { h, setStatus } from '../dom.ts';
import { errorText, RUNNING_LATE, WAITING_AREA } from '../messages.ts';

export interface RunningLateOptions {
  me: string;
  /** Whether the viewer is a clinician (may mark themselves). */
  clinician: boolean;
  rpc(): StaffRpc | null;
}

interface Choice {
  clinicianId: string;
  clinicId?: string;
  name: string;
}

export class RunningLate {
  readonly element: HTMLElement;
  readonly #opts: RunningLateOptions;
  readonly #body: HTMLElement;
  #view: WaitingAreaView | null = null;

  constructor(opts: RunningLateOptions) {
    this.#opts = opts;
    this.#body = h('div', {});
    this.element = h('section', { class: 'running-late', 'aria-labelledby': 'running-late-heading' }, h('h2', { id: 'running-late-heading' }, RUNNING_LATE.heading), this.#body);
  }

  update(view: WaitingAreaView | null): void {
    this.#view = view;
    this.#render();
  }

  /** Who can be marked: coordinators any clinician of their clinics, a clinician themselves. */
  #choices(): Choice[] {
    const v = this.#view;
    const list: Choice[] = this.#opts.clinician ? [{ clinicianId: this.#opts.me, name: RUNNING_LATE.you }] : [];
    for (const c of v?.clinicians ?? []) if (c.id !== this.#opts.me) list.push({ clinicianId: c.id, clinicId: c.clinicId, name: c.name });
    return list;
  }

  #nameOf(clinicianId: string): string {
    if (clinicianId === this.#opts.me) return RUNNING_LATE.you;
    return this.#view?.clinicians.find((c) => c.id === clinicianId)?.name ?? this.#view?.entries.find((e) => e.clinicianId === clinicianId)?.clinicianName ?? clinicianId;
  }

  #render(): void {
    const v = this.#view;
    const choices = this.#choices();
    this.element.hidden = !v || choices.length === 0;
    if (!v) return;
    const notices = v.runningLate;
    const value = (c: Choice) => `${c.clinicId ?? ''}|${c.clinicianId}`;
    const save = async (ev: Event) => {
      ev.preventDefault();
      const form = ev.currentTarget as HTMLFormElement;
      const picked = choices.length === 1 ? choices[0] : choices.find((c) => value(c) === (form.elements.namedItem('who') as HTMLSelectElement).value);
      const minutes = Number((form.elements.namedItem('minutes') as HTMLInputElement).value);
      if (!picked) return;
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 240) {
        setStatus(RUNNING_LATE.badMinutes, 'error');
        return;
      }
      if (await this.#send(picked, minutes)) setStatus(RUNNING_LATE.saved(picked.name, minutes), 'ok');
    };
    const clear = async (clinicianId: string) => {
      const c = choices.find((x) => x.clinicianId === clinicianId) ?? { clinicianId, name: this.#nameOf(clinicianId) };
      if (await this.#send(c, 0)) setStatus(RUNNING_LATE.cleared(c.name), 'ok');
    };
    render(
      html`${notices.length === 0
          ? html`<p class="empty">${RUNNING_LATE.none}</p>`
          : html`<ul class="notices">${notices.map(
              (n) =>
                html`<li>${RUNNING_LATE.line(this.#nameOf(n.clinicianId), n.minutes)} ${choices.some((c) => c.clinicianId === n.clinicianId)
                  ? html`<button type="button" class="secondary" @click=${() => void clear(n.clinicianId)}>${RUNNING_LATE.clear}<span class="sr-only"> ${this.#nameOf(n.clinicianId)}</span></button>`
                  : nothing}</li>`,
            )}</ul>`}
        <form class="late-form" @submit=${save}>
          ${choices.length > 1
            ? html`<p><label for="late-who">${RUNNING_LATE.clinician}</label><select id="late-who" name="who">${choices.map((c) => html`<option value=${value(c)}>${c.name}</option>`)}</select></p>`
            : nothing}
          <p><label for="late-minutes">${RUNNING_LATE.minutes}</label><span class="hint" id="late-hint">${RUNNING_LATE.minutesHint}</span><input id="late-minutes" name="minutes" type="number" inputmode="numeric" min="1" max="240" step="1" required aria-describedby="late-hint" /></p>
          <p><button type="submit">${RUNNING_LATE.save}</button></p>
        </form>`,
      this.#body,
    );
  }

  async #send(c: Choice, minutes: number): Promise<boolean> {
    const rpc = this.#opts.rpc();
    try {
      if (!rpc) throw new ClientError('UNAVAILABLE', WAITING_AREA.unavailable);
      await rpc.request('waiting:runningLate', { clinicianId: c.clinicianId, minutes, ...(c.clinicId ? { clinicId: c.clinicId } : {}) });
      return true;
    } catch (e) {
      setStatus(`${RUNNING_LATE.failed} ${errorText(e)}`, 'error');
      return false;
    }
  }
}
