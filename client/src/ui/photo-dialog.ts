// The patient's "send a photo" dialog, opened by the clinician's photo request
// (or from the chat): take a still with the camera (live preview, Take photo,
// then Retake or Send photo), or choose a photo or PDF from the device, with a
// preview, then Send. The camera is stopped as soon as the still is taken and
// whenever the dialog closes.
import type { ThreadItemView } from '../../../server/wire/thread.ts';
import { modal, type Modal } from './dialog.ts';
import { button, h, say, setStatus } from './dom.ts';
import { fileSize, sharingProblem } from './messages.ts';
import { t } from '../i18n/i18n.ts';
import { ClientError } from '../net/rpc.ts';
import { openStillCamera, stillCameraProblem, takeStill, withinLimit } from './still-camera.ts';
import type { Thread } from '../model/thread.ts';

// Until the server's limits arrive; open() then offers what this person may send.
const ACCEPT = 'image/jpeg,image/png,image/heic,image/heif';
const PREVIEWABLE = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);

type Step = 'choose' | 'camera' | 'review';
/** Where the picture came from: this page's camera, the phone's camera app, or a file. */
type Source = 'camera' | 'capture' | 'file';
interface Chosen {
  blob: Blob;
  name: string;
  source: Source;
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function fileInput(capture: boolean): HTMLInputElement {
  const input = h('input', { type: 'file', accept: ACCEPT, hidden: '', tabindex: '-1' });
  if (capture) {
    input.accept = 'image/*';
    input.setAttribute('capture', 'environment');
  }
  return input;
}

/** The call's own camera, let go while the still camera is open. */
export interface CameraLender {
  lendCamera(): void;
  returnCamera(): Promise<void>;
}

export class PhotoDialog {
  readonly #thread: Thread;
  readonly #lender: CameraLender | null;
  #lent = false;
  readonly #clinicianName: () => string;
  readonly #m: Modal;
  readonly #steps: Record<Step, HTMLElement>;
  readonly #intro = h('p', {});
  readonly #status = h('p', { class: 'result', role: 'status' });
  readonly #video = h('video', { autoplay: '', playsinline: '', 'aria-label': t('shared:photo.cameraPreview') });
  readonly #still = h('img', { alt: '' });
  readonly #stillNote = h('p', { class: 'note' });
  readonly #useCamera: HTMLButtonElement;
  readonly #take: HTMLButtonElement;
  readonly #again: HTMLButtonElement;
  readonly #send: HTMLButtonElement;
  readonly #pick = fileInput(false);
  readonly #capture = fileInput(true);
  #stream: MediaStream | null = null;
  #request: ThreadItemView | null = null;
  #chosen: Chosen | null = null;
  #previewUrl = '';
  #busy = false;

