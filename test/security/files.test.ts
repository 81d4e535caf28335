// Attacks on the shared files of a consultation. Consultation B is real: its
// patient (Zebedee) has sent the clinician a photo. From consultation A, an
// admitted patient and a clinician, both with valid sessions of their own,
// try to find, fetch, save or deliver B's photo, to upload into B, and to
// guess file URLs; anyone may try hostile content (polyglots, a pixel bomb,
// HTML and SVG dressed as photos, a lying Content-Type). Nothing of B leaks,
// nothing hostile is served as anything but an inert image, the server
// stays up, and the logs hold no names, file names or URL tokens.
import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device } from '../support/api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import type { ThreadItemView } from '../../server/wire/thread.ts';
import { expectAckError, expectLogsClean, expectTypedError, openConsultation, PATIENT, Tracker, type Consultation } from './support.ts';

let s: TestServer;
const t = new Tracker();
let A: Consultation;
let B: Consultation;
let victim: ThreadItemView;
let victimUrl: string;
let cases = 0;

const jpeg = (w = 64, h = 48) => sharp({ create: { width: w, height: h, channels: 3, background: '#c84' } }).jpeg().toBuffer();

/** A PNG chunk with its CRC. */
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A 30000 x 30000 PNG in a few hundred bytes: 900 megapixels if anyone decoded it whole. */
function pixelBomb(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(30_000, 0);
  ihdr.writeUInt32BE(30_000, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([PNG_SIG, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(100_000))), chunk('IEND', Buffer.alloc(0))]);
}

async function upload(d: Device, appointmentId: string, bytes: Buffer, name = 'photo.jpg', contentType = 'application/octet-stream'): Promise<Response> {
  cases++;
  return d.upload(`/api/v1/consultations/${appointmentId}/files?name=${encodeURIComponent(name)}`, bytes, contentType);
}

async function urlFor(c: Consultation['gp'], fileId: string): Promise<string> {
  const r = await c.request('files:url', { fileId });
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r.data.url;
}

beforeAll(async () => {
  s = await startTestServer({ MAX_FAILURES: '1000000' });
  A = await openConsultation(s, t, { clinicianId: 'gp-a', patientName: 'Mallory Attacker', admit: true });
  B = await openConsultation(s, t, { clinicianId: 'gp-b', patientName: PATIENT, admit: true });
  const res = await upload(B.patientDevice, B.apt.id, await jpeg(), `${PATIENT} rash.jpg`);
  expect(res.status).toBe(201);
  victim = ((await res.json()) as { item: ThreadItemView }).item;
  victimUrl = await urlFor(B.gp, victim.file!.id);
});
afterAll(async () => {
  t.closeAll();
  await s?.stop();
});

describe("another consultation's files", () => {
  it('cannot be found, fetched, saved, delivered or marked viewed from consultation A', async () => {
    const fileId = victim.file!.id;
    for (const c of [A.gp, A.patient]) {
      for (const [name, payload] of [
        ['files:url', { fileId }],
        ['files:url', { fileId, download: true }],
        ['files:viewed', { fileId }],
      ] as const) {
        cases++;
        expectAckError(await c.raw(name, payload), 'NOT_FOUND', [PATIENT]);
      }
    }
    cases += 2;
    expectAckError(await A.gp.raw('files:save', { fileId }), 'NOT_FOUND', [PATIENT]);
    expectAckError(await A.gp.raw('files:deliver', { fileId }), ['NOT_CONFIGURED', 'NOT_FOUND'], [PATIENT]);
    // A's thread shows nothing of B.
    for (const c of [A.gp, A.patient]) {
      const list = await c.request('thread:list', {});
      expect(JSON.stringify(list)).not.toContain(fileId);
      expect(JSON.stringify(c.events)).not.toContain(fileId);
    }
  });

  it("B's file URL works for B's clinician only: not for A's people, B's own patient, or no session", async () => {
    for (const d of [A.gpDevice, A.patientDevice, B.patientDevice, new Device(s.url)]) {
      cases++;
      const r = await d.fetch('GET', victimUrl);
      expect(r.status).toBe(404);
      expectTypedError(await r.json(), 'NOT_FOUND', [PATIENT]);
    }
    expect((await B.gpDevice.fetch('GET', victimUrl)).status).toBe(200);
  });

  it('cannot be uploaded into from A, with either of its sessions', async () => {
    for (const d of [A.gpDevice, A.patientDevice]) {
      const r = await upload(d, B.apt.id, await jpeg());
      expect(r.status).toBe(401);
      expectTypedError(await r.json(), 'UNAUTHENTICATED');
    }
    expect((await B.gp.request('thread:list', {})).ok && (await B.gp.request('thread:list', {}))).toMatchObject({ data: { items: [expect.objectContaining({ id: victim.id })] } });
  });

  it('file URLs cannot be guessed: 500 random tokens, and malformed ones, all refused', async () => {
    const answers = await Promise.all(Array.from({ length: 500 }, () => B.gpDevice.fetch('GET', `/api/v1/files/${randomBytes(32).toString('base64url')}`)));
    cases += answers.length;
    for (const r of answers) expect(r.status).toBe(404);
    for (const token of ['x', 'A'.repeat(44), '..%2F..%2Fetc%2Fpasswd', '%00', `${victimUrl.split('/').at(-1)!}x`, victimUrl.split('/').at(-1)!.slice(1)]) {
      cases++;
      const r = await B.gpDevice.fetch('GET', `/api/v1/files/${token}`);
      expect([400, 404]).toContain(r.status);
      expectTypedError(await r.json());
    }
  });
});

