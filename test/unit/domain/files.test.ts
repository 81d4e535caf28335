// The files domain over the real memory stores, the real disk blob store in a
// temporary directory and a clock the test moves: sealing at rest, and the
// purger's deletions (at the end, after retention, for a consultation nobody
// ended, and leftovers of a crash).
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomId, type AppointmentId, type FileId, type ParticipantId } from '../../../server/core/ids.ts';
import { createLogger } from '../../../server/core/logger.ts';
import { sanitize } from '../../../server/content/content.ts';
import { ContentPurger } from '../../../server/domain/files/purger.ts';
import { newKey, open, seal } from '../../../server/domain/files/sealed.ts';
import { FileService, safeName } from '../../../server/domain/files/service.ts';
import { ThreadService } from '../../../server/domain/thread.ts';
import { createDiskBlobStore } from '../../../server/stores/disk/blob-store.ts';
import { book, clinicianSession, device, expectCode, makeWorld, MINUTE, tokenOf, type World } from './harness.ts';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

describe('sealed files', () => {
  it('opens only with its key and under its own name', () => {
    const key = newKey();
    const sealed = seal(key, PDF, 'apt/file');
    expect(sealed.includes(PDF.subarray(0, 8))).toBe(false);
    expect(open(key, sealed, 'apt/file').equals(PDF)).toBe(true);
    expect(() => open(newKey(), sealed, 'apt/file')).toThrow(/not available/);
    expect(() => open(key, sealed, 'apt/other-file')).toThrow(/not available/);
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => open(key, tampered, 'apt/file')).toThrow(/not available/);
    expect(() => open(key, sealed.subarray(0, 10), 'apt/file')).toThrow(/not available/);
    // A fresh nonce each time: the same file never seals to the same bytes.
    expect(seal(key, PDF, 'apt/file').equals(sealed)).toBe(false);
  });

  it('names are made safe and carry the real type', () => {
    expect(safeName('../../etc/passwd', 'pdf', 'application/pdf')).toBe('passwd.pdf');
    expect(safeName('C:\\Users\\me\\scan.exe', 'jpeg', 'image/jpeg')).toBe('scan.jpg');
    expect(safeName('a\u202Egnp.exe', 'png', 'image/png')).toBe('agnp.png');
    expect(safeName(undefined, 'jpeg', 'image/jpeg')).toBe('photo.jpg');
    expect(safeName('"<script>".jpg', 'jpeg', 'image/jpeg')).toBe('script.jpg');
    expect(safeName('x'.repeat(500), 'pdf', 'application/pdf')).toHaveLength(104);
  });
});

