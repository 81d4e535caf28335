// Chat and clinical photos over real HTTP and socket.io, with the real
// content checker and the encrypted store on a real directory: who may send
// and fetch, what is refused (and leaves nothing behind), what reaches the
// audit trail, a signed delivery to a record system (a real local HTTP
// server standing in for the trust's), and that nothing is left once the
// consultation ends or its retention passes.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signature } from '../../server/integrations/record-webhook.ts';
import type { ThreadItemView } from '../../server/wire/thread.ts';
import { api, createAppointment, Device, type Client } from '../support/api.ts';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A phone photo: full resolution, with the location and camera it was taken with. */
async function phonePhoto(width = 1200, height = 900): Promise<Buffer> {
  const jpeg = await sharp({ create: { width, height, channels: 3, background: '#a63' } })
    .jpeg({ quality: 90 })
    .withExif({
      IFD0: { Make: 'PhoneCo', Model: 'X1 Pro' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
    })
    .toBuffer();
  const gps = await exifr.gps(jpeg);
  if (!gps || Math.abs(gps.latitude - 51.5) > 0.01) throw new Error('fixture has no GPS: the test could not fail');
  return jpeg;
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

/** Every file under dir (recursively). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

async function until<T>(fn: () => T | Promise<T>, ms = 5000): Promise<NonNullable<T>> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('condition never met');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const itemsOf = (c: Client): ThreadItemView[] => c.events.filter((e) => e.name === 'thread:item').map((e) => e.payload as ThreadItemView);

interface Room {
  id: string;
  gp: Client;
  gpDevice: Device;
  patient: Client;
  patientDevice: Device;
  patientId: string;
}

/** An appointment with the clinician in and the patient waiting (admitted when asked). */
async function room(s: TestServer, opts: { admit?: boolean } = {}): Promise<Room> {
  const apt = await createAppointment(s.url, { patientName: 'Ruth Okonkwo-Hale' });
  const patientDevice = new Device(s.url);
  await patientDevice.redeem(apt.patientUrl);
  const patient = await patientDevice.connect();
  const waiting = await patient.until((v) => v.self.state === 'waiting');
  const gpDevice = new Device(s.url, 'Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 Safari/537.36');
  await gpDevice.redeem(apt.clinicianUrl);
  const gp = await gpDevice.connect({ appointmentId: apt.id });
  await gp.until((v) => v.participants.some((p) => p.id === waiting.self.id));
  if (opts.admit !== false) {
    expect(await gp.request('lobby:admit', { participantId: waiting.self.id })).toEqual({ ok: true, data: {} });
    await patient.until((v) => v.self.state === 'admitted');
  }
  return { id: apt.id, gp, gpDevice, patient, patientDevice, patientId: waiting.self.id };
}

async function fetchUrl(c: Client, fileId: string, download = false): Promise<string> {
  const r = await c.request('files:url', { fileId, ...(download ? { download } : {}) });
  if (!r.ok) throw new Error(`files:url: ${JSON.stringify(r)}`);
  expect(r.data.url).toMatch(/^\/api\/v1\/files\/[A-Za-z0-9_-]{43}$/);
  expect(Date.parse(r.data.expiresAt)).toBeGreaterThan(Date.now());
  return r.data.url;
}

describe('chat', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('a waiting patient receives the clinician\'s note but cannot send, and sees nothing meant for the call', async () => {
    const r = await room(s, { admit: false });
    const note = await r.gp.request('thread:send', { text: 'Running ten minutes late, sorry', to: r.patientId });
    expect(note).toMatchObject({ ok: true, data: { item: { kind: 'text', to: r.patientId, from: { role: 'clinician', name: 'Dr Asha Patel' } } } });
    await until(() => itemsOf(r.patient).find((i) => i.text === 'Running ten minutes late, sorry'));
    // A message to the call is not for the waiting room.
    expect((await r.gp.request('thread:send', { text: 'Notes for the call' })).ok).toBe(true);
    const reply = await r.patient.request('thread:send', { text: 'OK, thanks' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    const writeToOne = await r.patient.request('thread:send', { text: 'hi', to: r.patientId });
    expect(writeToOne.ok).toBe(false);
    const list = await r.patient.request('thread:list', {});
    expect(list.ok && list.data.items.map((i) => i.text)).toEqual(['Running ten minutes late, sorry']);
    expect(list.ok && list.data.limits).toMatchObject({ maxTextLength: 2000, maxFileBytes: 20 * 1024 * 1024, recordSystem: false });
    await new Promise((res) => setTimeout(res, 100));
    expect(itemsOf(r.patient).map((i) => i.text)).toEqual(['Running ten minutes late, sorry']);
    // Nothing the patient tried reached the thread.
    const gpList = await r.gp.request('thread:list', {});
    expect(gpList.ok && gpList.data.items.map((i) => i.text)).toEqual(['Running ten minutes late, sorry', 'Notes for the call']);
    r.gp.close();
    r.patient.close();
  });

  it('admitted people talk both ways; a later guest sees the call\'s messages but not notes meant for someone else', async () => {
    const r = await room(s);
    expect((await r.gp.request('thread:send', { text: 'Just you for now', to: r.patientId })).ok).toBe(true);
    expect((await r.patient.request('thread:send', { text: 'Can you hear me?\u0007\u202E' })).ok).toBe(true);
    const atGp = await until(() => itemsOf(r.gp).find((i) => i.from.id === r.patientId));
    expect(atGp).toMatchObject({ kind: 'text', text: 'Can you hear me?', from: { role: 'patient', name: 'Ruth Okonkwo-Hale' } });
    expect(atGp.to).toBeUndefined();
    expect((await r.gp.request('thread:send', { text: 'Yes, clearly.' })).ok).toBe(true);
    await until(() => itemsOf(r.patient).find((i) => i.text === 'Yes, clearly.'));

    // An interpreter joins later.
    const inv = await api(s.url, 'POST', `/api/v1/appointments/${r.id}/invites`, { role: 'interpreter', name: 'Tomasz Wr' });
    expect(inv.status).toBe(201);
    const { url } = (await inv.json()) as { url: string };
    const interpreterDevice = new Device(s.url);
    await interpreterDevice.redeem(url);
    const interpreter = await interpreterDevice.connect();
    const waiting = await interpreter.until((v) => v.self.state === 'waiting');
    expect(await r.gp.request('lobby:admit', { participantId: waiting.self.id })).toEqual({ ok: true, data: {} });
    await interpreter.until((v) => v.self.state === 'admitted');
    const list = await interpreter.request('thread:list', {});
    expect(list.ok && list.data.items.map((i) => i.text)).toEqual(['Can you hear me?', 'Yes, clearly.']);

    // Refusals: empty, too long, to someone not in it, a guest writing to one person.
    expect(await r.gp.request('thread:send', { text: '   ' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await r.gp.request('thread:send', { text: 'x'.repeat(2001) })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await r.gp.request('thread:send', { text: 'x'.repeat(4001) })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await r.gp.request('thread:send', { text: 'hi', to: 'AAAAAAAAAAAAAAAAAAAAAA' })).toMatchObject({ ok: false, error: { code: 'NOT_IN_CONSULTATION' } });
    expect(await interpreter.request('thread:send', { text: 'hi', to: r.patientId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // Sent back to the waiting room: no more messages from them, none of the call's to them.
    expect(await r.gp.request('lobby:sendBack', { participantId: waiting.self.id })).toEqual({ ok: true, data: {} });
    await interpreter.until((v) => v.self.state === 'waiting');
    expect(await interpreter.request('thread:send', { text: 'still here' })).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    const before = itemsOf(interpreter).length;
    expect((await r.gp.request('thread:send', { text: 'After the interpreter left' })).ok).toBe(true);
    await until(() => itemsOf(r.patient).find((i) => i.text === 'After the interpreter left'));
    expect(itemsOf(interpreter).length).toBe(before);
    const relist = await interpreter.request('thread:list', {});
    expect(relist.ok && relist.data.items).toEqual([]);

    // Chat text is patient data: it never reaches the logs.
    expect(s.logs.join('\n')).not.toContain('Can you hear me');
    expect(s.logs.join('\n')).not.toContain('Just you for now');
    // On the audit trail: who wrote, to whom; never what.
    const events = (await s.deps.stores.events.list(r.id as never)).filter((e) => e.type === 'chat.sent');
    expect(events.map((e) => e.actor.role)).toEqual(['clinician', 'patient', 'clinician', 'clinician']);
    expect(events[0]!.subject).toBe(r.patientId);
    expect(JSON.stringify(events)).not.toContain('clearly');
    for (const c of [r.gp, r.patient, interpreter]) c.close();
  });

  it('a flood of messages is throttled, not stored', async () => {
    const r = await room(s);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => r.patient.request('thread:send', { text: `m${i}` })));
    const limited = answers.filter((a) => !a.ok);
    expect(limited.length).toBe(10);
    for (const a of limited) expect(a).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    const list = await r.gp.request('thread:list', {});
    expect(list.ok && list.data.items.length).toBe(20);
    r.gp.close();
    r.patient.close();
  });
});

describe.each(['memory', 'redis'] as const)('clinical photos and shared files (%s store)', (store) => {
  let s: TestServer;
  let redis: RedisServerHandle | undefined;
  let webhook: Server;
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  let webhookStatus = 200;
  const SECRET = 'record-system-secret-0123456789abcdef';

  beforeAll(async () => {
    webhook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(webhookStatus).end();
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    if (store === 'redis') redis = await startRedisServer();
    s = await startTestServer({
      ...(redis ? { REDIS_URL: redis.url } : {}),
      FILES_MAX_BYTES: String(2 * 1024 * 1024),
      RECORD_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/records`,
      RECORD_WEBHOOK_SECRET: SECRET,
    });
  });
  afterAll(async () => {
    await s?.stop();
    await redis?.stop();
    await new Promise((r) => webhook.close(r));
  });

  const dirOf = (id: string) => path.join(s.config.files.dir, id);

  it('the clinician asks for a photo; the patient sends one; the clinician gets it stripped of location, at full resolution, on the record', async () => {
    const r = await room(s);
    const asked = await r.gp.request('thread:requestPhoto', { participantId: r.patientId });
    expect(asked).toMatchObject({ ok: true, data: { item: { kind: 'photo-request', to: r.patientId } } });
    const request = await until(() => itemsOf(r.patient).find((i) => i.kind === 'photo-request'));

    const photo = await phonePhoto(1600, 1200);
    const up = await r.patientDevice.upload(`/api/v1/consultations/${r.id}/files?name=${encodeURIComponent('IMG_2041.JPG')}&requestId=${request.id}`, photo);
    expect(up.status).toBe(201);
    const { item } = (await up.json()) as { item: ThreadItemView };
    expect(item.to).toMatch(/^[A-Za-z0-9_-]{22}$/); // the clinician only
    expect(item).toMatchObject({ kind: 'file', requestId: request.id, file: { kind: 'jpeg', mime: 'image/jpeg', width: 1600, height: 1200, name: 'IMG_2041.jpg' } });

    // At the clinician's at once.
    const atGp = await until(() => itemsOf(r.gp).find((i) => i.kind === 'file'));
    expect(atGp.file!.sha256).toBe(item.file!.sha256);
    const res = await r.gpDevice.fetch('GET', await fetchUrl(r.gp, atGp.file!.id));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect(res.headers.get('content-disposition')).toMatch(/^inline/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(sha256(bytes)).toBe(atGp.file!.sha256);
    expect(await exifr.gps(Buffer.from(bytes)).catch(() => undefined)).toBeFalsy();
    const tags = ((await exifr.parse(Buffer.from(bytes), true).catch(() => undefined)) ?? {}) as Record<string, unknown>;
    expect(tags.Make).toBeUndefined();
    expect(tags.Model).toBeUndefined();
    expect(await sharp(Buffer.from(bytes)).metadata()).toMatchObject({ width: 1600, height: 1200 });
    // The pixels are the patient's, untouched: only metadata went.
    expect(await sharp(Buffer.from(bytes)).raw().toBuffer()).toEqual(await sharp(photo).raw().toBuffer());

    // Viewed, saved (with the sidecar), and delivered to the record system with a valid signature.
    expect(await r.gp.request('files:viewed', { fileId: atGp.file!.id })).toEqual({ ok: true, data: {} });
    const saved = await r.gp.request('files:save', { fileId: atGp.file!.id });
    expect(saved).toMatchObject({ ok: true, data: { sidecar: { appointmentId: r.id, fileId: atGp.file!.id, sha256: atGp.file!.sha256, mime: 'image/jpeg', sentBy: { role: 'patient' }, requestId: request.id } } });
    const dl = await r.gpDevice.fetch('GET', await fetchUrl(r.gp, atGp.file!.id, true));
    expect(dl.headers.get('content-disposition')).toMatch(/^attachment; filename="IMG_2041.jpg"/);
    expect(sha256(new Uint8Array(await dl.arrayBuffer()))).toBe(atGp.file!.sha256);

    const delivered = await r.gp.request('files:deliver', { fileId: atGp.file!.id });
    expect(delivered.ok).toBe(true);
    const post = received.at(-1)!;
    const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(post.headers['x-consultroom-signature']))!;
    expect(sig).not.toBeNull();
    expect(sig[2]).toBe(signature(SECRET, Number(sig[1]), post.body));
    expect(signature('another-secret-0123456789abcdefghij', Number(sig[1]), post.body)).not.toBe(sig[2]);
    const payload = JSON.parse(post.body) as { sidecar: { sha256: string; appointmentId: string }; content: string };
    expect(payload.sidecar).toMatchObject({ sha256: atGp.file!.sha256, appointmentId: r.id });
    expect(sha256(Buffer.from(payload.content, 'base64'))).toBe(atGp.file!.sha256);
    webhookStatus = 500;
    expect(await r.gp.request('files:deliver', { fileId: atGp.file!.id })).toMatchObject({ ok: false, error: { code: 'DELIVERY_FAILED' } });
    webhookStatus = 200;
    // Trust IT sees failed deliveries in /metrics.
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain('consultroom_sharing_steps_total{step="file.delivered",outcome="refused"} 1');
    expect(metrics).toMatch(/consultroom_sharing_steps_total\{step="file.sent",outcome="ok"\} \d/);
    // Only the clinician saves or delivers.
    expect(await r.patient.request('files:save', { fileId: atGp.file!.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await r.patient.request('files:deliver', { fileId: atGp.file!.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    // At rest: encrypted, nothing readable on disk.
    const onDisk = filesUnder(dirOf(r.id));
    expect(onDisk).toHaveLength(1);
    const sealed = readFileSync(onDisk[0]!);
    expect(sealed.includes(Buffer.from(bytes.subarray(0, 64)))).toBe(false);
    expect(sealed.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(false);
    expect(statSync(onDisk[0]!).mode & 0o077).toBe(0);

    // The audit trail: each step with the content's SHA-256 and who did it.
    const events = await s.deps.stores.events.list(r.id as never);
    const steps = events.filter((e) => e.type.startsWith('file.')).map((e) => [e.type, e.actor.role, e.outcome, e.sha256 ?? null]);
    const h = atGp.file!.sha256;
    expect(steps).toEqual([
      ['file.requested', 'clinician', 'ok', null],
      ['file.sent', 'patient', 'ok', h],
      ['file.received', 'clinician', 'ok', h],
      ['file.viewed', 'clinician', 'ok', h],
      ['file.saved', 'clinician', 'ok', h],
      // The download for the record is a second fetch by the same clinician: recorded once per file and participant.
      ['file.delivered', 'clinician', 'ok', h],
      ['file.delivered', 'clinician', 'refused', h],
    ]);
    expect(s.logs.join('\n')).not.toContain('IMG_2041');
    // File URLs are credentials while they live: logged without their token.
    expect(s.logs.some((l) => l.includes('/api/v1/files/[redacted]'))).toBe(true);
    expect(s.logs.join('\n')).not.toMatch(/\/api\/v1\/files\/[A-Za-z0-9_-]{43}/);

    // The end: key destroyed, bytes deleted, every URL 404, each deletion on the record.
    const url = await fetchUrl(r.gp, atGp.file!.id);
    expect(await r.gp.request('consultation:end', {})).toEqual({ ok: true, data: {} });
    await until(() => !existsSync(dirOf(r.id)));
    expect((await r.gpDevice.fetch('GET', url)).status).toBe(404);
    expect(await s.deps.stores.thread.getKey(r.id as never)).toBeNull();
    expect(await s.deps.stores.thread.items(r.id as never)).toEqual([]);
    expect(await s.deps.stores.thread.files(r.id as never)).toEqual([]);
    const after = await until(async () => {
      const ev = await s.deps.stores.events.list(r.id as never);
      return ev.some((e) => e.type === 'file.deleted') ? ev : null;
    });
    expect(after.filter((e) => e.type === 'file.deleted')).toEqual([expect.objectContaining({ actor: { role: 'system', id: 'retention' }, subject: atGp.file!.id, sha256: h })]);
    expect(after.some((e) => e.type === 'chat.deleted')).toBe(true);
    r.gp.close();
    r.patient.close();
  });

  it('the clinician shares a leaflet with everyone in the call; a guest\'s photo goes to the clinician only', async () => {
    const r = await room(s);
    const up = await r.gpDevice.upload(`/api/v1/consultations/${r.id}/files?name=exercises.pdf`, PDF, 'application/pdf');
    expect(up.status).toBe(201);
    const atPatient = await until(() => itemsOf(r.patient).find((i) => i.kind === 'file'));
    expect(atPatient.file).toMatchObject({ kind: 'pdf', mime: 'application/pdf', name: 'exercises.pdf', sha256: sha256(PDF) });
    const res = await r.patientDevice.fetch('GET', await fetchUrl(r.patient, atPatient.file!.id));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment/); // PDFs are never rendered by our origin
    expect(Buffer.from(await res.arrayBuffer()).equals(PDF)).toBe(true);

    // An interpreter in the same call does not see the patient's photo.
    const inv = await api(s.url, 'POST', `/api/v1/appointments/${r.id}/invites`, { role: 'interpreter', name: 'Tomasz Wr' });
    const interpreterDevice = new Device(s.url);
    await interpreterDevice.redeem(((await inv.json()) as { url: string }).url);
    const interpreter = await interpreterDevice.connect();
    const w = await interpreter.until((v) => v.self.state === 'waiting');
    await r.gp.request('lobby:admit', { participantId: w.self.id });
    await interpreter.until((v) => v.self.state === 'admitted');
    const photo = await r.patientDevice.upload(`/api/v1/consultations/${r.id}/files?name=rash.jpg`, await phonePhoto());
    expect(photo.status).toBe(201);
    const { item } = (await photo.json()) as { item: ThreadItemView };
    await until(() => itemsOf(r.gp).find((i) => i.id === item.id));
    expect(await interpreter.request('files:url', { fileId: item.file!.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const list = await interpreter.request('thread:list', {});
    // The call's leaflet, shared before they came in, is theirs too; the patient's photo is not.
    expect(list.ok && list.data.items.map((i) => i.file?.name)).toEqual(['exercises.pdf']);
    for (const c of [r.gp, r.patient, interpreter]) c.close();
  });

  it('refuses with a clear error and stores nothing: waiting, denied, another consultation, fake extension, too large', async () => {
    const r = await room(s, { admit: false });
    const photo = await phonePhoto(320, 240);
    const upload = (d: Device, id = r.id, bytes: Uint8Array = photo, name = 'photo.jpg') =>
      d.upload(`/api/v1/consultations/${id}/files?name=${encodeURIComponent(name)}`, bytes);
    const codeOf = async (res: Response) => [res.status, ((await res.json()) as { code: string }).code];

    expect(await codeOf(await upload(r.patientDevice))).toEqual([403, 'NOT_ADMITTED']);
    // Another consultation's patient, with their own valid session.
    const other = await room(s);
    expect(await codeOf(await upload(other.patientDevice))).toEqual([401, 'UNAUTHENTICATED']);
    // No session at all.
    expect(await codeOf(await upload(new Device(s.url)))).toEqual([401, 'UNAUTHENTICATED']);
    // Denied.
    expect(await r.gp.request('lobby:deny', { participantId: r.patientId })).toEqual({ ok: true, data: {} });
    expect(await codeOf(await upload(r.patientDevice))).toEqual([403, 'NOT_ADMITTED']);

    // Admitted, but the content is wrong.
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///ywAAAAAAQABAAACAUwAOw==', 'base64');
    const html = Buffer.from('<!doctype html><script>alert(document.cookie)</script>');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
    expect(await codeOf(await upload(other.patientDevice, other.id, gif, 'photo.jpg'))).toEqual([415, 'UNSUPPORTED_TYPE']);
    expect(await codeOf(await upload(other.patientDevice, other.id, html, 'scan.png'))).toEqual([415, 'UNSUPPORTED_TYPE']);
    expect(await codeOf(await upload(other.patientDevice, other.id, svg, 'scan.pdf'))).toEqual([415, 'UNSUPPORTED_TYPE']);
    expect(await codeOf(await upload(other.patientDevice, other.id, Buffer.alloc(0)))).toEqual([415, 'UNSUPPORTED_TYPE']);
    expect(await codeOf(await upload(other.patientDevice, other.id, photo.subarray(0, photo.length >> 1)))).toEqual([422, 'CORRUPT_FILE']);
    // Over the limit (2 MB here): refused before it is read.
    const big = Buffer.concat([photo, Buffer.alloc(2 * 1024 * 1024)]);
    expect(await codeOf(await upload(other.patientDevice, other.id, big))).toEqual([413, 'FILE_TOO_LARGE']);
    // A photo request that is not theirs.
    const res = await other.patientDevice.upload(`/api/v1/consultations/${other.id}/files?requestId=AAAAAAAAAAAAAAAAAAAAAA`, photo);
    expect(res.status).toBe(404);

    for (const id of [r.id, other.id]) {
      expect(filesUnder(dirOf(id))).toEqual([]);
      expect(await s.deps.stores.thread.files(id as never)).toEqual([]);
    }
    expect(itemsOf(other.gp).filter((i) => i.kind === 'file')).toEqual([]);
    const refusedSends = (await s.deps.stores.events.list(other.id as never)).filter((e) => e.type === 'file.sent');
    expect(refusedSends).toEqual([]);
    for (const c of [r.gp, r.patient, other.gp, other.patient]) c.close();
  });

  it('a file URL works only for its participant, only while admitted', async () => {
    const r = await room(s);
    const up = await r.patientDevice.upload(`/api/v1/consultations/${r.id}/files`, await phonePhoto(320, 240));
    const { item } = (await up.json()) as { item: ThreadItemView };
    const gpUrl = await fetchUrl(r.gp, item.file!.id);
    expect((await new Device(s.url).fetch('GET', gpUrl)).status).toBe(404); // no cookie
    expect((await r.patientDevice.fetch('GET', gpUrl)).status).toBe(404); // someone else's URL
    expect((await r.gpDevice.fetch('GET', '/api/v1/files/' + 'A'.repeat(43))).status).toBe(404); // guessed
    expect((await r.gpDevice.fetch('GET', gpUrl)).status).toBe(200);
    // The patient's own URL, then sent back to the waiting room: it stops working at once.
    const own = await fetchUrl(r.patient, item.file!.id);
    expect((await r.patientDevice.fetch('GET', own)).status).toBe(200);
    await r.gp.request('lobby:sendBack', { participantId: r.patientId });
    await r.patient.until((v) => v.self.state === 'waiting');
    const refused = await r.patientDevice.fetch('GET', own);
    expect(refused.status).toBe(403);
    expect(await r.patient.request('files:url', { fileId: item.file!.id })).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    r.gp.close();
    r.patient.close();
  });
});

describe('short-lived URLs and retention', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ FILES_URL_TTL_SECONDS: '10', FILES_RETENTION_SECONDS: '3', CHAT_RETENTION_SECONDS: '3', FILES_SWEEP_SECONDS: '1' });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('a URL expires; after the end the files stay (encrypted) for the retention period, then nothing is left', async () => {
    const r = await room(s);
    const up = await r.patientDevice.upload(`/api/v1/consultations/${r.id}/files`, await phonePhoto(320, 240));
    const { item } = (await up.json()) as { item: ThreadItemView };
    expect((await r.patient.request('thread:send', { text: 'Here it is' })).ok).toBe(true);
    const url = await fetchUrl(r.gp, item.file!.id);
    expect((await r.gpDevice.fetch('GET', url)).status).toBe(200);
    const ended = Date.now();
    expect(await r.gp.request('consultation:end', {})).toEqual({ ok: true, data: {} });
    // Within the retention period: still there, still encrypted, still keyed.
    const dir = path.join(s.config.files.dir, r.id);
    expect(filesUnder(dir)).toHaveLength(1);
    expect(await s.deps.stores.thread.getKey(r.id as never)).not.toBeNull();
    expect((await s.deps.stores.thread.items(r.id as never)).length).toBe(2);
    // ... but nobody can fetch it: the consultation is over.
    expect((await r.gpDevice.fetch('GET', url)).status).toBe(404);
    await until(() => !existsSync(dir), 8000);
    expect(Date.now() - ended).toBeGreaterThanOrEqual(2500);
    expect(await s.deps.stores.thread.getKey(r.id as never)).toBeNull();
    expect(await s.deps.stores.thread.items(r.id as never)).toEqual([]);
    // No sealed file, and no staged upload left behind: only this node's FILES_DIR marker, a random token (files-marker.ts).
    const marker = path.join(s.config.files.dir, '.nodes', s.deps.cluster.nodeId);
    expect(filesUnder(s.config.files.dir)).toEqual([marker]);
    expect(readFileSync(marker, 'utf8')).toBe(s.deps.filesMarker.token);
    r.gp.close();
    r.patient.close();
  });

  it('a URL stops working after its lifetime', async () => {
    const r = await room(s);
    const up = await r.patientDevice.upload(`/api/v1/consultations/${r.id}/files`, await phonePhoto(320, 240));
    const { item } = (await up.json()) as { item: ThreadItemView };
    const url = await fetchUrl(r.gp, item.file!.id);
    expect((await r.gpDevice.fetch('GET', url)).status).toBe(200);
    await new Promise((res) => setTimeout(res, 10_500));
    expect((await r.gpDevice.fetch('GET', url)).status).toBe(404);
    // A fresh one works.
    expect((await r.gpDevice.fetch('GET', await fetchUrl(r.gp, item.file!.id))).status).toBe(200);
    r.gp.close();
    r.patient.close();
  }, 20_000);
});
