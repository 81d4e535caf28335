// Zoom and pan for one image inside a scrolling viewport: Zoom in / Zoom out /
// Fit, the mouse wheel (zooming around the pointer), + - 0 keys, dragging with
// the mouse; the viewport's own scrolling pans (scrollbars, arrow keys, touch).
// Sizes are set in CSS pixels on the <img>, so the browser keeps the full
// resolution the photo was taken at.

import { t } from '../i18n/i18n.ts';

const STEP = 1.25;
const MAX_SCALE = 8;

export class ZoomPan {
  readonly #vp: HTMLElement;
  readonly #img: HTMLImageElement;
  readonly #onChange: (text: string) => void;
  #scale = 1;
  #fitted = true;
  #drag: { x: number; y: number; left: number; top: number } | null = null;
  readonly #resize: ResizeObserver;

  constructor(viewport: HTMLElement, img: HTMLImageElement, onChange: (text: string) => void) {
    this.#vp = viewport;
    this.#img = img;
    this.#onChange = onChange;
    img.addEventListener('load', () => this.fit());
    viewport.addEventListener(
      'wheel',
      (e) => {
        if (!this.#ready) return;
        e.preventDefault();
        this.zoomBy(e.deltaY < 0 ? 1.1 : 1 / 1.1, e.clientX, e.clientY);
      },
      { passive: false },
    );
    viewport.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === '+' || e.key === '=') this.zoomBy(STEP);
      else if (e.key === '-') this.zoomBy(1 / STEP);
      else if (e.key === '0') this.fit();
      else return;
      e.preventDefault();
    });
    // Touch pans and pinches natively; the mouse drags.
    viewport.addEventListener('pointerdown', (e) => {
      if (e.pointerType !== 'mouse' || e.button !== 0) return;
      this.#drag = { x: e.clientX, y: e.clientY, left: viewport.scrollLeft, top: viewport.scrollTop };
      viewport.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    viewport.addEventListener('pointermove', (e) => {
      if (!this.#drag) return;
      viewport.scrollLeft = this.#drag.left - (e.clientX - this.#drag.x);
      viewport.scrollTop = this.#drag.top - (e.clientY - this.#drag.y);
    });
    const stop = () => (this.#drag = null);
    viewport.addEventListener('pointerup', stop);
    viewport.addEventListener('pointercancel', stop);
    this.#resize = new ResizeObserver(() => {
      if (this.#fitted) this.fit();
    });
    this.#resize.observe(viewport);
  }

  get #ready(): boolean {
    return this.#img.naturalWidth > 0 && this.#img.naturalHeight > 0;
  }

  /** The whole image in view, never enlarged beyond its own pixels. */
  fit(): void {
    if (!this.#ready) return;
    const s = Math.min(this.#vp.clientWidth / this.#img.naturalWidth, this.#vp.clientHeight / this.#img.naturalHeight, 1);
    this.#fitted = true;
    this.#apply(s > 0 ? s : 1);
    this.#onChange(t('shared:viewer.fitLevel', { percent: Math.round(this.#scale * 100) }));
  }

  /** Zooms around a point on screen (the middle of the viewport by default). */
  zoomBy(factor: number, clientX?: number, clientY?: number): void {
    if (!this.#ready) return;
    const next = Math.min(MAX_SCALE, Math.max(this.#fitScale() / 2, this.#scale * factor));
    if (next === this.#scale) return;
    const r = this.#vp.getBoundingClientRect();
    const ax = (clientX ?? r.left + r.width / 2) - r.left;
    const ay = (clientY ?? r.top + r.height / 2) - r.top;
    // Where the anchor point lies on the image, in image pixels, before the change.
    const ix = (this.#vp.scrollLeft + ax - this.#img.offsetLeft) / this.#scale;
    const iy = (this.#vp.scrollTop + ay - this.#img.offsetTop) / this.#scale;
    this.#fitted = false;
    this.#apply(next);
    this.#vp.scrollLeft = ix * next + this.#img.offsetLeft - ax;
    this.#vp.scrollTop = iy * next + this.#img.offsetTop - ay;
    this.#onChange(t('shared:viewer.zoomLevel', { percent: Math.round(next * 100) }));
  }

  disconnect(): void {
    this.#resize.disconnect();
  }

  #fitScale(): number {
    return Math.min(this.#vp.clientWidth / this.#img.naturalWidth, this.#vp.clientHeight / this.#img.naturalHeight, 1);
  }

  #apply(scale: number): void {
    this.#scale = scale;
    this.#img.style.width = `${Math.round(this.#img.naturalWidth * scale)}px`;
    this.#img.style.height = `${Math.round(this.#img.naturalHeight * scale)}px`;
  }
}
