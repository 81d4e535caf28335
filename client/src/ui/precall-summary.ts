// A pre-call check in plain words for the person who ran it: camera,
// microphone and their connection (good / weak / only through the relay /
// could not connect), each with what to do. No figures: the measurements go to
// the clinic, not to the patient. Used by /check and the join page's waiting room.
import { networkVerdict, type NetworkVerdict } from '../../../server/wire/network-verdict.ts';
import type { PrecallCheck } from '../../../server/wire/precall.ts';
import { t } from '../i18n/i18n.ts';
import { h } from './dom.ts';

export interface SummaryLine {
  item: 'camera' | 'microphone' | 'connection';
  tone: 'ok' | 'error';
  text: string;
  /** What to do (the connection's line only). */
  advice?: string;
}

type Outcome = NetworkVerdict | 'unknown';

const CONNECTION: Record<Outcome, { text: () => string; advice: () => string; tone: SummaryLine['tone'] }> = {
  good: { text: () => t('precall:connection.good'), advice: () => t('precall:advice.good'), tone: 'ok' },
  weak: { text: () => t('precall:connection.weak'), advice: () => t('precall:advice.weak'), tone: 'error' },
  'relay-only': { text: () => t('precall:connection.relayOnly'), advice: () => t('precall:advice.relayOnly'), tone: 'error' },
  failed: { text: () => t('precall:connection.failed'), advice: () => t('precall:advice.failed'), tone: 'error' },
  unknown: { text: () => t('precall:connection.unknown'), advice: () => t('precall:advice.unknown'), tone: 'error' },
};

/** The verdict for this check (the same rule the server applies), or 'unknown' when the network could not be checked. */
export function outcomeOf(check: PrecallCheck): Outcome {
  return check.network ? networkVerdict(check.network) : 'unknown';
}

export function summaryLines(check: PrecallCheck): SummaryLine[] {
  const c = CONNECTION[outcomeOf(check)];
  return [
    { item: 'camera', tone: check.camera ? 'ok' : 'error', text: check.camera ? t('precall:camera.works') : t('precall:camera.notWorking') },
    {
      item: 'microphone',
      tone: check.microphone ? 'ok' : 'error',
      text: check.microphone ? t('precall:microphone.works') : t('precall:microphone.notWorking'),
    },
    { item: 'connection', tone: c.tone, text: c.text(), advice: c.advice() },
  ];
}

/** The lines as a list (each item's sentence, then what to do in a paragraph of its own). */
export function renderSummary(check: PrecallCheck): HTMLUListElement {
  const list = h('ul', { class: 'precall-summary', 'aria-label': t('precall:listLabel'), 'data-verdict': outcomeOf(check) });
  for (const line of summaryLines(check)) {
    const li = h('li', { 'data-item': line.item }, h('span', { 'data-tone': line.tone }, line.text));
    if (line.advice) li.append(h('p', {}, line.advice));
    list.append(li);
  }
  return list;
}
