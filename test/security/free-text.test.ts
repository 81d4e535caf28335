// Free text crafted to deceive the person who reads it: a name, a chat message
// and a file name full of bidi overrides (a name that reads backwards, a
// "gnp.exe" that displays as "exe.png"), line and paragraph separators (fake
// extra lines in the console), C1 controls, zero-width characters (two names
// that look the same) and invisible tag characters (hidden text). Each goes in
// the way a booking system or a guest would send it; what the other side
// receives holds none of them, in NFC, with the visible text intact.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThreadItemView } from '../../server/wire/thread.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { apiCall, asResult, Browser, expectHttpError, expectLogsClean, openConsultation, tokenOf, Tracker, type Consultation } from './support.ts';

/** The characters the review found passing through, one of each kind. */
const HOSTILE = {
  c1: '\u0080\u009B\u0090',
  separators: '\u2028\u2029\u0085',
  bidi: '\u202E\u202D\u2066\u2069\u200E\u200F\u061C',
  zeroWidth: '\u200B\u200C\u200D\uFEFF',
  tags: '\u{E0001}\u{E0041}\u{E0042}\u{E007F}',
};
const ALL_HOSTILE = Object.values(HOSTILE).join('');
const INVISIBLE = HOSTILE.c1 + HOSTILE.bidi + HOSTILE.zeroWidth + HOSTILE.tags;

