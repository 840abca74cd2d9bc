// Painting the layout: a disc of the brush's class at each pointer position, joined along the drag, in
// the layout's own pixels (the canvas is shown scaled up).

export interface BrushTarget {
  canvas: HTMLCanvasElement;
  width: number;
  height: number;
  /** The class to paint and the disc's radius in layout pixels. */
  brush(): { cls: number; radius: number };
  /** Paints one disc into the layout; returns whether a pixel changed. */
  paint(x: number, y: number, cls: number, radius: number): boolean;
  /** After the pixels under a stroke changed (called per pointer event), and when a stroke ends. */
  changed(): void;
  ended(): void;
}

export function attachBrush(t: BrushTarget): void {
  let last: { x: number; y: number } | undefined;
  const at = (e: PointerEvent) => {
    const r = t.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * t.width, y: ((e.clientY - r.top) / r.height) * t.height };
  };
  const stroke = (to: { x: number; y: number }) => {
    const { cls, radius } = t.brush();
    const from = last ?? to;
    const steps = Math.max(1, Math.ceil(Math.hypot(to.x - from.x, to.y - from.y) / Math.max(0.5, radius / 2)));
    let any = false;
    for (let s = 1; s <= steps; s++) any = t.paint(from.x + ((to.x - from.x) * s) / steps, from.y + ((to.y - from.y) * s) / steps, cls, radius) || any;
    last = to;
    if (any) t.changed();
  };
  t.canvas.addEventListener('pointerdown', (e) => {
    t.canvas.setPointerCapture(e.pointerId);
    last = undefined;
    stroke(at(e));
  });
  t.canvas.addEventListener('pointermove', (e) => {
    if (t.canvas.hasPointerCapture(e.pointerId)) stroke(at(e));
  });
  const end = (e: PointerEvent) => {
    if (!t.canvas.hasPointerCapture(e.pointerId)) return;
    t.canvas.releasePointerCapture(e.pointerId);
    last = undefined;
    t.ended();
  };
  t.canvas.addEventListener('pointerup', end);
  t.canvas.addEventListener('pointercancel', end);
}

/** Sets the pixels within `radius` of (x, y) to `cls`; whether any changed. */
export function paintDisc(indices: Uint8Array, width: number, height: number, x: number, y: number, cls: number, radius: number): boolean {
  let changed = false;
  const r2 = radius * radius;
  for (let py = Math.max(0, Math.floor(y - radius)); py <= Math.min(height - 1, Math.ceil(y + radius)); py++)
    for (let px = Math.max(0, Math.floor(x - radius)); px <= Math.min(width - 1, Math.ceil(x + radius)); px++) {
      const dx = px + 0.5 - x;
      const dy = py + 0.5 - y;
      if (dx * dx + dy * dy > r2 && !(Math.floor(x) === px && Math.floor(y) === py)) continue;
      const i = py * width + px;
      if (indices[i] !== cls) {
        indices[i] = cls;
        changed = true;
      }
    }
  return changed;
}
