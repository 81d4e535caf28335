// Hostile content from an admitted guest (a forwarded link admitted by
// mistake is enough). Two attacks on the running server:
// 1. Files that cost more to check than they are worth - a crafted HEIF
//    (thousands of boxes, an extent a terabyte long, overlapping extents, an
//    item in a thousand pieces), a progressive JPEG and an interlaced PNG at
//    the pixel limit, a PNG over it - are refused with a typed error, while a
//    second consultation's acknowledgements stay fast and the server's memory
//    and event loop stay calm (measured here, in the server's own process).
// 2. Photos carrying a marker, GPS, Make and Model in every segment, chunk
//    and box a phone or an attacker can use: what the clinician downloads has
//    none of it, by byte search and by exifr.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { deflateSync } from 'node:zlib';
import exifr from 'exifr';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThreadItemView } from '../../server/wire/thread.ts';
import type { Device } from '../support/api.ts';
import { MARKER, plantedJpeg, plantedPng } from '../support/planted-media.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectTypedError, openConsultation, Tracker, type Consultation } from './support.ts';
import { box, chunk, latin1, u16, u32, u64 } from '../support/bytes.ts';

let s: TestServer;
const t = new Tracker();
let attacker: Consultation;
let victim: Consultation;

const fullBox = (type: string, version: number, ...parts: Buffer[]) => box(type, u32(version << 24), ...parts);

/**
 * A small HEIC: two hvc1 items whose iloc (version 1, 8-byte fields) says
 * `extents(mdatBody)` for each, and `boxes` empty boxes after mdat.
 */
function craftedHeif(extents: (mdatBody: number, item: number) => [number, number][], boxes = 0): Buffer {
  const ftyp = box('ftyp', latin1('heic'), u32(0), latin1('mif1heic'));
  const data = Buffer.alloc(256, 0xab);
  const meta = (mdatBody: number) => {
    const entries = [1, 2].map((id) => {
      const ex = extents(mdatBody, id);
      return Buffer.concat([u16(id), u16(0), u16(0), u16(ex.length), ...ex.flatMap(([o, l]) => [u64(o), u64(l)])]);
    });
    const iloc = fullBox('iloc', 1, Buffer.from([0x88, 0x00]), u16(2), ...entries);
    const infe = (id: number) => fullBox('infe', 2, u16(id), u16(0), latin1('hvc1'), latin1('\0'));
    const iinf = fullBox('iinf', 0, u16(2), infe(1), infe(2));
    const iprp = box('iprp', box('ipco', fullBox('ispe', 0, u32(4032), u32(3024))), fullBox('ipma', 0, u32(1), u16(1), Buffer.from([1, 0x81])));
    const hdlr = fullBox('hdlr', 0, u32(0), latin1('pict'), u32(0), u32(0), u32(0), latin1('\0'));
    return fullBox('meta', 0, hdlr, fullBox('pitm', 0, u16(1)), iloc, iinf, iprp);
  };
  const body = ftyp.length + meta(0).length + 8;
  return Buffer.concat([ftyp, meta(body), box('mdat', data), ...Array.from({ length: boxes }, () => box('free'))]);
}

/** A PNG header declaring width x height, with a few hundred bytes of zeros as its image data. */
function pngHeader(width: number, height: number, interlaced: boolean): Buffer {
  const ihdr = Buffer.concat([u32(width), u32(height), Buffer.from([8, 2, 0, 0, interlaced ? 1 : 0])]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(100_000))), chunk('IEND', Buffer.alloc(0))]);
}

interface Hostile {
  name: string;
  bytes: Buffer;
  code: 'FILE_TOO_COMPLEX' | 'CORRUPT_FILE';
}
let hostile: Hostile[];

const upload = (d: Device, appointmentId: string, bytes: Buffer, name: string) => d.upload(`/api/v1/consultations/${appointmentId}/files?name=${encodeURIComponent(name)}`, bytes);

async function download(c: Consultation, item: ThreadItemView): Promise<Buffer> {
  const r = await c.gp.request('files:url', { fileId: item.file!.id });
  if (!r.ok) throw new Error(JSON.stringify(r));
  // Plain fetch with the clinician's cookies: the security Browser reads bodies as text, and these are bytes.
  const res = await fetch(`${s.url}${r.data.url}`, { headers: { cookie: c.gpDevice.cookieHeader, 'user-agent': c.gpDevice.userAgent } });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  s = await startTestServer();
  attacker = await openConsultation(s, t, { clinicianId: 'gp-a', patientName: 'Mallory Attacker', admit: true });
  victim = await openConsultation(s, t, { clinicianId: 'gp-b', admit: true });
  const side = 7000; // 49 MP: under files.maxPixels (50 MP), over files.maxProgressivePixels (16 MP)
  hostile = [
    { name: 'boxes.heic', bytes: craftedHeif((b) => [[b, 128]], 5000), code: 'FILE_TOO_COMPLEX' },
    { name: 'pieces.heic', bytes: craftedHeif((b, id) => (id === 1 ? Array.from({ length: 1000 }, (_, i) => [b + (i % 128), 1] as [number, number]) : [[b + 128, 64]])), code: 'FILE_TOO_COMPLEX' },
    { name: 'huge-extent.heic', bytes: craftedHeif((b, id) => (id === 1 ? [[b, 2 ** 40]] : [[b + 128, 64]])), code: 'CORRUPT_FILE' },
    { name: 'overlap.heic', bytes: craftedHeif((b) => [[b, 200]]), code: 'CORRUPT_FILE' },
    { name: 'progressive.jpg', bytes: await sharp({ create: { width: side, height: side, channels: 3, background: '#a87' } }).jpeg({ progressive: true, quality: 40 }).toBuffer(), code: 'FILE_TOO_COMPLEX' },
    { name: 'interlaced.png', bytes: pngHeader(side, side, true), code: 'FILE_TOO_COMPLEX' },
    { name: 'over-limit.png', bytes: pngHeader(8000, 7000, false), code: 'FILE_TOO_COMPLEX' },
  ];
}, 120_000);
afterAll(async () => {
  t.closeAll();
  await s?.stop();
});

