// The media a connectivity probe sends. A small picture of random noise: no
// encoder can squeeze it, so it is sent at the rate the browser's estimate
// allows, and that estimate then says what the upload can really carry (a
// camera pointing at a still room sends so little that the browser never
// learns more than that little). It needs no camera or microphone either, so
// the network is checked whatever the person's devices do. Without a canvas
// (it should not happen in a browser) the person's own camera or microphone
// is sent instead; their tracks are never stopped here.

export interface ProbeTrack {
  track: MediaStreamTrack;
  kind: 'audio' | 'video';
  stop(): void;
}

const WIDTH = 320;
const HEIGHT = 240;
const FPS = 15;

const live = (t: MediaStreamTrack | undefined): t is MediaStreamTrack => t !== undefined && t.readyState === 'live';

export function probeTrack(deps: { stream: MediaStream | null; hasVideo: boolean; hasAudio: boolean }): ProbeTrack | null {
  const noise = noiseTrack();
  if (noise) return noise;
  const own = (deps.hasVideo ? deps.stream?.getVideoTracks()[0] : undefined) ?? (deps.hasAudio ? deps.stream?.getAudioTracks()[0] : undefined);
  return live(own) ? { track: own, kind: own.kind === 'video' ? 'video' : 'audio', stop: () => {} } : null;
}

/** A 320x240 picture of fresh noise every frame (a canvas only sends frames when it is drawn). */
function noiseTrack(): ProbeTrack | null {
  if (typeof document === 'undefined') return null;
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const g = canvas.getContext('2d');
  if (!g || typeof canvas.captureStream !== 'function') return null;
  const track = canvas.captureStream(FPS).getVideoTracks()[0];
  if (!track) return null;
  const image = g.createImageData(WIDTH, HEIGHT);
  const pixels = new Uint32Array(image.data.buffer);
  const draw = () => {
    // getRandomValues fills at most 65,536 bytes at a time.
    for (let i = 0; i < pixels.length; i += 16_384) crypto.getRandomValues(pixels.subarray(i, i + 16_384));
    for (let i = 3; i < image.data.length; i += 4) image.data[i] = 255; // opaque
    g.putImageData(image, 0, 0);
  };
  draw();
  const timer = setInterval(draw, Math.round(1000 / FPS));
  return {
    track,
    kind: 'video',
    stop: () => {
      clearInterval(timer);
      track.stop();
    },
  };
}