describe('hostile content', () => {
  it('HTML, SVG, a script and a pixel bomb are refused with a typed error; the server stays up', async () => {
    const refusals: [Buffer, string, number, string][] = [
      [Buffer.from('<!doctype html><script>fetch("/api/v1/session")</script>'), 'photo.jpg', 415, 'UNSUPPORTED_TYPE'],
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'scan.png', 415, 'UNSUPPORTED_TYPE'],
      [Buffer.from('#!/bin/sh\nrm -rf /\n'), 'x.pdf', 415, 'UNSUPPORTED_TYPE'],
      [Buffer.from('MZ\x90\x00\x03'), 'photo.heic', 415, 'UNSUPPORTED_TYPE'],
      [pixelBomb(), 'bomb.png', 422, 'FILE_TOO_COMPLEX'], // over the pixel limit: refused before it is decoded
    ];
    for (const [bytes, name, status, code] of refusals) {
      const r = await upload(B.patientDevice, B.apt.id, bytes, name);
      expect(r.status, name).toBe(status);
      expectTypedError(await r.json(), code);
    }
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    expect((await s.deps.stores.thread.files(B.apt.id as never)).map((f) => f.id)).toEqual([victim.file!.id]);
  });

  it('a polyglot (a real JPEG with HTML after it, or in a PNG text chunk) is served as an inert image without the payload', async () => {
    const html = Buffer.from('<html><script>alert(document.cookie)</script></html>');
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123' } }).png().toBuffer();
    const iend = png.length - 12;
    const pngPolyglot = Buffer.concat([png.subarray(0, iend), chunk('tEXt', Buffer.concat([Buffer.from('Comment\0'), html])), png.subarray(iend)]);
    for (const [bytes, declared, mime] of [
      [Buffer.concat([await jpeg(), html]), 'text/html', 'image/jpeg'],
      [pngPolyglot, 'image/svg+xml', 'image/png'],
    ] as const) {
      const r = await upload(B.patientDevice, B.apt.id, bytes, 'holiday.jpg', declared);
      expect(r.status).toBe(201);
      const { item } = (await r.json()) as { item: ThreadItemView };
      expect(item.file!.mime).toBe(mime);
      const served = await B.gpDevice.fetch('GET', await urlFor(B.gp, item.file!.id));
      expect(served.headers.get('content-type')).toBe(mime);
      expect(served.headers.get('x-content-type-options')).toBe('nosniff');
      expect(served.headers.get('content-security-policy')).toContain('sandbox');
      const body = Buffer.from(await served.arrayBuffer());
      expect(body.includes(Buffer.from('<script'))).toBe(false);
      expect(body.includes(Buffer.from('<html'))).toBe(false);
    }
  });

  it('a file name cannot carry a path, markup or a misleading extension', async () => {
    const r = await upload(B.patientDevice, B.apt.id, await jpeg(), '../../../etc/"><img src=x onerror=alert(1)>.pdf.exe');
    const { item } = (await r.json()) as { item: ThreadItemView };
    expect(item.file!.name).not.toMatch(/[/\\"<>]/);
    expect(item.file!.name).toMatch(/\.jpg$/);
    const served = await B.gpDevice.fetch('GET', await urlFor(B.gp, item.file!.id));
    expect(served.headers.get('content-disposition')).not.toMatch(/[<>]|\.\.\//);
  });
});

describe('what reaches the logs', () => {
  it('no patient name, file name or file URL token', () => {
    expectLogsClean(s, [PATIENT, `${PATIENT} rash`, victimUrl.split('/').at(-1)!, 'holiday']);
    console.log(`[security] files: ${cases} attempts on shared files (another consultation's, guessed URLs, hostile content)`);
  });
});
