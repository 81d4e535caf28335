// "Messages from your clinician" in the waiting room: the notes addressed to
// this person while they wait, read out as they arrive. No reply box: they
// can answer once they are let in (the server refuses it before then too).
import type { ThreadItemView } from '../../../server/wire/thread.ts';
import { h } from './dom.ts';
import { clockTime } from './messages.ts';
import { t } from '../i18n/i18n.ts';
import type { Thread } from '../model/thread.ts';

export function waitingNotes(thread: Thread, clinicianName: string): { element: HTMLElement; detach: () => void } {
  const list = h('ul', { class: 'notes', 'aria-live': 'polite', 'aria-labelledby': 'notes-heading' });
  const empty = h('p', { class: 'empty' }, t('shared:waitingNotes.empty'));
  const reply = h('p', { class: 'hint', hidden: '' }, t('shared:waitingNotes.reply', { name: clinicianName }));
  const shown = new Set<string>();
  const isNote = (i: ThreadItemView) => i.kind === 'text' && i.from.id !== thread.selfId;
  const render = () => {
    for (const item of thread.items.filter(isNote)) {
      if (shown.has(item.id)) continue;
      shown.add(item.id);
      list.append(
        h('li', { 'data-item-id': item.id, 'data-kind': item.kind }, h('p', { class: 'meta' }, t('shared:waitingNotes.meta', { name: item.from.name, time: clockTime(item.at) })), h('p', { class: 'text' }, item.text ?? '')),
      );
    }
    empty.hidden = shown.size > 0;
    reply.hidden = shown.size === 0;
  };
  const detach = thread.subscribe(render);
  render();
  const element = h('section', { class: 'waiting-notes', 'aria-labelledby': 'notes-heading' }, h('h2', { id: 'notes-heading' }, t('shared:waitingNotes.heading')), list, empty, reply);
  return { element, detach };
}
