// The patient's "send a photo" dialog, opened by the clinician's photo request
// (or from the chat): take a still with the camera (live preview, Take photo,
// then Retake or Send photo), or choose a photo or PDF from the device, with a
// preview, then Send. The camera is stopped as soon as the still is taken and
// whenever the dialog closes.
import type { ThreadItemView } from '../../../server/wire/thread.ts';
import { modal, type Modal } from './dialog.ts';
import { button, h, say, setStatus } from './dom.ts';
import { fileSize, sharingProblem } from './messages.ts';
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
  readonly #video = h('video', { autoplay: '', playsinline: '', 'aria-label': 'Camera preview' });
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
    this.#useCamera = button('Use the camera', () => void this.#startCamera());
    const choose = button('Choose a photo or file', () => this.#pick.click(), 'secondary');
    const phone = button('Take photo with phone camera', () => this.#capture.click(), 'secondary');
    // Only phones and tablets hand a capture input to their own camera app.
    phone.hidden = !matchMedia('(pointer: coarse)').matches;
    for (const input of [this.#pick, this.#capture]) {
      input.addEventListener('change', () => {
        const file = input.files?.[0];
        input.value = '';
        if (file) this.#review({ blob: file, name: file.name || `photo-${stamp()}.jpg`, source: input === this.#capture ? 'capture' : 'file' });
      });
    }
    this.#take = button('Take photo', () => void this.#snap());
    this.#again = button('Retake', () => this.#retry(), 'secondary');
    this.#send = button('Send photo', () => void this.#submit());
    this.#steps = {
      choose: h('div', { class: 'step' }, h('div', { class: 'options' }, this.#useCamera, phone, choose), this.#pick, this.#capture),
      camera: h(
        'div',
        { class: 'step', hidden: '' },
        h('div', { class: 'camera' }, this.#video),
        h('p', { class: 'hint' }, 'Hold the camera steady, close enough to fill the picture, in good light. Your video in the call pauses until the photo is taken.'),
        h('div', { class: 'options' }, this.#take, button('Back', () => this.#show('choose', this.#useCamera), 'secondary')),
      ),
      review: h('div', { class: 'step', hidden: '' }, h('div', { class: 'still' }, this.#still), this.#stillNote, h('div', { class: 'options' }, this.#send, this.#again)),
    };
    this.#m.el.append(
      this.#intro,
      ...Object.values(this.#steps),
      this.#status,
      h('div', { class: 'actions' }, button('Cancel', () => this.close(), 'secondary')),
    );
  }

  get isOpen(): boolean {
    return this.#m.isOpen;
  }

  /** For a photo request (or, without one, the patient's own choice to send something). */
  open(request: ThreadItemView | null, fallback?: () => HTMLElement | null): void {
    const name = request?.from.name ?? this.#clinicianName();
    this.#request = request;
    this.#m.title.textContent = request ? `${name} asks for a photo` : `Send a photo or file to ${name}`;
    this.#intro.textContent = `Only ${name} will see it. Location and camera details are removed before it is sent.`;
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
    this.#say('Starting the camera…');
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
    this.#say('Taking the photo…');
    try {
      const raw = await takeStill(track, this.#video);
      this.#stopCamera();
      const blob = await withinLimit(raw, this.#thread.limits.maxFileBytes);
      const ext = blob.type === 'image/png' ? 'png' : 'jpg';
      this.#review({ blob, name: `photo-${stamp()}.${ext}`, source: 'camera' });
    } catch {
      this.#say('We could not take the photo. Try again, or choose a photo instead.', 'error');
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
      this.#still.alt = photo ? 'The photo you took' : `Preview of ${chosen.name}`;
    } else {
      this.#still.removeAttribute('src');
    }
    this.#stillNote.textContent = `${chosen.name}, ${fileSize(chosen.blob.size)}.${previewable ? '' : ' No preview of this kind of file, but it can be sent.'}`;
    this.#send.textContent = photo ? 'Send photo' : 'Send';
    this.#again.textContent = photo ? 'Retake' : 'Choose another';
    this.#show('review', this.#send);
    const max = this.#thread.limits.maxFileBytes;
    if (chosen.blob.size > max) this.#say(`This file is too big to send (${fileSize(chosen.blob.size)}; the most is ${fileSize(max)}). Choose a smaller one.`, 'error');
    else this.#say('Check the picture, then send it.');
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
    this.#say(photo ? 'Sending your photo…' : `Sending ${c.name}…`);
    try {
      await this.#thread.upload(c.blob, c.name, this.#request?.id);
      const to = this.#request?.from.name ?? this.#clinicianName();
      this.close();
      setStatus(`${photo ? 'Your photo has' : `${c.name} has`} been sent to ${to}.`, 'ok');
    } catch (e) {
      const code = e instanceof ClientError ? e.code : '';
      const extra = code === 'FILE_TOO_LARGE' ? ` The most you can send is ${fileSize(this.#thread.limits.maxFileBytes)}.` : '';
      this.#say(`It was not sent. ${sharingProblem(code, e instanceof Error ? e.message : '')}${extra}`, 'error');
    } finally {
      this.#busy = false;
      this.#send.disabled = false;
      this.#again.disabled = false;
    }
  }

  #stopCamera(): void {
    for (const t of this.#stream?.getTracks() ?? []) t.stop();
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
