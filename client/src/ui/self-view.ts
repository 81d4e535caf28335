// Your own camera as a small picture over the call: muted, mirrored when it
// faces you, in a corner of the stage. It moves by dragging (pointer events:
// mouse, touch, pen) and by the "Move my picture" button, which the control bar
// shows; it stays inside the stage, so it never covers the control bar. Under
// it: what of yours is off, your connection, and when the call paused your
// video to keep your sound clear, that.
import { t } from '../i18n/i18n.ts';
import { h } from './dom.ts';
import { clamp, nearestCorner, nextCorner, type Corner } from './picture-corner.ts';

export class SelfView {
  readonly element: HTMLElement;
  readonly video: HTMLVideoElement;
  /** What of yours is off ("Camera off"); CallControls writes it. */
  readonly state: HTMLElement;
  readonly quality: HTMLElement;
  /** "Move my picture", for the control bar. */
  readonly moveButton: HTMLButtonElement;
  readonly #paused: HTMLElement;
  readonly #announce: (text: string) => void;
  #corner: Corner = 'top-right';

  /** `announce`: says where the picture went (the call's polite live region). */
  constructor(quality: HTMLElement, announce: (text: string) => void) {
    this.#announce = announce;
    this.quality = quality;
    this.video = h('video', { autoplay: '', playsinline: '', 'aria-label': t('call:self.videoLabel') });
    this.video.muted = true;
    this.state = h('span', { class: 'media-state' });
    this.#paused = h('p', { class: 'paused-note', hidden: '' }, t('call:network.sendingPaused'));
    this.element = h(
      'figure',
      { class: 'tile self', 'data-corner': this.#corner },
      this.video,
      this.#paused,
      h('figcaption', {}, h('span', { class: 'name' }, t('call:self.name')), ' ', this.state, ' ', quality),
    );
    this.moveButton = h('button', { type: 'button', class: 'secondary' }, t('call:controls.movePicture'));
    this.moveButton.addEventListener('click', () => this.moveTo(nextCorner(this.#corner)));
    this.#draggable();
  }

  get corner(): Corner {
    return this.#corner;
  }

  moveTo(corner: Corner, say = true): void {
    this.#corner = corner;
    this.element.dataset.corner = corner;
    if (say) this.#announce(t(CORNER_TEXT[corner]));
  }

  /** The call paused your camera to keep your sound clear (or stopped doing so). */
  showSendingPaused(paused: boolean): void {
    this.#paused.hidden = !paused;
    this.element.toggleAttribute('data-sending-paused', paused);
  }

  /** Mirrored like a mirror when the camera faces you; a rear camera is shown the right way round. */
  setFacing(facing: string): void {
    this.element.toggleAttribute('data-rear', facing === 'environment');
  }

  #draggable(): void {
    const el = this.element;
    let grab: { id: number; dx: number; dy: number } | null = null;
    el.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || !el.offsetParent) return;
      const box = el.getBoundingClientRect();
      grab = { id: e.pointerId, dx: e.clientX - box.left, dy: e.clientY - box.top };
      el.setPointerCapture(e.pointerId);
      el.toggleAttribute('data-dragging', true);
    });
    el.addEventListener('pointermove', (e) => {
      if (!grab || e.pointerId !== grab.id) return;
      const stage = (el.offsetParent as HTMLElement).getBoundingClientRect();
      el.style.left = `${clamp(e.clientX - grab.dx - stage.left, el.offsetWidth, stage.width)}px`;
      el.style.top = `${clamp(e.clientY - grab.dy - stage.top, el.offsetHeight, stage.height)}px`;
    });
    const drop = (e: PointerEvent) => {
      if (!grab || e.pointerId !== grab.id) return;
      grab = null;
      const stage = (el.offsetParent as HTMLElement | null)?.getBoundingClientRect();
      const box = el.getBoundingClientRect();
      el.removeAttribute('style');
      el.removeAttribute('data-dragging');
      if (!stage) return;
      const corner = nearestCorner(box.left + box.width / 2 - stage.left, box.top + box.height / 2 - stage.top, stage.width, stage.height);
      this.moveTo(corner, corner !== this.#corner);
    };
    el.addEventListener('pointerup', drop);
    el.addEventListener('pointercancel', drop);
  }
}

const CORNER_TEXT = {
  'top-right': 'call:picture.topRight',
  'bottom-right': 'call:picture.bottomRight',
  'bottom-left': 'call:picture.bottomLeft',
  'top-left': 'call:picture.topLeft',
} as const satisfies Record<Corner, string>;
