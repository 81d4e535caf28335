// Synthetic media for the forwarding benchmark: one ffmpeg per kind (VP8
// 640x480 at 30 fps, 600 kbit/s, from testsrc; Opus 48 kbit/s from a sine) sending RTP to a local
// socket, and a fan-out that copies every RTP packet to each producer's
// PlainTransport. A gate stops the fan-out so a counting window starts and
// ends with nothing in flight; packets are counted only while counting.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type Kind = 'audio' | 'video';
export const SSRC: Record<Kind, number> = { video: 11_111_111, audio: 22_222_222 };
export const PAYLOAD_TYPE: Record<Kind, number> = { video: 96, audio: 100 };

export interface Target {
  ip: string;
  port: number;
}

export class MediaSource {
  readonly #ffmpeg: ChildProcess[] = [];
  readonly #in: Socket[] = [];
  readonly #out: Socket;
  readonly #targets: Target[] = [];
  #dir = '';
  #open = true;
  #counting = false;
  readonly received: Record<Kind, number> = { audio: 0, video: 0 };
  /** Packets copied to each target while counting. */
  readonly sent: Record<Kind, number> = { audio: 0, video: 0 };
  sendErrors = 0;
  ffmpegOutput = '';

  private constructor(out: Socket) {
    this.#out = out;
  }

  /**
   * Encodes 10 s of each kind once (faster than real time), then streams the
   * files in a loop with -re and -c copy: steady packet rates, and no encoder
   * competing with the workers for the two cores during the measurement.
   */
  static async start(seconds: number): Promise<MediaSource> {
    const out = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((r) => out.bind(0, '127.0.0.1', () => r()));
    const src = new MediaSource(out);
    out.on('message', () => undefined); // RTCP from the producers' transports
    out.on('error', () => src.sendErrors++);
    src.#dir = mkdtempSync(path.join(tmpdir(), 'consultroom-rtp-'));
    for (const kind of ['video', 'audio'] as const) await src.#startKind(kind, seconds);
    return src;
  }

  async #encode(kind: Kind): Promise<string> {
    const file = path.join(this.#dir, `${kind}.mkv`);
    const args =
      kind === 'video'
        ? ['-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=30', '-t', '10', '-c:v', 'libvpx', '-b:v', '600k', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30']
        : ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '10', '-c:a', 'libopus', '-b:a', '48k', '-ac', '2', '-ar', '48000'];
    const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ffmpeg could not encode the ${kind} file: ${r.error?.message ?? r.stderr}`);
    return file;
  }

  async #startKind(kind: Kind, seconds: number): Promise<void> {
    const bind = async (s: Socket) => {
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      return s.address().port;
    };
    const file = await this.#encode(kind);
    const rtp = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    const rtcp = createSocket('udp4');
    const port = await bind(rtp);
    const rtcpPort = await bind(rtcp);
    rtcp.on('message', () => undefined);
    rtp.on('message', (buf: Buffer) => this.#forward(kind, buf));
    this.#in.push(rtp, rtcp);
    const args = [
      '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', file, '-t', String(seconds), '-c', 'copy',
      '-payload_type', String(PAYLOAD_TYPE[kind]), '-ssrc', String(SSRC[kind]),
      '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200&rtcpport=${rtcpPort}`,
    ];
    // A slightly raised priority keeps the source at its real-time pace when both cores are busy.
    const p = spawn('nice', ['-n', '-5', 'ffmpeg', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr?.on('data', (b: Buffer) => {
      this.ffmpegOutput = (this.ffmpegOutput + b.toString()).slice(-4000);
    });
    this.#ffmpeg.push(p);
  }

  #forward(kind: Kind, buf: Buffer): void {
    const b1 = buf[1] ?? 0;
    if (buf.length < 12 || (b1 >= 192 && b1 <= 223)) return;
    this.received[kind]++;
    if (!this.#open) return;
    if (this.#counting) this.sent[kind]++;
    for (const t of this.#targets) this.#out.send(buf, t.port, t.ip);
  }

  get sourcePort(): number {
    return this.#out.address().port;
  }

  setTargets(targets: Target[]): void {
    this.#targets.splice(0, this.#targets.length, ...targets);
  }

  /** Close the gate (nothing forwarded) or open it, counting from zero when asked. */
  gate(open: boolean, count = false): void {
    if (open && count) {
      this.sent.audio = 0;
      this.sent.video = 0;
      this.sendErrors = 0;
    }
    this.#counting = open && count;
    this.#open = open;
  }

  alive(): boolean {
    return this.#ffmpeg.every((p) => p.exitCode === null);
  }

  stop(): void {
    for (const p of this.#ffmpeg) p.kill('SIGKILL');
    for (const s of this.#in) s.close();
    this.#out.close();
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }
}
