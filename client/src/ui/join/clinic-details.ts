// The clinic's details as a patient sees them: its phone number (a tel: link)
// and its privacy notice (plain text, or a link to the trust's page). Every
// value is the clinic's own setting: shown as text, never as HTML.
import type { ClinicPublicView } from '../../../../server/wire/clinic-info.ts';
import { h } from '../dom.ts';
import { PRIVACY_NOTICE, PRIVACY_NOTICE_LINK, PRIVACY_NOTICE_MORE } from '../messages.ts';

/** The number as written by the clinic, dialled as digits (and a leading +). */
export function telLink(phone: string): HTMLAnchorElement {
  return h('a', { href: `tel:${phone.replace(/[^0-9+]/g, '')}`, class: 'phone' }, phone);
}

/** "<before><a href=tel:…>01234 567890</a>." or null without a number. */
export function phoneLine(phone: string | undefined, before: string): HTMLParagraphElement | null {
  return phone ? h('p', { class: 'clinic-phone' }, before, telLink(phone), '.') : null;
}

/** Only https links (the server checks too): anything else is left out rather than linked. */
function safeUrl(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** A link that opens in a new tab (and says so), giving the other site no hold on this page. */
function newTabLink(url: string, text: string): HTMLAnchorElement {
  return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, text);
}

/**
 * The privacy notice: the text behind a "How we use your information"
 * disclosure (paragraphs at blank lines), the link (new tab) after it, or the
 * link alone. Null when the clinic set neither.
 */
export function privacyNotice(clinic: ClinicPublicView | undefined): HTMLElement | null {
  const url = safeUrl(clinic?.privacyNoticeUrl);
  const text = clinic?.privacyNoticeText?.trim();
  if (text) {
    const paragraphs = text.split(/\n\s*\n/).map((t) => h('p', { class: 'notice-text' }, t.trim()));
    return h(
      'details',
      { class: 'privacy' },
      h('summary', {}, PRIVACY_NOTICE),
      ...paragraphs,
      ...(url ? [h('p', {}, newTabLink(url, PRIVACY_NOTICE_MORE))] : []),
    );
  }
  return url ? h('p', { class: 'privacy' }, newTabLink(url, PRIVACY_NOTICE_LINK)) : null;
}
