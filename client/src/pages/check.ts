// /check: opens this device's camera and microphone, measures what the network
// lets through to the clinic's video server (the pre-call connectivity check),
// then sends the camera and microphone through the server and back, and says
// plainly whether it all works and what to do if not. No figures are shown to
// people; window.consultroomDiagnostics has them for support staff and tests.
import type { PrecallCheck } from '../../../server/wire/precall.ts';
import { applyLanguage, t } from '../i18n/i18n.ts';
import { runPrecallCheck } from '../model/connectivity-check.ts';
import { MediaSession, type ReceiveStats } from '../model/media-session.ts';
import { isRetryableCode, retryDelay } from '../net/api.ts';
import { rpcOver, type AppSocket } from '../net/rpc.ts';
import { selftestSocket } from '../net/socket.ts';
import { $, setStatus } from '../ui/dom.ts';
import { mountLanguageSwitch } from '../ui/language-switch.ts';
import { outcomeOf, renderSummary } from '../ui/precall-summary.ts';

/** How long the picture and sound have to come back from the server (ms). */
const LOOPBACK_WAIT_MS = 20_000;
const VIDEO = { width: { ideal: 640 }, height: { ideal: 480 } };

interface Devices {
  stream: MediaStream | null;
  hasVideo: boolean;
  hasAudio: boolean;
}

interface Diagnostics extends ReceiveStats {
  network: PrecallCheck['network'] | null;
  verdict: string | null;
}

/** The page's words, from the catalogue (the HTML's own text is only what shows before this runs). */
function fillStaticText(): void {
  document.title = t('check:documentTitle');
  $('#heading').textContent = t('check:heading');
  $('#intro').textContent = t('check:intro');
  $('#results-heading').textContent = t('check:resultsHeading');
  $('#local').setAttribute('aria-label', t('check:video.local'));
  $('#loopback').setAttribute('aria-label', t('check:video.loopback'));
  $('#local-caption').textContent = t('check:caption.local');
  $('#loopback-caption').textContent = t('check:caption.loopback');
  const start = $<HTMLButtonElement>('#start');
  start.textContent = t('check:start');
  start.hidden = false;
}

/** Camera and microphone together, else whichever of them works. */
async function openDevices(): Promise<Devices> {
  const get = (c: MediaStreamConstraints) => navigator.mediaDevices.getUserMedia(c).catch(() => null);
  const both = await get({ video: VIDEO, audio: true });
  if (both) return { stream: both, hasVideo: both.getVideoTracks().length > 0, hasAudio: both.getAudioTracks().length > 0 };
  const tracks = [...((await get({ audio: true }))?.getTracks() ?? []), ...((await get({ video: VIDEO }))?.getTracks() ?? [])];
  if (tracks.length === 0) return { stream: null, hasVideo: false, hasAudio: false };
  const stream = new MediaStream(tracks);
  return { stream, hasVideo: stream.getVideoTracks().length > 0, hasAudio: stream.getAudioTracks().length > 0 };
}

/**
 * Sends the stream through the server and plays what comes back; resolves
 * 'back' once picture (if any) and sound (if any) are received, else after a
 * while 'notBack', or 'refused' when the server would not run it.
 */
function loopback(stream: MediaStream, diagnostics: { stats: () => Promise<ReceiveStats> }, cleanup: (fn: () => void) => void): Promise<'back' | 'notBack' | 'refused'> {
  const socket: AppSocket = selftestSocket();
  const media = new MediaSession(rpcOver(socket));
  cleanup(() => {
    media.close();
    socket.close();
  });
  diagnostics.stats = () => media.receiveStats();
  const back = new MediaStream();
  socket.on('media:newProducer', (a) => {
    void media.subscribe(a).then((r) => {
      back.addTrack(r.track);
      $<HTMLVideoElement>('#loopback').srcObject = back;
    });
  });
  const wantVideo = stream.getVideoTracks().length > 0;
  const wantAudio = stream.getAudioTracks().length > 0;
  return new Promise((resolve) => {
    let attempt = 0;
    socket.on('connect_error', (err: Error & { data?: { code?: unknown } }) => {
      // Busy (too many checks at once) or unreachable: not a refusal. Try again by ourselves.
      const code = typeof err.data?.code === 'string' ? err.data.code : '';
      if (socket.active || isRetryableCode(code)) {
        setStatus(t('check:reconnecting'));
        if (!socket.active) setTimeout(() => socket.connect(), retryDelay(attempt++, null));
        return;
      }
      resolve('refused');
    });
    socket.once('connect', () => {
      void (async () => {
        try {
          await media.start();
          await media.publish(stream);
        } catch {
          return resolve('notBack');
        }
        setStatus(t('check:sending'));
        const started = Date.now();
        const poll = setInterval(() => {
          void media.receiveStats().then((s) => {
            if ((!wantVideo || s.videoFramesDecoded > 0) && (!wantAudio || s.audioPacketsReceived > 0)) {
              clearInterval(poll);
              resolve('back');
            } else if (Date.now() - started > LOOPBACK_WAIT_MS) {
              clearInterval(poll);
              resolve('notBack');
            }
          });
        }, 500);
        cleanup(() => clearInterval(poll));
      })();
    });
  });
}