  constructor(thread: Thread, clinicianName: () => string, lender: CameraLender | null = null) {
    this.#thread = thread;
    this.#lender = lender;
    this.#clinicianName = clinicianName;
    this.#m = modal('photo', () => this.#reset());
    this.#video.muted = true;
    this.#useCamera = button(t('shared:photo.useCamera'), () => void this.#startCamera());
    const choose = button(t('shared:photo.choose'), () => this.#pick.click(), 'secondary');
    const phone = button(t('shared:photo.phoneCamera'), () => this.#capture.click(), 'secondary');
    // Only phones and tablets hand a capture input to their own camera app.
    phone.hidden = !matchMedia('(pointer: coarse)').matches;
    for (const input of [this.#pick, this.#capture]) {
      input.addEventListener('change', () => {
        const file = input.files?.[0];
        input.value = '';
        if (file) this.#review({ blob: file, name: file.name || `photo-${stamp()}.jpg`, source: input === this.#capture ? 'capture' : 'file' });
      });
    }
    this.#take = button(t('shared:photo.take'), () => void this.#snap());
    this.#again = button(t('shared:photo.retake'), () => this.#retry(), 'secondary');
    this.#send = button(t('shared:photo.sendPhoto'), () => void this.#submit());
    this.#steps = {
      choose: h('div', { class: 'step' }, h('div', { class: 'options' }, this.#useCamera, phone, choose), this.#pick, this.#capture),
      camera: h(
        'div',
        { class: 'step', hidden: '' },
        h('div', { class: 'camera' }, this.#video),
        h('p', { class: 'hint' }, t('shared:photo.hint')),
        h('div', { class: 'options' }, this.#take, button(t('shared:photo.back'), () => this.#show('choose', this.#useCamera), 'secondary')),
      ),
      review: h('div', { class: 'step', hidden: '' }, h('div', { class: 'still' }, this.#still), this.#stillNote, h('div', { class: 'options' }, this.#send, this.#again)),
    };
    this.#m.el.append(
      this.#intro,
      ...Object.values(this.#steps),
      this.#status,
      h('div', { class: 'actions' }, button(t('shared:cancel'), () => this.close(), 'secondary')),
    );
  }

  get isOpen(): boolean {
    return this.#m.isOpen;
  }

  /** For a photo request (or, without one, the patient's own choice to send something). */
  open(request: ThreadItemView | null, fallback?: () => HTMLElement | null): void {
    const name = request?.from.name ?? this.#clinicianName();
    this.#request = request;
    this.#m.title.textContent = request ? t('shared:photo.asks', { name }) : t('shared:photo.sendTo', { name });
    this.#intro.textContent = t('shared:photo.intro', { name });
    this.#pick.accept = this.#thread.limits.accept.join(',');
    const wasOpen = this.#m.isOpen;
    this.#m.open(wasOpen ? undefined : this.#useCamera, fallback);
    if (!wasOpen) this.#show('choose');
  }

  close(): void {
    this.#m.close();
    this.#reset();
  }

  dispose(): void {
    this.#m.remove();
    this.#reset();
  }

  #show(step: Step, focus?: HTMLElement): void {
    for (const [k, el] of Object.entries(this.#steps)) el.hidden = k !== step;
    if (step !== 'camera') this.#stopCamera();
    focus?.focus();
  }

  #say(text: string, tone?: 'error'): void {
    say(this.#status, text, tone);
  }

  async #startCamera(): Promise<void> {
    this.#say(t('shared:photo.starting'));
    this.#show('camera');
    this.#take.disabled = true;
    if (this.#lender && !this.#lent) {
      this.#lent = true;
      this.#lender.lendCamera();
    }
    try {
      const stream = await openStillCamera();
      this.#stream = stream;
      // Closed, or Back pressed, while the camera was starting.
      if (!this.#m.isOpen || this.#steps.camera.hidden) return this.#stopCamera();
      this.#video.srcObject = this.#stream;
      await this.#video.play().catch(() => undefined);
      this.#take.disabled = false;
      this.#say('');
      this.#take.focus();
    } catch (e) {
      this.#show('choose', this.#useCamera);
      this.#say(stillCameraProblem(e), 'error');
    }
  }

  async #snap(): Promise<void> {
    const track = this.#stream?.getVideoTracks()[0];
    if (!track || this.#take.disabled) return;
    this.#take.disabled = true;
    this.#say(t('shared:photo.taking'));
    try {
      const raw = await takeStill(track, this.#video);
      this.#stopCamera();
      const blob = await withinLimit(raw, this.#thread.limits.maxFileBytes);
      const ext = blob.type === 'image/png' ? 'png' : 'jpg';
      this.#review({ blob, name: `photo-${stamp()}.${ext}`, source: 'camera' });
    } catch {
      this.#say(t('shared:photo.takeFailed'), 'error');
    } finally {
      this.#take.disabled = false;
    }
  }

  #review(chosen: Chosen): void {
    const photo = chosen.source !== 'file';
    this.#chosen = chosen;
    URL.revokeObjectURL(this.#previewUrl);
    this.#previewUrl = '';
    const previewable = PREVIEWABLE.has(chosen.blob.type);
    this.#still.hidden = !previewable;
    if (previewable) {
      this.#previewUrl = URL.createObjectURL(chosen.blob);
      this.#still.src = this.#previewUrl;
      this.#still.alt = photo ? t('shared:photo.tookAlt') : t('shared:photo.previewAlt', { name: chosen.name });
    } else {
      this.#still.removeAttribute('src');
    }
    this.#stillNote.textContent = t(previewable ? 'shared:photo.chosen' : 'shared:photo.chosenNoPreview', { name: chosen.name, size: fileSize(chosen.blob.size) });
    this.#send.textContent = photo ? t('shared:photo.sendPhoto') : t('shared:photo.send');
    this.#again.textContent = photo ? t('shared:photo.retake') : t('shared:photo.chooseAnother');
    this.#show('review', this.#send);
    const max = this.#thread.limits.maxFileBytes;
    if (chosen.blob.size > max) this.#say(t('shared:photo.tooBig', { size: fileSize(chosen.blob.size), max: fileSize(max) }), 'error');
    else this.#say(t('shared:photo.check'));
  }

  #retry(): void {
    const source = this.#chosen?.source;
    if (source === 'camera') void this.#startCamera();
    else (source === 'capture' ? this.#capture : this.#pick).click();
  }

  async #submit(): Promise<void> {
    const c = this.#chosen;
    if (!c || this.#busy) return;
    this.#busy = true;
    this.#send.disabled = true;
    this.#again.disabled = true;
    const photo = c.source !== 'file';
    this.#say(photo ? t('shared:photo.sendingPhoto') : t('shared:photo.sendingFile', { name: c.name }));
    try {
      await this.#thread.upload(c.blob, c.name, this.#request?.id);
      const to = this.#request?.from.name ?? this.#clinicianName();
      this.close();
      setStatus(photo ? t('shared:photo.photoSent', { to }) : t('shared:photo.fileSent', { name: c.name, to }), 'ok');
    } catch (e) {
      const code = e instanceof ClientError ? e.code : '';
      const reason = sharingProblem(code, e instanceof Error ? e.message : '');
      this.#say(
        code === 'FILE_TOO_LARGE' ? t('shared:photo.notSentTooBig', { reason, max: fileSize(this.#thread.limits.maxFileBytes) }) : t('shared:photo.notSent', { reason }),
        'error',
      );
    } finally {
      this.#busy = false;
      this.#send.disabled = false;
      this.#again.disabled = false;
    }
  }

  #stopCamera(): void {
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = null;
    this.#video.srcObject = null;
    if (this.#lent) {
      this.#lent = false;
      void this.#lender?.returnCamera();
    }
  }

  #reset(): void {
    this.#stopCamera();
    URL.revokeObjectURL(this.#previewUrl);
    this.#previewUrl = '';
    this.#still.removeAttribute('src');
    this.#chosen = null;
    this.#request = null;
    this.#say('');
    for (const [k, el] of Object.entries(this.#steps)) el.hidden = k !== 'choose';
  }
}
