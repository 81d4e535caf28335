// Benchmark 6, clinical photos: what the checks cost on a real phone photo
// (12 MP, 4032x3024, with EXIF GPS). Three figures, each beside a floor:
//  - the content check alone (magic bytes, lossless strip, a full decode)
//    beside hashing and sealing the same bytes, the least any store must do;
//  - a patient's upload through the real server (memory store, real disk,
//    HTTP + socket.io) to the 201, and to the photo appearing in the
//    clinician's thread, beside a bare Fastify route that writes the body to
//    disk, on the same machine;
//  - the server's RSS growth while 4 photos are uploaded at once.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import sharp from 'sharp';
import { sanitize } from '../server/content/content.ts';
import { newKey, seal } from '../server/domain/files/sealed.ts';
import type { ThreadItemView } from '../server/wire/thread.ts';
import { createAppointment, Device } from '../support/api.ts';
import { startTestServer } from '../support/server.ts';
import { saveResult } from './lib/results.ts';
import { fmt, fmtRatio, ratio, summarize, table, type Summary } from './lib/stats.ts';

export interface SharingResult {
  photo: { width: number; height: number; bytes: number };
  check: { ours: Summary; bare: Summary };
  upload: { ours: Summary; toClinician: Summary; bare: Summary };
  concurrent: { n: number; rssGrowthBytes: number; wallMs: number };
}

/** A noisy 12 MP photo (so it compresses like a real one) with the metadata a phone writes. */
async function phonePhoto(): Promise<Buffer> {
  const width = 4032;
  const height = 3024;
  const noise = Buffer.alloc(width * height * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  return sharp(noise, { raw: { width, height, channels: 3 } })
    .blur(1.2)
    .jpeg({ quality: 88 })
    .withExif({
      IFD0: { Make: 'PhoneCo', Model: 'X1 Pro' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
    })
    .toBuffer();
}

const elapsed = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(elapsed(t0));
  }
  return out;
}

export async function sharing(budgetMs: number): Promise<SharingResult> {
  const started = Date.now();
  const photo = await phonePhoto();
  const meta = await sharp(photo).metadata();
  const runs = budgetMs >= 90_000 ? 20 : 8;
  console.log(`\n== sharing: a ${meta.width}x${meta.height} photo, ${(photo.length / 1e6).toFixed(2)} MB, ${runs} runs each ==`);

  // 1. The check alone, beside hash + seal.
  await sanitize(photo); // warm-up: sharp's first call loads libvips
  const key = newKey();
  const oursCheck = await timeIt(runs, () => sanitize(photo));
  const bareCheck = await timeIt(runs, async () => {
    createHash('sha256').update(photo).digest('hex');
    seal(key, photo, 'a/b');
  });

  // 2. Through the real server.
  const s = await startTestServer();
  const bareDir = mkdtempSync(path.join(tmpdir(), 'bare-upload-'));
  const bare = Fastify({ bodyLimit: 32 * 1024 * 1024 });
  bare.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
  let k = 0;
  bare.post('/upload', async (req) => {
    writeFileSync(path.join(bareDir, `${k++}.jpg`), req.body as Buffer);
    return { ok: true };
  });
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/upload`;
  try {
    const apt = await createAppointment(s.url);
    const phone = new Device(s.url);
    await phone.redeem(apt.patientUrl);
    const patient = await phone.connect();
    const waiting = await patient.until((v) => v.self.state === 'waiting');
    const laptop = new Device(s.url);
    await laptop.redeem(apt.clinicianUrl);
    const gp = await laptop.connect({ appointmentId: apt.id });
    await gp.until((v) => v.participants.some((p) => p.id === waiting.self.id));
    await gp.request('lobby:admit', { participantId: waiting.self.id });
    await patient.until((v) => v.self.state === 'admitted');

    const seen = new Map<string, number>();
    gp.socket.on('thread:item', (item: ThreadItemView) => seen.set(item.id, performance.now()));
    const route = `/api/v1/consultations/${apt.id}/files?name=IMG_0001.JPG`;
    await phone.upload(route, photo); // warm-up
    const upload: number[] = [];
    const toClinician: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const res = await phone.upload(route, photo);
      const t1 = performance.now();
      if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
      const { item } = (await res.json()) as { item: ThreadItemView };
      const t0n = Date.now();
      while (!seen.has(item.id) && Date.now() - t0n < 5000) await new Promise((r) => setTimeout(r, 2));
      upload.push(t1 - t0);
      toClinician.push((seen.get(item.id) ?? Number.NaN) - t0);
    }
    await fetch(bareUrl, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(photo) }); // warm-up
    const bareUpload = await timeIt(runs, () => fetch(bareUrl, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(photo) }).then((r) => r.arrayBuffer()));

    // 3. Four at once: how much the server's memory grows.
    const n = 4;
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, () => phone.upload(route, photo)));
    const wallMs = performance.now() - t0;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    gp.close();
    patient.close();
    const result: SharingResult = {
      photo: { width: meta.width, height: meta.height, bytes: photo.length },
      check: { ours: summarize(oursCheck), bare: summarize(bareCheck) },
      upload: { ours: summarize(upload), toClinician: summarize(toClinician), bare: summarize(bareUpload) },
      concurrent: { n, rssGrowthBytes: peak - before, wallMs },
    };
    const r = result;
    console.log(
      table(
        ['step', 'ours p50 / p95 ms', 'bare p50 / p95 ms', 'ratio (p50)'],
        [
          ['content check (strip + decode) vs hash + seal', `${fmt(r.check.ours.p50)} / ${fmt(r.check.ours.p95)}`, `${fmt(r.check.bare.p50)} / ${fmt(r.check.bare.p95)}`, fmtRatio(ratio(r.check.ours.p50, r.check.bare.p50))],
          ['upload -> 201 vs bare write-to-disk route', `${fmt(r.upload.ours.p50)} / ${fmt(r.upload.ours.p95)}`, `${fmt(r.upload.bare.p50)} / ${fmt(r.upload.bare.p95)}`, fmtRatio(ratio(r.upload.ours.p50, r.upload.bare.p50))],
          ["upload -> in the clinician's thread", `${fmt(r.upload.toClinician.p50)} / ${fmt(r.upload.toClinician.p95)}`, '-', '-'],
          [`${n} uploads at once: wall, RSS growth`, `${fmt(wallMs)} ms, ${fmt(r.concurrent.rssGrowthBytes / 2 ** 20, 1)} MiB`, '-', '-'],
        ],
      ),
    );
    console.log(`  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    saveResult('sharing', result);
    return result;
  } finally {
    await bare.close();
    await s.stop();
    rmSync(bareDir, { recursive: true, force: true });
  }
}