describe('disk blob store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'blobs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses anything but ids as path parts', async () => {
    const blobs = createDiskBlobStore(dir);
    const a = randomId<AppointmentId>();
    await expect(blobs.put('../x' as AppointmentId, randomId<FileId>(), PDF)).rejects.toThrow(RangeError);
    await expect(blobs.put(a, '../../x' as FileId, PDF)).rejects.toThrow(RangeError);
    const f = randomId<FileId>();
    await blobs.put(a, f, PDF);
    expect((await blobs.get(a, f))!.equals(PDF)).toBe(true);
    expect(await blobs.get(a, randomId<FileId>())).toBeNull();
    expect(await blobs.appointments()).toEqual([a]);
    await blobs.deleteAppointment(a);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('content purger', () => {
  let dir: string;
  let w: World;
  let files: FileService;
  let purger: ContentPurger;
  let thread: ThreadService;

  function wire(retention: { chat: number; files: number }, check: typeof sanitize = sanitize): void {
    const blobs = createDiskBlobStore(dir);
    thread = new ThreadService({
      ...w,
      now: w.clock.now,
      policy: { maxTextLength: 2000, retentionSeconds: retention.chat, burst: 20, burstWindowSeconds: 10 },
    });
    files = new FileService({
      ...w,
      thread,
      blobs,
      sanitize: ({ path: p }) => readFile(p).then(check),
      recordSink: null,
      now: w.clock.now,
      policy: { maxBytes: 1024 * 1024, maxBytesPerConsultation: 10 * 1024 * 1024, guestPdf: true, retentionSeconds: retention.files, urlTtlSeconds: 60 },
    });
    purger = new ContentPurger({
      ...w,
      blobs,
      now: w.clock.now,
      logger: createLogger('silent'),
      policy: { chatRetentionSeconds: retention.chat, filesRetentionSeconds: retention.files, sweepSeconds: 3600 },
    });
  }

  let staging: string;
  /** An upload as the HTTP layer hands it over: a staged file (outside the blob directory). */
  const stage = (bytes: Buffer) => {
    const p = path.join(staging, `${randomId()}.upload`);
    writeFileSync(p, bytes);
    return { path: p, size: bytes.length };
  };
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'purge-'));
    staging = mkdtempSync(path.join(tmpdir(), 'staging-'));
    w = makeWorld();
  });
  afterEach(async () => {
    await purger.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
  });

  /** A consultation with the patient admitted and one PDF and one message shared. */
  async function shared(): Promise<{ id: AppointmentId; patient: ParticipantId; end: () => Promise<void> }> {
    const created = await book(w);
    const s = await clinicianSession(w, created);
    await w.consultations.clinicianJoin(s, created.appointment.id, 'Firefox');
    const g = await w.sessions.redeemLink(tokenOf(created.patientUrl), device());
    const id = created.appointment.id;
    await w.consultations.enterWaitingRoom(g.session.participantId, id);
    await w.consultations.admit(s, id, g.session.participantId);
    await files.upload(g.session.participantId, id, stage(PDF), { name: 'letter.pdf' });
    await thread.send(g.session.participantId, id, 'hello', undefined);
    return { id, patient: g.session.participantId, end: () => w.consultations.end(s, id) };
  }

  it('deletes at the end by default: key, records, bytes, thread; each file deletion audited', async () => {
    wire({ chat: 0, files: 0 });
    const c = await shared();
    expect(readdirSync(dir)).toEqual([c.id]);
    await c.end();
    await purger.sweep();
    await expect.poll(() => existsSync(path.join(dir, c.id))).toBe(false);
    expect(await w.stores.thread.getKey(c.id)).toBeNull();
    expect(await w.stores.thread.items(c.id)).toEqual([]);
    const types = (await w.stores.events.list(c.id)).map((e) => e.type);
    expect(types).toContain('file.deleted');
    expect(types).toContain('chat.deleted');
  });

  it('keeps content for the retention period after the end, then deletes it', async () => {
    wire({ chat: 600, files: 3600 });
    const c = await shared();
    await c.end();
    await purger.sweep();
    expect(readdirSync(dir)).toEqual([c.id]);
    w.clock.advance(11 * MINUTE);
    await purger.sweep();
    expect(await w.stores.thread.items(c.id)).toEqual([]); // chat: 10 minutes
    expect(readdirSync(dir)).toEqual([c.id]); // files: an hour
    w.clock.advance(50 * MINUTE);
    await purger.sweep();
    expect(readdirSync(dir)).toEqual([]);
    expect(await w.stores.thread.getKey(c.id)).toBeNull();
  });

  it('deletes the content of a consultation nobody ended, when its records expire', async () => {
    wire({ chat: 0, files: 0 });
    const c = await shared();
    w.clock.advance(20 * 60 * MINUTE);
    await purger.sweep();
    expect(readdirSync(dir)).toEqual([c.id]); // still within the appointment's lifetime
    // 30 minutes long + 60 grace + 24 h retention (the harness's policy).
    w.clock.advance(6 * 60 * MINUTE);
    await purger.sweep();
    expect(readdirSync(dir)).toEqual([]);
    expect(await w.stores.thread.files(c.id)).toEqual([]);
  });

  it('removes bytes whose key is gone (a crash between the two deletions, a restart)', async () => {
    wire({ chat: 0, files: 0 });
    const c = await shared();
    const stray = randomId<AppointmentId>();
    mkdirSync(path.join(dir, stray));
    writeFileSync(path.join(dir, stray, `${randomId<FileId>()}.sealed`), 'leftover');
    purger.start();
    await purger.sweep();
    expect(readdirSync(dir)).toEqual([c.id]); // its key is live: kept
  });

  it('a file still being checked when the consultation ends is not kept', async () => {
    let endNow: (() => Promise<void>) | null = null;
    wire({ chat: 0, files: 0 }, async (b) => {
      await endNow?.(); // the clinician presses End while the file is being checked
      await purger.sweep();
      return sanitize(b);
    });
    const c = await shared(); // one file stored before
    endNow = c.end;
    await expectCode(files.upload(c.patient, c.id, stage(PDF), { name: 'late.pdf' }), 'CONSULTATION_ENDED');
    await purger.sweep();
    expect(readdirSync(dir)).toEqual([]);
    expect(await w.stores.thread.files(c.id)).toEqual([]);
    expect(await w.stores.thread.getKey(c.id)).toBeNull();
  });

  it('a file from someone not admitted is refused before anything is stored', async () => {
    wire({ chat: 0, files: 0 });
    const created = await book(w);
    const g = await w.sessions.redeemLink(tokenOf(created.patientUrl), device());
    await w.consultations.enterWaitingRoom(g.session.participantId, created.appointment.id);
    await expectCode(files.upload(g.session.participantId, created.appointment.id, stage(PDF), {}), 'NOT_ADMITTED');
    expect(readdirSync(dir)).toEqual([]);
    expect(await w.stores.thread.getKey(created.appointment.id)).toBeNull();
  });
});
