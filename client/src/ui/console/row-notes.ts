// The inline "Message <name>" forms under people in a list (the consultation's
// waiting room, the clinic's waiting area): at most one per person, opened
// and closed by the person's own Message button (data-action="message"),
// focus into the form when it opens and back to that button when it closes.
// The list renders the forms it is given (get), keyed by person.
import { noteForm, type NoteForm } from '../note-form.ts';

export interface RowNotesOptions {
  /** Prefix of each form's element id (the Message button's aria-controls). */
  idPrefix: string;
  /** The list the rows are in (where the Message buttons are). */
  list: HTMLElement;
  /** Renders the list again (it shows what get() gives). */
  render(): void;
}

export class RowNotes {
  readonly #opts: RowNotesOptions;
  readonly #forms = new Map<string, NoteForm>();

  constructor(opts: RowNotesOptions) {
    this.#opts = opts;
  }

  /** The open form under this person, if any. */
  get(id: string): NoteForm | undefined {
    return this.#forms.get(id);
  }

  /** The element id of this person's form. */
  formId(id: string): string {
    return `${this.#opts.idPrefix}${id}`;
  }

  /** Drops the forms of people no longer listed (no render: the caller is rendering). */
  keepOnly(present: (id: string) => boolean): void {
    for (const id of [...this.#forms.keys()]) if (!present(id)) this.#forms.delete(id);
  }

  /**
   * Opens this person's form, or closes it when open. `send` throws an Error
   * whose message the form shows; once it resolves the form closes, then
   * `sent` runs (to say so).
   */
  toggle(id: string, name: string, maxLength: number, send: (text: string) => Promise<void>, sent: () => void): void {
    if (this.#forms.has(id)) return this.close(id);
    const form = noteForm(
      this.formId(id),
      name,
      maxLength,
      async (text) => {
        await send(text);
        this.close(id);
        sent();
      },
      () => this.close(id),
    );
    this.#forms.set(id, form);
    this.#opts.render();
    form.focus();
  }

  /** Closes this person's form; focus goes back to their Message button when it was in the form (or lost). */
  close(id: string): void {
    const form = this.#forms.get(id);
    if (!form) return;
    const hadFocus = form.el.contains(document.activeElement);
    this.#forms.delete(id);
    this.#opts.render();
    const btn = this.#opts.list.querySelector<HTMLElement>(`[data-participant="${CSS.escape(id)}"] [data-action="message"]`);
    if (btn && (hadFocus || document.activeElement === document.body)) btn.focus();
  }
}