describe('files that cost more to check than they are worth', () => {
  it('are each refused with a typed 422 naming why, before anything is stored', async () => {
    for (const h of hostile) {
      const r = await upload(attacker.patientDevice, attacker.apt.id, h.bytes, h.name);
      expect(r.status, h.name).toBe(422);
      expectTypedError(await r.json(), h.code);
    }
    expect(await s.deps.stores.thread.files(attacker.apt.id as never)).toEqual([]);
  });

  it("do not slow another consultation's acknowledgements, stall the event loop or grow memory while one guest keeps sending them", async () => {
    const loop = monitorEventLoopDelay({ resolution: 10 });
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
    const acks: number[] = [];
    let attacking = true;
    loop.enable();
    const probe = (async () => {
      while (attacking) {
        const t0 = performance.now();
        const r = await victim.gp.request('consultation:state', {});
        acks.push(performance.now() - t0);
        expect(r.ok).toBe(true);
        await sleep(100);
      }
    })();
    // Two uploads at a time (the per-participant cap), every file again and again for a few seconds.
    const outcomes: { name: string; status: number; code: string }[] = [];
    const until = performance.now() + 4000;
    const stream = async (offset: number) => {
      for (let i = offset; performance.now() < until || i < hostile.length; i += 2) {
        const h = hostile[i % hostile.length]!;
        const r = await upload(attacker.patientDevice, attacker.apt.id, h.bytes, h.name);
        outcomes.push({ name: h.name, status: r.status, code: ((await r.json()) as { code: string }).code });
      }
    };
    await Promise.all([stream(0), stream(1)]);
    attacking = false;
    await probe;
    loop.disable();
    clearInterval(sampler);

    // Nothing hostile got in; refusals are the typed ones (or "busy, try again" when the checking queue is full).
    for (const o of outcomes) expect([422, 503], `${o.name}: ${o.status} ${o.code}`).toContain(o.status);
    expect(outcomes.filter((o) => o.status === 422).length).toBeGreaterThan(outcomes.length / 2);
    const p99 = percentile(acks, 99);
    const loopMaxMs = loop.max / 1e6;
    const rssGrowthMb = (peak - rss0) / 2 ** 20;
    console.log(`[security] hostile content: ${outcomes.length} uploads; acks p99 ${p99.toFixed(0)} ms over ${acks.length}; event loop max ${loopMaxMs.toFixed(0)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms; RSS +${rssGrowthMb.toFixed(0)} MB`);
    expect(acks.length).toBeGreaterThan(5);
    expect(p99).toBeLessThan(1000);
    expect(loopMaxMs).toBeLessThan(1000);
    expect(rssGrowthMb).toBeLessThan(600);

    // The victim's patient can still share a real photo at once.
    const ok = await upload(victim.patientDevice, victim.apt.id, await sharp({ create: { width: 640, height: 480, channels: 3, background: '#c84' } }).jpeg().toBuffer(), 'rash.jpg');
    expect(ok.status).toBe(201);
  });
});

describe('metadata planted everywhere', () => {
  it('never reaches the clinician: no marker byte, no GPS, Make or Model that exifr can find', async () => {
    for (const [name, bytes, mime] of [
      ['IMG_0001.JPG', await plantedJpeg(), 'image/jpeg'],
      ['screenshot.png', await plantedPng(), 'image/png'],
    ] as const) {
      expect(bytes.includes(MARKER)).toBe(true);
      expect(await exifr.gps(bytes)).toMatchObject({ latitude: 51.5 });
      const r = await upload(victim.patientDevice, victim.apt.id, bytes, name);
      expect(r.status, name).toBe(201);
      const { item } = (await r.json()) as { item: ThreadItemView };
      expect(item.file!.mime).toBe(mime);
      const got = await download(victim, item);
      expect(got.subarray(0, 4).toString('latin1'), name).toBe(bytes.subarray(0, 4).toString('latin1'));
      expect(got.includes(MARKER), name).toBe(false);
      expect(got.includes(Buffer.from(MARKER, 'utf16le')), name).toBe(false);
      expect(await exifr.gps(got).catch(() => undefined), name).toBeUndefined();
      const tags = ((await exifr.parse(got, { tiff: true, ifd1: true, exif: true, gps: true, xmp: true, iptc: true, icc: false, jfif: false, ihdr: false }).catch(() => undefined)) ?? {}) as Record<string, unknown>;
      expect(Object.keys(tags).filter((k) => k !== 'Orientation'), name).toEqual([]);
      // Still the same picture.
      expect((await sharp(got).metadata()).width).toBe(320);
    }
  });
});