/** What a reader must never receive; returns the offending code points. */
function hostileIn(text: string, opts: { multiline?: boolean } = {}): string[] {
  const bad: string[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const isBad =
      (cp < 0x20 && !(opts.multiline && cp === 0x0a)) ||
      (cp >= 0x7f && cp <= 0x9f) ||
      cp === 0x2028 ||
      cp === 0x2029 ||
      cp === 0x061c ||
      (cp >= 0x200b && cp <= 0x200f) ||
      (cp >= 0x202a && cp <= 0x202e) ||
      (cp >= 0x2066 && cp <= 0x2069) ||
      cp === 0xfeff ||
      (cp >= 0xe0000 && cp <= 0xe007f);
    if (isBad) bad.push(`U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  return bad;
}
/** One invisible character after each visible one (every kind in turn); line separators (a space when shown) at the end. */
const sprinkle = (visible: string) => [...visible].map((ch, i) => ch + [...INVISIBLE][i % [...INVISIBLE].length]).join('') + HOSTILE.separators;

let s: TestServer;
let c: Consultation;
const t = new Tracker();
const received: string[] = [];

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  t.closeAll();
  if (s) {
    expectLogsClean(s, c ? [tokenOf(c.apt.patientUrl), tokenOf(c.apt.clinicianUrl)] : []);
    await s.stop();
  }
});

describe('names through the API', () => {
  it('patient, clinician and invitee names are stored and shown without the hostile characters, in NFC', async () => {
    // A combining accent kept apart from its letter by invisible characters still composes (NFC after removal).
    const patientName = `Re${INVISIBLE}\u0301ne\u0301e ${sprinkle('Zebedee Quintrell-Oyelaran')}`;
    const clinicianName = sprinkle('Dr Asha Patel');
    const r = await apiCall(s.url, 'POST', '/api/v1/appointments', {
      clinician: { id: 'gp-text', name: clinicianName },
      patient: { name: patientName },
      startsAt: new Date().toISOString(),
      durationMinutes: 15,
    });
    expect(r.status, r.text).toBe(201);
    const apt = r.json() as { id: string; clinicianUrl: string; patientUrl: string; patientLinkId: string };
    const inv = await apiCall(s.url, 'POST', `/api/v1/appointments/${apt.id}/invites`, { name: sprinkle('Sam Okafor'), role: 'carer' });
    expect(inv.status, inv.text).toBe(201);

    const detail = (await apiCall(s.url, 'GET', `/api/v1/appointments/${apt.id}`)).json() as {
      clinician: { name: string };
      patient: { name: string };
      links: { name: string }[];
    };
    expect(detail.patient.name).toBe('R\u00E9n\u00E9e Zebedee Quintrell-Oyelaran');
    expect(detail.clinician.name).toBe('Dr Asha Patel');
    expect(new Set(detail.links.map((l) => l.name))).toEqual(new Set(['Sam Okafor', 'R\u00E9n\u00E9e Zebedee Quintrell-Oyelaran']));

    // What each side's page is told.
    const gpDevice = new Browser(s.url);
    const gpSession = (await (await gpDevice.redeem(apt.clinicianUrl)).json()) as Record<string, unknown>;
    const gp = t.track(await gpDevice.connect({ appointmentId: apt.id }));
    const patientDevice = new Browser(s.url);
    const patientSession = (await (await patientDevice.redeem(apt.patientUrl)).json()) as Record<string, unknown>;
    const patient = t.track(await patientDevice.connect());
    await patient.until((v) => v.self.state === 'waiting');
    const gpView = await gp.until((v) => v.participants.some((p) => p.role === 'patient'));
    const seen = JSON.stringify([gpSession, patientSession, gpView, patient.view]);
    expect(hostileIn(seen)).toEqual([]);
    expect(gpView.participants.find((p) => p.role === 'patient')?.name).toBe('R\u00E9n\u00E9e Zebedee Quintrell-Oyelaran');
    expect(seen).toContain('Dr Asha Patel');
  });

  it('a clinician console link (POST /api/v1/clinician-tokens) carries the cleaned name', async () => {
    const r = await apiCall(s.url, 'POST', '/api/v1/clinician-tokens', { clinician: { id: 'gp-text-2', name: sprinkle('Dr Ben Ito') } });
    expect(r.status, r.text).toBeLessThan(300);
    const url = (r.json() as { url: string }).url;
    const gp = new Browser(s.url);
    const session = await (await gp.redeem(url)).text();
    expect(hostileIn(session)).toEqual([]);
    expect(session).toContain('Dr Ben Ito');
  });

  it('a name with nothing visible left is refused, and C0 controls are refused by the schema', async () => {
    const create = (name: string) =>
      apiCall(s.url, 'POST', '/api/v1/appointments', { clinician: { id: 'gp-1', name: 'Dr A' }, patient: { name }, startsAt: new Date().toISOString(), durationMinutes: 15 });
    expectHttpError(await create(ALL_HOSTILE), 400, 'BAD_REQUEST');
    expectHttpError(await create('Jane\u0000Doe'), 400, 'BAD_REQUEST');
    expectHttpError(await create('Jane\u001BDoe'), 400, 'BAD_REQUEST');
  });
});

describe('chat and file names inside a consultation', () => {
  beforeAll(async () => {
    c = await openConsultation(s, t, { admit: true });
    c.gp.socket.on('thread:item', (item: ThreadItemView) => received.push(JSON.stringify(item)));
  });

  it('a chat message reaches the clinician without hostile characters, lines kept, NFC', async () => {
    const text = `Hel${HOSTILE.c1}lo doctor${HOSTILE.bidi}\u2028\u2029it hurts here${HOSTILE.tags}${HOSTILE.zeroWidth}\r\n\r\n\r\n\r\nsince Tuesday\u0007 cafe\u0301`;
    const ack = await c.patient.request('thread:send', { text });
    expect(ack.ok, JSON.stringify(ack)).toBe(true);
    const item = (await c.gp.event('thread:item')) as ThreadItemView;
    expect(item.kind).toBe('text');
    expect(hostileIn(item.text!, { multiline: true })).toEqual([]);
    expect(item.text).toBe('Hello doctor\n\nit hurts here\n\nsince Tuesday caf\u00E9');
    // The stored copy (a page reload) is the same.
    const list = await c.gp.request('thread:list', {});
    expect(list.ok && JSON.stringify(list.data)).toContain('since Tuesday caf\u00E9');
    if (list.ok) expect(hostileIn(JSON.stringify(list.data))).toEqual([]);
  });

  it('a file name with a bidi override cannot pose as another type; the name is shown and downloaded clean', async () => {
    const name = `rash${HOSTILE.bidi}${HOSTILE.separators}gnp${HOSTILE.c1}${HOSTILE.tags}${HOSTILE.zeroWidth}.exe`;
    const bytes = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#c84' } }).jpeg().toBuffer();
    const r = await asResult(await c.patientDevice.upload(`/api/v1/consultations/${c.apt.id}/files?name=${encodeURIComponent(name)}`, bytes, 'image/jpeg'));
    expect(r.status, r.text).toBe(201);
    const deadline = Date.now() + 5000;
    while (!received.some((x) => x.includes('"file"')) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    const item = JSON.parse(received.find((x) => x.includes('"file"'))!) as ThreadItemView;
    expect(item.file?.name).toBe('rash gnp.jpg');
    expect(hostileIn(JSON.stringify(item))).toEqual([]);
    const url = await c.gp.request('files:url', { fileId: item.file!.id });
    if (!url.ok) throw new Error(JSON.stringify(url));
    const dl = await c.gpDevice.fetch('GET', new URL(url.data.url, s.url).pathname + new URL(url.data.url, s.url).search);
    expect(dl.status).toBe(200);
    const disposition = decodeURIComponent(dl.headers.get('content-disposition') ?? '');
    expect(disposition).toContain('rash gnp.jpg');
    expect(hostileIn(disposition)).toEqual([]);
  });
});
