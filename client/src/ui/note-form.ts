// The clinician's short note to one person still in the waiting room ("running
// ten minutes late"): an inline form under their name. They see it in the
// waiting room but cannot answer until let in.
import { button, h } from './dom.ts';
import { t } from '../i18n/i18n.ts';

export interface NoteForm {
  readonly el: HTMLFormElement;
  focus(): void;
}

/** formId: the form's element id, unique on the page (its text box is `${formId}-text`). */
export function noteForm(formId: string, name: string, maxLength: number, send: (text: string) => Promise<void>, cancel: () => void): NoteForm {
  const id = `${formId}-text`;
  const text = h('textarea', { id, rows: '2', 'data-action': 'note-text' });
  text.maxLength = maxLength;
  const submit = h('button', { type: 'submit', 'data-action': 'note-send' }, t('shared:note.send', { name }));
  const error = h('p', { class: 'flag', role: 'alert', hidden: '' });
  const el = h(
    'form',
    { class: 'note-form', id: formId },
    h('label', { for: id }, t('shared:note.label', { name })),
    h('p', { class: 'hint' }, t('shared:note.hint')),
    text,
    h('p', {}, submit, button(t('shared:cancel'), cancel, 'secondary')),
    error,
  );
  const go = async () => {
    const value = text.value.trim();
    if (!value || submit.disabled) return;
    submit.disabled = true;
    error.hidden = true;
    try {
      await send(value);
      text.value = '';
    } catch (e) {
      error.textContent = e instanceof Error && e.message ? e.message : t('shared:note.notSent');
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  };
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    void go();
  });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void go();
    } else if (e.key === 'Escape') {
      cancel();
    }
  });
  return { el, focus: () => text.focus() };
}
