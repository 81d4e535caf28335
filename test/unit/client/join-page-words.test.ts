// The join page's small text helpers: a status that does not repeat the
// focused heading, translated sentences with a link inside, and the link's
// problem kept across a reload (checked, never trusted).
import { afterEach, describe, expect, it } from 'vitest';
import { PART, sentence } from '../../../client/src/ui/dom.ts';
import { withoutTitle } from '../../../client/src/ui/page.ts';
import { keepLinkProblem, keptLinkProblem } from '../../../client/src/ui/join/link-problem.ts';

describe('withoutTitle', () => {
  it('drops the heading the screen reader has just read', () => {
    expect(withoutTitle('This link has been replaced. Please use the new link the clinic sent you.', 'This link has been replaced')).toBe(
      'Please use the new link the clinic sent you.',
    );
  });
  it('keeps a text that does not start with the title, and one that is only the title', () => {
    expect(withoutTitle('The clinic will contact you.', 'This appointment has been cancelled')).toBe('The clinic will contact you.');
    expect(withoutTitle('Leaving', 'Leaving')).toBe('Leaving');
  });
});

describe('sentence', () => {
  it('puts each part where the translation put its placeholder', () => {
    const link = { nodeName: 'A' } as unknown as Node;
    expect(sentence(`ffoniwch y clinig ar ${PART('phone')}.`, { phone: link })).toEqual(['ffoniwch y clinig ar ', link, '.']);
    expect(sentence(`${PART('phone')} is the number`, { phone: link })).toEqual([link, ' is the number']);
  });
  it('leaves out a part it was not given, and keeps plain text as it is', () => {
    expect(sentence(`call ${PART('phone')}`, {})).toEqual(['call ']);
    expect(sentence('no parts here', {})).toEqual(['no parts here']);
  });
});

describe('the kept link problem', () => {
  const store = new Map<string, string>();
  (globalThis as { sessionStorage?: unknown }).sessionStorage = {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
    removeItem: (k: string) => void store.delete(k),
  };
  afterEach(() => store.clear());

  it('comes back after a reload, and is forgotten once a link works', () => {
    keepLinkProblem({ code: 'APPOINTMENT_NOT_OPEN', details: [{ key: 'opensAt', problem: '2026-12-03T09:00:00.000Z' }] });
    expect(keptLinkProblem()).toEqual({ code: 'APPOINTMENT_NOT_OPEN', details: [{ key: 'opensAt', problem: '2026-12-03T09:00:00.000Z' }] });
    keepLinkProblem(null);
    expect(keptLinkProblem()).toBeNull();
  });
  it('ignores anything this page did not write', () => {
    for (const raw of ['not json', '"TOKEN_INVALID"', '{"code":"<b>x</b>","details":[]}', '{"code":"TOKEN_INVALID"}', '{"code":"TOKEN_INVALID","details":{}}']) {
      store.set('consultroom.linkProblem', raw);
      expect(keptLinkProblem(), raw).toBeNull();
    }
    store.set('consultroom.linkProblem', '{"code":"TOKEN_INVALID","details":[{"key":1},{"key":"a","problem":"b"}]}');
    expect(keptLinkProblem()).toEqual({ code: 'TOKEN_INVALID', details: [{ key: 'a', problem: 'b' }] });
  });
});
