// /check: sends this device's camera and microphone through the server's
// media path and back, and says plainly whether it works.
import { MediaSession } from '../model/media-session.ts';
import { isRetryableCode, retryDelay } from '../net/api.ts';
import { rpcOver, type AppSocket } from '../net/rpc.ts';
import { selftestSocket } from '../net/socket.ts';
import { $, setStatus } from '../ui/dom.ts';
import { RECONNECTING } from '../ui/messages.ts';

async function run(): Promise<void> {
  const button = $<HTMLButtonElement>('#start');
  button.disabled = true;
  setStatus('Asking for your camera and microphone…');
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
  } catch {
    setStatus('We could not use your camera or microphone. Check that this browser is allowed to use them.', 'error');
    button.disabled = false;
    return;
  }
  $<HTMLVideoElement>('#local').srcObject = stream;
  setStatus('Connecting to the video server…');
  const socket: AppSocket = selftestSocket();
  const rpc = rpcOver(socket);
  const media = new MediaSession(rpc);
  const back = new MediaStream();
  socket.on('media:newProducer', (a) => {
    void media.subscribe(a).then((r) => {
      back.addTrack(r.track);
      $<HTMLVideoElement>('#loopback').srcObject = back;
    });
  });
  let attempt = 0;
  socket.on('connect_error', (err: Error & { data?: { code?: unknown } }) => {
    // Busy (too many checks at once) or unreachable: not a refusal. Try again by ourselves.
    const code = typeof err.data?.code === 'string' ? err.data.code : '';
    if (socket.active || isRetryableCode(code)) {
      setStatus(RECONNECTING);
      if (!socket.active) setTimeout(() => socket.connect(), retryDelay(attempt++, null));
      return;
    }
    setStatus('The video server refused the check. Try again in a minute.', 'error');
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  await media.start();
  await media.publish(stream);
  setStatus('Sending… waiting for your picture and sound to come back.');
  const started = Date.now();
  const poll = setInterval(() => {
    void media.receiveStats().then((s) => {
      const ok = s.videoFramesDecoded > 0 && s.audioPacketsReceived > 0;
      $('#stats').textContent = `Video frames received: ${s.videoFramesDecoded}. Audio packets received: ${s.audioPacketsReceived}.`;
      if (ok) {
        setStatus('Your camera, microphone and connection work. You are ready for your appointment.', 'ok');
        document.body.dataset.check = 'passed';
      } else if (Date.now() - started > 20_000) {
        setStatus('Your picture or sound did not come back. Your network may block video calls; tell the clinic.', 'error');
        document.body.dataset.check = 'failed';
        clearInterval(poll);
      }
    });
  }, 500);
  window.addEventListener('pagehide', () => {
    clearInterval(poll);
    media.close();
    socket.close();
  });
  // For support staff (and the tests): what the browser is receiving.
  (window as unknown as { consultroomDiagnostics: () => Promise<unknown> }).consultroomDiagnostics = () => media.receiveStats();
}

$<HTMLButtonElement>('#start').addEventListener('click', () => void run());
