// Where pictures go on the call's stage: your own in one of its four corners,
// moved by dragging (it settles in the nearest corner) or by the "Move my
// picture" button (the next corner, clockwise); the others' in a grid of as
// many columns as shows them largest. Pure: tested under Node.

export const CORNERS = ['top-right', 'bottom-right', 'bottom-left', 'top-left'] as const;
export type Corner = (typeof CORNERS)[number];

/** The corner after `c`, clockwise. */
export function nextCorner(c: Corner): Corner {
  return CORNERS[(CORNERS.indexOf(c) + 1) % CORNERS.length]!;
}

/** The corner nearest a point (the picture's centre) inside a box of `width` x `height`. */
export function nearestCorner(x: number, y: number, width: number, height: number): Corner {
  const top = y < height / 2;
  const left = x < width / 2;
  if (top) return left ? 'top-left' : 'top-right';
  return left ? 'bottom-left' : 'bottom-right';
}

/** Keeps a box of `size` inside `0..room` (a dragged picture never leaves the stage). */
export function clamp(at: number, size: number, room: number): number {
  return Math.min(Math.max(0, at), Math.max(0, room - size));
}

/**
 * How many columns the others' videos share the stage in: the count that
 * shows each whole picture (`aspect` width/height, letterboxed) largest.
 */
export function bestColumns(count: number, width: number, height: number, aspect = 4 / 3): number {
  let best = 1;
  let bestArea = -1;
  for (let cols = 1; cols <= Math.max(1, count); cols++) {
    const rows = Math.ceil(count / cols);
    const w = width / cols;
    const h = height / rows;
    const shown = Math.min(w, h * aspect) * Math.min(h, w / aspect);
    if (shown > bestArea + 0.5) {
      best = cols;
      bestArea = shown;
    }
  }
  return best;
}
