// The bare page for admit-to-first-frame (bundled by bench/bare/server.ts):
// the same media steps as our client/src/lib/media-session.ts, in the same
// order, with the same camera constraints and simulcast encodings, and
// nothing else. ?role=c is the "clinician": publishing from the start, with
// an "Admit patient" button. ?role=p is the "patient": camera preview only,
// until admitted; then it loads a Device, creates its transports, produces
// and consumes. Remote media go into <video aria-label="Video of remote">.
import { Device, type types } from 'mediasoup-client';
import { io } from 'socket.io-client';

const params = new URLSearchParams(location.search);
const role = params.get('role') === 'c' ? 'c' : 'p';
const room = params.get('room') ?? 'r';
const socket = io({ transports: ['websocket'] });
const app = document.getElementById('app')!;

// As client/src/lib/media-session.ts and local-media.ts.
const SIMULCAST: RTCRtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 400_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 900_000 },
];
const VIDEO: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24, max: 30 } };
const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

async function rpc<T>(name: string, payload: object = {}): Promise<T> {
  const r = (await socket.timeout(10_000).emitWithAck(name, payload)) as { ok: true; data: T } | { ok: false; error: string };
  if (!r.ok) throw new Error(`${name}: ${r.error}`);
  return r.data;
}

function video(label: string, muted: boolean): HTMLVideoElement {
  const v = document.createElement('video');
  v.autoplay = true;
  v.playsInline = true;
  v.muted = muted;
  v.setAttribute('aria-label', label);
  app.append(v);
  return v;
}

let device: Device | undefined;
let recv: types.Transport | undefined;
const remote = new MediaStream();
let remoteVideo: HTMLVideoElement | undefined;

type TransportInfo = Pick<types.TransportOptions, 'id' | 'iceParameters' | 'iceCandidates' | 'dtlsParameters'>;

async function consume(producerId: string): Promise<void> {
  const info = await rpc<{ id: string; producerId: string; kind: types.MediaKind; rtpParameters: types.RtpParameters }>('consume', {
    transportId: recv!.id,
    producerId,
    rtpCapabilities: device!.recvRtpCapabilities,
  });
  const consumer = await recv!.consume(info);
  await rpc('resume', { consumerId: consumer.id });
  remote.addTrack(consumer.track);
  remoteVideo ??= video('Video of remote', false);
  remoteVideo.srcObject = remote;
  remoteVideo.play().catch(() => {
    remoteVideo!.muted = true;
    void remoteVideo!.play().catch(() => undefined);
  });
}

async function startMedia(stream: MediaStream): Promise<void> {
  device = new Device();
  await device.load({ routerRtpCapabilities: await rpc<types.RtpCapabilities>('caps') });
  const send = device.createSendTransport(await rpc<TransportInfo>('createTransport', { direction: 'send' }));
  recv = device.createRecvTransport(await rpc<TransportInfo>('createTransport', { direction: 'recv' }));
  for (const t of [send, recv]) {
    t.on('connect', ({ dtlsParameters }, ok, fail) => {
      rpc('connectTransport', { transportId: t.id, dtlsParameters }).then(() => ok(), fail);
    });
  }
  send.on('produce', ({ kind, rtpParameters }, ok, fail) => {
    rpc<{ id: string }>('produce', { transportId: send.id, kind, rtpParameters }).then(ok, fail);
  });
  const [v] = stream.getVideoTracks();
  const [a] = stream.getAudioTracks();
  if (v) await send.produce({ track: v, encodings: SIMULCAST, codecOptions: { videoGoogleStartBitrate: 600 }, stopTracks: false });
  if (a) await send.produce({ track: a, codecOptions: { opusDtx: true, opusFec: true }, stopTracks: false });
  const existing = await rpc<string[]>('producers');
  socket.on('newProducer', ({ producerId }: { producerId: string }) => void consume(producerId));
  await Promise.all(existing.map((id) => consume(id)));
}

async function main(): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: VIDEO, audio: AUDIO });
  video('Your camera', true).srcObject = stream;
  await rpc('join', { room, role });
  if (role === 'c') {
    await startMedia(stream);
    const admit = document.createElement('button');
    admit.textContent = 'Admit patient';
    admit.addEventListener('click', () => void rpc('admit'));
    app.append(admit);
  } else {
    socket.once('admitted', () => void startMedia(stream));
  }
  document.body.dataset.phase = 'ready';
}

void main();