function start(): void {
  applyLanguage();
  mountLanguageSwitch();
  fillStaticText();
  const button = $<HTMLButtonElement>('#start');
  const results = $('#results');
  let devices: Devices | null = null;
  let cleanups: (() => void)[] = [];
  const diagnostics: { stats: () => Promise<ReceiveStats>; network: Diagnostics['network']; verdict: string | null } = {
    stats: () => Promise.resolve(EMPTY_STATS),
    network: null,
    verdict: null,
  };
  // For support staff (and the tests): what the browser is receiving and what the network check measured.
  (window as unknown as { consultroomDiagnostics: () => Promise<Diagnostics> }).consultroomDiagnostics = async () => ({
    ...(await diagnostics.stats()),
    network: diagnostics.network,
    verdict: diagnostics.verdict,
  });
  const stopAll = () => {
    for (const fn of cleanups) fn();
    cleanups = [];
  };
  window.addEventListener('pagehide', () => {
    stopAll();
    for (const track of devices?.stream?.getTracks() ?? []) track.stop();
  });

  async function run(): Promise<void> {
    stopAll();
    button.disabled = true;
    results.hidden = true;
    results.querySelector('ul')?.remove();
    delete document.body.dataset.check;
    delete document.body.dataset.verdict;
    setStatus(t('check:askingDevices'));
    devices ??= await openDevices();
    const { stream, hasVideo, hasAudio } = devices;
    if (stream) $<HTMLVideoElement>('#local').srcObject = stream;
    if (!hasVideo && !hasAudio) setStatus(t('check:noDevices'), 'error');
    else setStatus(t('precall:checking'));

    const check = await runPrecallCheck({ stream, hasVideo, hasAudio });
    const outcome = outcomeOf(check);
    diagnostics.network = check.network ?? null;
    diagnostics.verdict = outcome;
    document.body.dataset.verdict = outcome;
    results.append(renderSummary(check));
    results.hidden = false;

    // The picture and sound back from the server: only worth trying when something can be sent and got through.
    const worthTrying = stream !== null && outcome !== 'failed' && outcome !== 'unknown';
    let came: Awaited<ReturnType<typeof loopback>> = 'notBack';
    if (worthTrying && stream) {
      setStatus(t('check:connecting'));
      came = await loopback(stream, diagnostics, (fn) => cleanups.push(fn));
    }
    document.body.dataset.check = came === 'back' ? 'passed' : 'failed';
    if (came === 'refused') setStatus(t('check:refused'), 'error');
    else if (came === 'back' && hasVideo && hasAudio && outcome === 'good') setStatus(t('check:passed'), 'ok');
    else if (came === 'notBack' && worthTrying) setStatus(t('check:notBack'), 'error');
    else setStatus(t('check:finished'), came === 'back' ? 'info' : 'error');
    button.textContent = t('check:again');
    button.disabled = false;
  }

  button.addEventListener('click', () => void run());
}

const EMPTY_STATS: ReceiveStats = {
  videoFramesDecoded: 0,
  videoBytesReceived: 0,
  audioBytesReceived: 0,
  audioPacketsReceived: 0,
  packetsLost: 0,
  roundTripTime: null,
  localCandidateType: null,
};

start();
