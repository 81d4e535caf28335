// A still photo at the camera's full resolution, for a clinician to look at
// closely: its own camera track (the rear camera on a phone, asking for up to
// 4096 × 3072), separate from the call's small video, which is never used.
// ImageCapture.takePhoto() where the browser has it (the camera's real photo
// mode); otherwise the track's full frame drawn to a canvas as a JPEG.

import { t } from '../i18n/i18n.ts';

const STILL: MediaTrackConstraints = { facingMode: { ideal: 'environment' }, width: { ideal: 4096 }, height: { ideal: 3072 } };

export function openStillCamera(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ video: STILL, audio: false });
}

export function stillCameraProblem(e: unknown): string {
  const name = e instanceof DOMException ? e.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return t('shared:camera.notAllowed');
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return t('shared:camera.notFound');
  if (name === 'NotReadableError' || name === 'AbortError') {
    return t('shared:camera.busy');
  }
  return t('shared:camera.failed');
}

function canvasJpeg(source: CanvasImageSource, width: number, height: number, quality: number): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return Promise.reject(new Error('no canvas'));
  ctx.drawImage(source, 0, 0, width, height);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('no image'))), 'image/jpeg', quality));
}

async function photoMode(track: MediaStreamTrack): Promise<Blob | null> {
  if (typeof ImageCapture === 'undefined') return null;
  const capture = new ImageCapture(track);
  try {
    const caps = await capture.getPhotoCapabilities();
    const w = caps.imageWidth?.max;
    const hgt = caps.imageHeight?.max;
    const blob = await capture.takePhoto(w && hgt ? { imageWidth: w, imageHeight: hgt } : undefined);
    return blob.size > 0 ? blob : null;
  } catch {
    try {
      const blob = await capture.takePhoto();
      return blob.size > 0 ? blob : null;
    } catch {
      return null;
    }
  }
}

/** The still, from the track shown in `preview` (which must be playing). */
export async function takeStill(track: MediaStreamTrack, preview: HTMLVideoElement): Promise<Blob> {
  const photo = await photoMode(track);
  if (photo) return photo;
  const s = track.getSettings();
  let w = s.width ?? preview.videoWidth;
  let hgt = s.height ?? preview.videoHeight;
  // A phone held upright reports the sensor's landscape size; the frame is portrait.
  if (preview.videoWidth && preview.videoHeight && preview.videoWidth < preview.videoHeight !== w < hgt) [w, hgt] = [hgt, w];
  return canvasJpeg(preview, w, hgt, 0.95);
}

/** Re-encodes a still that is over the size limit at lower JPEG quality (never fewer pixels). */
export async function withinLimit(blob: Blob, maxBytes: number): Promise<Blob> {
  if (blob.size <= maxBytes || typeof createImageBitmap !== 'function') return blob;
  const bitmap = await createImageBitmap(blob);
  try {
    let out = blob;
    for (const q of [0.9, 0.8, 0.7, 0.6]) {
      out = await canvasJpeg(bitmap, bitmap.width, bitmap.height, q);
      if (out.size <= maxBytes) break;
    }
    return out;
  } finally {
    bitmap.close();
  }
}
