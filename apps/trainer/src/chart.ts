// A dependency-free SVG line chart for loss curves, redrawn at each evaluation.

export interface Series {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
  /** draw dots at the points (for sparse series such as evaluations) */
  dots?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** lines of text under the title (final figures, settings) */
  notes?: readonly string[];
  width?: number;
  height?: number;
  /** where the legend goes: top right (falling curves such as losses, the default) or bottom right (rising ones) */
  legend?: 'top-right' | 'bottom-right';
}

function niceStep(range: number, ticks: number): number {
  const raw = range / Math.max(1, ticks);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const n = raw / mag;
  return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return `${Math.round(v / 100) / 10}k`;
  return String(Number(v.toPrecision(3)));
}

/** An SVG document with the series as polylines on shared axes. */
export function lineChartSvg(o: ChartOptions): string {
  const width = o.width ?? 760;
  const height = o.height ?? 440;
  const notes = o.notes ?? [];
  const top = 40 + notes.length * 16;
  const left = 64;
  const right = 20;
  const bottom = 48;
  const pw = width - left - right;
  const ph = height - top - bottom;
  const all = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  let x0 = Math.min(0, ...all.map((p) => p[0]));
  let x1 = Math.max(1, ...all.map((p) => p[0]));
  let y0 = all.length ? Math.min(...all.map((p) => p[1])) : 0;
  let y1 = all.length ? Math.max(...all.map((p) => p[1])) : 1;
  if (y1 - y0 < 1e-9) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const ys = niceStep(y1 - y0, 6);
  y0 = Math.floor(y0 / ys) * ys;
  y1 = Math.ceil(y1 / ys) * ys;
  const xs = niceStep(x1 - x0, 8);
  x0 = Math.floor(x0 / xs) * xs;
  x1 = Math.ceil(x1 / xs) * xs;
  const sx = (x: number) => left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => top + ph - ((y - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${esc(o.title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="600">${esc(o.title)}</text>`,
  );
  notes.forEach((n, i) => {
    parts.push(`<text x="${left}" y="${40 + i * 16}" fill="#444">${esc(n)}</text>`);
  });
  for (let y = y0; y <= y1 + ys / 2; y += ys) {
    parts.push(
      `<line x1="${left}" x2="${left + pw}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" fill="#555">${fmt(y)}</text>`,
    );
  }
  for (let x = x0; x <= x1 + xs / 2; x += xs) {
    parts.push(
      `<line x1="${sx(x).toFixed(1)}" x2="${sx(x).toFixed(1)}" y1="${top}" y2="${top + ph}" stroke="#f0f0f0"/>`,
      `<text x="${sx(x).toFixed(1)}" y="${top + ph + 16}" text-anchor="middle" fill="#555">${fmt(x)}</text>`,
    );
  }
  parts.push(
    `<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
    `<text x="${left + pw / 2}" y="${height - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(16 ${top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  const legendX = left + pw - 36 - Math.max(...o.series.map((s) => s.name.length), 8) * 6.6;
  const legendY = o.legend === 'bottom-right' ? top + ph - 8 - o.series.length * 16 : top;
  // a white panel under the legend (drawn after the curves), so a curve that runs behind it does not hide the names
  const legend: string[] = [
    `<rect x="${(legendX - 6).toFixed(1)}" y="${legendY + 2}" width="${(left + pw - legendX).toFixed(1)}" height="${o.series.length * 16 + 4}" fill="white" fill-opacity="0.85"/>`,
  ];
  o.series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length > 0) {
      const d = pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${d}"/>`);
      if (s.dots)
        for (const [x, y] of pts)
          parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
    const ly = legendY + 14 + i * 16;
    legend.push(
      `<line x1="${legendX.toFixed(1)}" x2="${(legendX + 20).toFixed(1)}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`,
      `<text x="${(legendX + 25).toFixed(1)}" y="${ly}">${esc(s.name)}</text>`,
    );
  });
  parts.push(...legend, '</svg>');
  return `${parts.join('\n')}\n`;
}

/** An exponential moving average of (x, y) points, for a readable training-loss line. */
export function smooth(points: readonly (readonly [number, number])[], beta = 0.9): [number, number][] {
  let avg = 0;
  return points.map(([x, y], i) => {
    avg = beta * avg + (1 - beta) * y;
    return [x, avg / (1 - beta ** (i + 1))];
  });
}
