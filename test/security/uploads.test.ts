// Attacks on the upload route as the review made them, against the running
// server: a hundred anonymous 20 MB uploads from one address; a request that
// sends its headers and never its body; a body trickled a byte at a time;
// headers trickled a line at a time; more uploads at once than one participant
// or one address may hold; a consultation filled past its storage quota
// (concurrently, on both stores); a guest's PDF; and a page reporting the same
// view fifty times. Each is refused (or recorded once) and the server's memory,
// bytes read and staging directory show it did not pay for what was sent.
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import net, { type Socket } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ThreadItemView } from '../../server/wire/thread.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectHttpError, expectTypedError, freshAddress, openConsultation, Tracker, type Consultation, type HttpResult } from './support.ts';

const MB = 1024 * 1024;
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\ntrailer<<>>\n%%EOF\n');
/** A real photo with noise, so its size is not trivial. */
const photo = (w = 320, h = 240) =>
  sharp({ create: { width: w, height: h, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg({ quality: 80 })
    .toBuffer();

interface Outcome {
  status: number | null;
  text: string;
  headers: Record<string, string | string[] | undefined>;
  /** The connection failed before a response came (reset by the server). */
  error: string | null;
  sent: number;
}

interface StreamOptions {
  from: string;
  cookie?: string;
  /** The declared Content-Length; chunked (none declared) when null. */
  length: number | null;
  /** What to send: 'flood' writes zeros as fast as the server takes them; a Buffer is sent at `pace`. */
  body: 'flood' | 'none' | Buffer;
  /** Bytes per write and ms between writes, for a Buffer body (default: all at once). */
  pace?: { bytes: number; everyMs: number };
}

/** One raw upload: resolves with what the client saw; abort() drops the connection. */
function streamUpload(s: TestServer, appointmentId: string, o: StreamOptions): { done: Promise<Outcome>; abort(): void } {
  const url = new URL(s.url);
  let sent = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const req = httpRequest({
    host: url.hostname,
    port: url.port,
    method: 'POST',
    path: `/api/v1/consultations/${appointmentId}/files?name=x.jpg`,
    localAddress: o.from,
    agent: false,
    headers: {
      'content-type': 'application/octet-stream',
      // As the page sends it: cookie-authenticated unsafe requests must carry this server's Origin.
      origin: s.url,
      ...(o.cookie ? { cookie: o.cookie } : {}),
      ...(o.length !== null ? { 'content-length': String(o.length) } : {}),
    },
  });
  const done = new Promise<Outcome>((resolve) => {
    let settled = false;
    const finish = (v: Omit<Outcome, 'sent'>) => {
      if (settled) return;
      settled = true;
      stopped = true;
      clearInterval(timer);
      resolve({ ...v, sent });
    };
    req.on('response', (res) => {
      stopped = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers, error: null }));
      res.on('error', () => finish({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers, error: null }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish({ status: null, text: '', headers: {}, error: e.code ?? e.message }));
    req.on('close', () => setTimeout(() => finish({ status: null, text: '', headers: {}, error: 'closed' }), 50));
  });
  if (o.body === 'flood') {
    const zeros = Buffer.alloc(64 * 1024);
    const total = o.length ?? 20 * MB;
    const pump = () => {
      while (!stopped && sent < total) {
        const n = Math.min(zeros.length, total - sent);
        sent += n;
        if (!req.write(zeros.subarray(0, n))) return void req.once('drain', pump);
      }
      if (!stopped) req.end();
    };
    pump();
  } else if (Buffer.isBuffer(o.body)) {
    const body = o.body;
    const pace = o.pace ?? { bytes: body.length, everyMs: 0 };
    const step = () => {
      if (stopped) return;
      const n = Math.min(pace.bytes, body.length - sent);
      req.write(body.subarray(sent, sent + n));
      sent += n;
      if (sent >= body.length) {
        clearInterval(timer);
        req.end();
      }
    };
    if (pace.everyMs === 0) step();
    else {
      step();
      timer = setInterval(step, pace.everyMs);
    }
  } else {
    req.flushHeaders();
  }
  return { done, abort: () => req.destroy() };
}

const asResult = (o: Outcome): HttpResult => ({ status: o.status ?? 0, headers: o.headers, text: o.text, json: () => JSON.parse(o.text) as unknown });

/** Counts what the server read from each connection it accepted (in-process: the test server is this process). */
function watchConnections(s: TestServer): { bytesRead(): number; count(): number; stop(): void } {
  const sockets: Socket[] = [];
  const on = (socket: Socket) => sockets.push(socket);
  s.app.http.server.on('connection', on);
  return {
    bytesRead: () => sockets.reduce((n, so) => n + so.bytesRead, 0),
    count: () => sockets.length,
    stop: () => s.app.http.server.off('connection', on),
  };
}

/** Peak RSS and heap above the starting point while fn runs (sampled every 20 ms). */
async function peakMemory<T>(fn: () => Promise<T>): Promise<{ result: T; rssMB: number; heapMB: number }> {
  global.gc?.();
  const start = process.memoryUsage();
  let rss = start.rss;
  let heap = start.heapUsed;
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  }, 20);
  try {
    const result = await fn();
    return { result, rssMB: (rss - start.rss) / MB, heapMB: (heap - start.heapUsed) / MB };
  } finally {
    clearInterval(sample);
  }
}

const staged = (s: TestServer): string[] => {
  try {
    return readdirSync(path.join(s.config.files.dir, '.incoming'));
  } catch {
    return [];
  }
};

async function until<T>(fn: () => T | Promise<T>, tries = 200): Promise<NonNullable<T>> {
  for (let i = 0; ; i++) {
    const v = await fn();
    if (v) return v;
    if (i >= tries) throw new Error('condition never met');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const upload = (c: Consultation, who: 'patient' | 'gp', bytes: Buffer, name = 'photo.jpg') =>
  (who === 'patient' ? c.patientDevice : c.gpDevice).upload(`/api/v1/consultations/${c.apt.id}/files?name=${encodeURIComponent(name)}`, bytes);

describe('anonymous uploads: nothing is read before it is authorised', () => {
  let s: TestServer;
  const t = new Tracker();
  let c: Consultation;
  beforeAll(async () => {
    s = await startTestServer();
    c = await openConsultation(s, t, { admit: true });
  });
  afterAll(async () => {
    t.closeAll();
    await s?.stop();
  });

  it('a request that sends its headers and never its body is refused at once (the server does not wait for the body)', async () => {
    for (const cookie of [undefined, 'cr_guest=forged; __Host-cr_guest=forged']) {
      const r = await streamUpload(s, c.apt.id, { from: freshAddress(), ...(cookie ? { cookie } : {}), length: 20 * MB, body: 'none' }).done;
      expectHttpError(asResult(r), 401, 'UNAUTHENTICATED');
      expect(r.headers.connection).toBe('close');
    }
  });

  it('100 concurrent 20 MB uploads from one address: all refused, the server reads a few KB of each and its memory barely moves', async () => {
    const from = freshAddress();
    const conns = watchConnections(s);
    const { result, rssMB, heapMB } = await peakMemory(() =>
      Promise.all(Array.from({ length: 100 }, () => streamUpload(s, c.apt.id, { from, length: 20 * MB, body: 'flood' }).done)),
    );
    conns.stop();
    // Each is answered 401 or, if the client was still writing when the server closed, reset: never accepted, never read whole.
    for (const r of result) {
      if (r.status !== null) expectHttpError(asResult(r), 401, 'UNAUTHENTICATED');
      else expect(r.error).toMatch(/ECONNRESET|EPIPE|closed/);
    }
    expect(result.some((r) => r.status === 401)).toBe(true);
    const readMB = conns.bytesRead() / MB;
    console.log(`[security] uploads: 100 anonymous 20 MB uploads; server read ${readMB.toFixed(1)} MB in all; peak RSS +${rssMB.toFixed(0)} MB, heap +${heapMB.toFixed(0)} MB`);
    expect(conns.count()).toBeGreaterThanOrEqual(100);
    // Buffering them (as before) read 2000 MB and pinned as much.
    expect(readMB).toBeLessThan(200);
    expect(rssMB).toBeLessThan(300);
    expect(heapMB).toBeLessThan(100);
    expect(staged(s)).toEqual([]);
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
  });

  it('a session for another consultation, or a waiting guest, is refused before the body too', async () => {
    const waiting = await openConsultation(s, t, { admit: false });
    for (const [cookie, status, code] of [
      [waiting.patientDevice.cookieHeader, 403, 'NOT_ADMITTED'],
      [c.patientDevice.cookieHeader, 401, 'UNAUTHENTICATED'],
    ] as const) {
      const r = await streamUpload(s, waiting.apt.id, { from: freshAddress(), cookie, length: 20 * MB, body: 'none' }).done;
      expectHttpError(asResult(r), status, code);
    }
    // An over-size declared length from an admitted guest: refused before reading.
    const big = await streamUpload(s, c.apt.id, { from: freshAddress(), cookie: c.patientDevice.cookieHeader, length: 20 * MB + 1, body: 'none' }).done;
    expectHttpError(asResult(big), 413, 'FILE_TOO_LARGE');
  });
});

describe('slow uploads are cut', () => {
  let s: TestServer;
  const t = new Tracker();
  let c: Consultation;
  beforeAll(async () => {
    s = await startTestServer({ FILES_UPLOAD_TIMEOUT_SECONDS: '2', HTTP_HEADERS_TIMEOUT_SECONDS: '1' });
    c = await openConsultation(s, t, { admit: true });
  });
  afterAll(async () => {
    t.closeAll();
    await s?.stop();
  });

  it('a body trickled a few bytes at a time is cut at the upload deadline; nothing is kept or left staged', async () => {
    const bytes = await photo();
    const r = await streamUpload(s, c.apt.id, {
      from: freshAddress(),
      cookie: c.patientDevice.cookieHeader,
      length: bytes.length,
      body: bytes,
      pace: { bytes: 4, everyMs: 100 },
    }).done;
    if (r.status !== null) expectHttpError(asResult(r), 408, 'REQUEST_TIMEOUT');
    else expect(r.error).toMatch(/ECONNRESET|EPIPE|closed/);
    expect(r.sent).toBeLessThan(bytes.length);
    expect(await s.deps.stores.thread.files(c.apt.id as never)).toEqual([]);
    await until(() => staged(s).length === 0);
    // The same photo at full speed goes through.
    expect((await upload(c, 'patient', bytes)).status).toBe(201);
  });

  it('headers trickled a line at a time are cut at the headers timeout', async () => {
    const url = new URL(s.url);
    const socket = net.connect({ host: url.hostname, port: Number(url.port), localAddress: freshAddress() });
    await new Promise((r) => socket.once('connect', r));
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.write(`POST /api/v1/consultations/${c.apt.id}/files HTTP/1.1\r\nHost: x\r\n`);
    let n = 0;
    const drip = setInterval(() => socket.writable && socket.write(`X-Drip-${n++}: 1\r\n`), 200);
    await closed;
    clearInterval(drip);
    // Closed by the server (Node answers 408) long before a slowloris client would stop.
    expect(n).toBeLessThan(100);
    if (received) expect(received).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('concurrent uploads are capped per participant and per address', () => {
  let s: TestServer;
  const t = new Tracker();
  let c: Consultation;
  beforeAll(async () => {
    s = await startTestServer({ FILES_UPLOADS_PER_PARTICIPANT: '2', FILES_UPLOADS_PER_ADDRESS: '3', FILES_UPLOAD_TIMEOUT_SECONDS: '60' });
    c = await openConsultation(s, t, { admit: true });
  });
  afterAll(async () => {
    t.closeAll();
    await s?.stop();
  });

  it('the extra upload gets 429 with Retry-After before it is read; slots come back when uploads end', async () => {
    const bytes = await photo();
    const from = c.patientDevice.from;
    const patient = c.patientDevice.cookieHeader;
    const gp = c.gpDevice.cookieHeader;
    // Held open: headers and a first byte, then nothing.
    const hold = (cookie: string) => streamUpload(s, c.apt.id, { from, cookie, length: bytes.length, body: bytes, pace: { bytes: 1, everyMs: 60_000 } });
    const held = [hold(patient), hold(patient)];
    await new Promise((r) => setTimeout(r, 300));
    // Participant cap: the patient's third.
    const third = await streamUpload(s, c.apt.id, { from, cookie: patient, length: bytes.length, body: 'none' }).done;
    expectHttpError(asResult(third), 429, 'RATE_LIMITED');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    // Address cap: the clinician from the same address holds one; their second is refused (3 from this address).
    held.push(hold(gp));
    await new Promise((r) => setTimeout(r, 300));
    const fromAddress = await streamUpload(s, c.apt.id, { from, cookie: gp, length: bytes.length, body: 'none' }).done;
    expectHttpError(asResult(fromAddress), 429, 'RATE_LIMITED');
    // The clinician from their own address is not held up by the patient's address.
    expect((await upload(c, 'gp', bytes)).status).toBe(201);
    // The attacker drops the held uploads: the slots come back, and nothing was kept or left staged.
    for (const h of held) h.abort();
    await Promise.all(held.map((h) => h.done));
    const again = await until(async () => {
      const r = await streamUpload(s, c.apt.id, { from, cookie: patient, length: bytes.length, body: bytes }).done;
      return r.status === 201 ? r : null;
    });
    expect(again.status).toBe(201);
    expect(await s.deps.stores.thread.files(c.apt.id as never)).toHaveLength(2);
    await until(() => staged(s).length === 0);
  });
});

for (const store of ['memory', 'redis'] as const) {
  describe(`the storage quota per consultation (${store} store)`, () => {
    let s: TestServer;
    let redis: RedisServerHandle | undefined;
    const t = new Tracker();
    let bytes: Buffer;
    let stored: number;
    beforeAll(async () => {
      bytes = await photo(400, 300);
      stored = bytes.length; // a photo with no metadata is stored as sent
      if (store === 'redis') redis = await startRedisServer();
      // Room for two of these photos, not three.
      s = await startTestServer({
        FILES_MAX_BYTES_PER_CONSULTATION: String(Math.floor(stored * 2.5)),
        FILES_UPLOADS_PER_PARTICIPANT: '20',
        FILES_UPLOADS_PER_ADDRESS: '20',
        // All ten must reach the quota check, not the content checker's queue (8 waiting by default).
        FILES_SANITIZE_QUEUE: '20',
        ...(redis ? { REDIS_URL: redis.url } : {}),
      });
    });
    afterAll(async () => {
      t.closeAll();
      await s?.stop();
      await redis?.stop();
    });

    it('refuses past the quota with QUOTA_EXCEEDED, before reading when the length is declared, and stores nothing', async () => {
      const c = await openConsultation(s, t, { admit: true });
      expect((await upload(c, 'patient', bytes)).status).toBe(201);
      expect((await upload(c, 'gp', bytes)).status).toBe(201);
      // Declared length: refused before the body is read.
      const declared = await streamUpload(s, c.apt.id, { from: freshAddress(), cookie: c.patientDevice.cookieHeader, length: bytes.length, body: 'none' }).done;
      expectHttpError(asResult(declared), 413, 'QUOTA_EXCEEDED');
      // Chunked (no length): read within FILES_MAX_BYTES, checked, then refused.
      const chunked = await streamUpload(s, c.apt.id, { from: freshAddress(), cookie: c.patientDevice.cookieHeader, length: null, body: bytes }).done;
      expectHttpError(asResult(chunked), 413, 'QUOTA_EXCEEDED');
      expect(await s.deps.stores.thread.files(c.apt.id as never)).toHaveLength(2);
      expect(readdirSync(path.join(s.config.files.dir, c.apt.id))).toHaveLength(2);
      expect(staged(s)).toEqual([]);
      // Another consultation has its own quota.
      const other = await openConsultation(s, t, { admit: true });
      expect((await upload(other, 'patient', bytes)).status).toBe(201);
    });

    it('ten concurrent uploads into an empty consultation: exactly two fit', async () => {
      const c = await openConsultation(s, t, { admit: true });
      const all = await Promise.all(
        Array.from({ length: 10 }, (_, i) => streamUpload(s, c.apt.id, { from: freshAddress(), cookie: (i % 2 ? c.gpDevice : c.patientDevice).cookieHeader, length: null, body: bytes }).done),
      );
      expect(all.filter((r) => r.status === 201)).toHaveLength(2);
      for (const r of all.filter((x) => x.status !== 201)) expectHttpError(asResult(r), 413, 'QUOTA_EXCEEDED');
      expect(await s.deps.stores.thread.files(c.apt.id as never)).toHaveLength(2);
      expect(await s.deps.stores.thread.storedBytes(c.apt.id as never)).toBeLessThanOrEqual(Math.floor(stored * 2.5));
    });
  });
}

describe("guests' PDFs", () => {
  const t = new Tracker();
  const servers: TestServer[] = [];
  afterEach(() => t.closeAll());
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it('are refused by default with a plain message; a clinician\'s PDF is still shared, and served only as a download', async () => {
    const s = await startTestServer();
    servers.push(s);
    const c = await openConsultation(s, t, { admit: true });
    const r = await upload(c, 'patient', PDF, 'letter.pdf');
    expect(r.status).toBe(415);
    const e = expectTypedError(await r.json(), 'UNSUPPORTED_TYPE');
    expect(e.message).toBe('Only photos can be sent. Ask the clinician how to share documents.');
    // Even dressed as a photo.
    expect((await upload(c, 'patient', PDF, 'photo.jpg')).status).toBe(415);
    expect(await s.deps.stores.thread.files(c.apt.id as never)).toEqual([]);

    const up = await upload(c, 'gp', PDF, 'leaflet.pdf');
    expect(up.status).toBe(201);
    const { item } = (await up.json()) as { item: ThreadItemView };
    const url = await c.patient.request('files:url', { fileId: item.file!.id });
    if (!url.ok) throw new Error(JSON.stringify(url));
    const served = await c.patientDevice.fetch('GET', url.data.url);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(served.headers.get('content-security-policy')).toContain('sandbox');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('are accepted when files.guestPdf is set, and reach the clinician only as a download', async () => {
    const s = await startTestServer({ FILES_GUEST_PDF: 'true' });
    servers.push(s);
    const c = await openConsultation(s, t, { admit: true });
    const up = await upload(c, 'patient', PDF, 'letter.pdf');
    expect(up.status).toBe(201);
    const { item } = (await up.json()) as { item: ThreadItemView };
    const url = await c.gp.request('files:url', { fileId: item.file!.id });
    if (!url.ok) throw new Error(JSON.stringify(url));
    const served = await c.gpDevice.fetch('GET', url.data.url);
    expect(served.headers.get('content-disposition')).toMatch(/^attachment;/);
  });
});

for (const store of ['memory', 'redis'] as const) {
  describe(`client-reported audit events (${store} store)`, () => {
    let s: TestServer;
    let redis: RedisServerHandle | undefined;
    const t = new Tracker();
    beforeAll(async () => {
      if (store === 'redis') redis = await startRedisServer();
      s = await startTestServer(redis ? { REDIS_URL: redis.url } : {});
    });
    afterAll(async () => {
      t.closeAll();
      await s?.stop();
      await redis?.stop();
    });

    it('files:viewed 50 times (and 50 at once) and 5 fetches make one file.viewed and one file.received per participant', async () => {
      const c = await openConsultation(s, t, { admit: true });
      const up = await upload(c, 'gp', await photo());
      const { item } = (await up.json()) as { item: ThreadItemView };
      const fileId = item.file!.id;
      for (let i = 0; i < 25; i++) expect(await c.patient.request('files:viewed', { fileId })).toEqual({ ok: true, data: {} });
      const burst = await Promise.all(Array.from({ length: 25 }, () => c.patient.request('files:viewed', { fileId })));
      expect(burst.every((a) => a.ok)).toBe(true);
      expect(await c.gp.request('files:viewed', { fileId })).toEqual({ ok: true, data: {} });
      for (let i = 0; i < 5; i++) {
        const url = await c.patient.request('files:url', { fileId });
        if (!url.ok) throw new Error(JSON.stringify(url));
        expect((await c.patientDevice.fetch('GET', url.data.url)).status).toBe(200);
      }
      const events = (await s.deps.stores.events.list(c.apt.id as never)).filter((e) => e.subject === fileId);
      const count = (type: string, id: string) => events.filter((e) => e.type === type && e.actor.id === id).length;
      expect(count('file.viewed', c.patientId)).toBe(1);
      expect(count('file.received', c.patientId)).toBe(1);
      expect(events.filter((e) => e.type === 'file.viewed')).toHaveLength(2); // the patient's and the clinician's
    });
  });
}
