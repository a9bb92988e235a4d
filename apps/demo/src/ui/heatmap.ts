// Matrices on canvas: attention maps (row = query token, column = key token) and similarity maps. Masked cells
// (GPT's future) are not drawn at all, so they stay transparent: the triangle shows at a glance.

/** White → deep blue for 0 → 1 (values clamped). */
export function colour(v: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, v));
  const g = Math.sqrt(x); // attention is peaky: a square root keeps small weights visible
  return [Math.round(255 - 225 * g), Math.round(255 - 185 * g), Math.round(255 - 90 * g)];
}

/** Blue for +1, white for 0, red for −1 (cosine similarity). */
export function diverging(v: number): [number, number, number] {
  const x = Math.min(1, Math.max(-1, v));
  if (x >= 0) return [Math.round(255 - 215 * x), Math.round(255 - 155 * x), Math.round(255 - 40 * x)];
  return [Math.round(255 + 35 * x), Math.round(255 + 195 * x), Math.round(255 + 195 * x)];
}

export interface MatrixOptions {
  /** leave cells above the diagonal undrawn where the weight is 0 (a causal model's masked future); a model
   * that leaked the future would show there */
  causal?: boolean;
  palette?: (v: number) => [number, number, number];
  /** scale values by the matrix maximum first */
  normalize?: boolean;
}

/** Draws a T×T matrix into the square (x, y, size) of `ctx`, pixel-aligned. */
export function drawMatrix(
  ctx: CanvasRenderingContext2D,
  data: ArrayLike<number>,
  t: number,
  x: number,
  y: number,
  size: number,
  o: MatrixOptions = {},
): void {
  const palette = o.palette ?? colour;
  let max = 1;
  if (o.normalize) {
    max = 0;
    for (let i = 0; i < data.length; i++) max = Math.max(max, Math.abs(data[i]!));
    if (max === 0) max = 1;
  }
  for (let i = 0; i < t; i++) {
    for (let j = 0; j < t; j++) {
      const v = data[i * t + j]!;
      if (o.causal && j > i && Math.abs(v) < 1e-9) continue;
      const [r, g, b] = palette(v / max);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      const x0 = x + Math.floor((j * size) / t);
      const x1 = x + Math.floor(((j + 1) * size) / t);
      const y0 = y + Math.floor((i * size) / t);
      const y1 = y + Math.floor(((i + 1) * size) / t);
      ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    }
  }
}

/** A canvas sized for the device's pixel ratio, drawn in CSS pixels. */
export function sizedCanvas(
  canvas: HTMLCanvasElement,
  width: number,
  height: number,
): CanvasRenderingContext2D {
  const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** A labelled matrix: token labels along the top (rotated) and the left. */
export function drawLabelledMatrix(
  canvas: HTMLCanvasElement,
  data: ArrayLike<number>,
  tokens: readonly string[],
  o: MatrixOptions & { maxSize?: number } = {},
): void {
  const t = tokens.length;
  const label = Math.min(90, 8 + 7 * Math.max(...tokens.map((s) => s.length), 1));
  const avail = Math.min(o.maxSize ?? 420, (canvas.parentElement?.clientWidth ?? 420) - label - 4);
  const cell = Math.max(6, Math.min(28, Math.floor(avail / Math.max(t, 1))));
  const size = cell * t;
  const ctx = sizedCanvas(canvas, label + size + 2, label + size + 2);
  ctx.clearRect(0, 0, label + size + 2, label + size + 2);
  ctx.font = `${Math.min(12, cell - 1)}px system-ui, sans-serif`;
  ctx.fillStyle = '#333';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  tokens.forEach((s, i) => {
    ctx.fillText(clip(s, 12), label - 4, label + (i + 0.5) * cell);
  });
  ctx.save();
  ctx.translate(label, label - 4);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'left';
  tokens.forEach((s, j) => {
    ctx.fillText(clip(s, 12), 0, (j + 0.5) * cell);
  });
  ctx.restore();
  drawMatrix(ctx, data, t, label, label, size, o);
  canvas.dataset.t = String(t);
  canvas.dataset.origin = String(label);
  canvas.dataset.cell = String(cell);
}

function clip(s: string, n: number): string {
  const v = s.replace(/\n/g, '↵');
  return v.length > n ? `${v.slice(0, n - 1)}…` : v;
}
