// A dependency-free SVG confusion matrix: rows are gold labels, columns predicted labels, each cell shaded by its
// share of its row (so a class's recall reads along the diagonal whatever its size) and labelled with its count.
//
// With more than `maxLabels` labels (default 30; e.g. the 100-odd tags of a POS task) only the `maxLabels` labels
// with the most gold examples are drawn, in their given order, and the rest are summed into a last "other" row and
// column (a subtitle says so); a cell's tooltip gives the full label names, the count and the row share.

export interface ConfusionOptions {
  /** the label names, in the order of the matrix's rows and columns */
  labels: readonly string[];
  /** matrix[gold][predicted]: counts */
  matrix: readonly (readonly number[])[];
  title: string;
  /** the most labels drawn before the rest are summed into "other" (default 30) */
  maxLabels?: number;
}

/** Label names longer than this many characters are cut, with an ellipsis. */
const MAX_LABEL_CHARS = 14;

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function cut(s: string): string {
  const chars = Array.from(s);
  return chars.length > MAX_LABEL_CHARS ? `${chars.slice(0, MAX_LABEL_CHARS - 1).join('')}…` : s;
}

/** A count in at most 4 characters: 999, 1.2k, 12k, 1.2M. */
function fmtCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** The labels and matrix to draw: all, or the `max` with the most gold examples plus an "other" bucket. */
export function collapseConfusion(
  labels: readonly string[],
  matrix: readonly (readonly number[])[],
  max: number,
): { labels: string[]; matrix: number[][]; collapsed: number } {
  const k = labels.length;
  if (k <= max) return { labels: [...labels], matrix: matrix.map((r) => [...r]), collapsed: 0 };
  const support = matrix.map((r) => r.reduce((a, b) => a + b, 0));
  const predicted = labels.map((_, c) => matrix.reduce((a, r) => a + r[c]!, 0));
  const kept = labels
    .map((_, i) => i)
    .sort((a, b) => support[b]! - support[a]! || predicted[b]! - predicted[a]! || a - b)
    .slice(0, max)
    .sort((a, b) => a - b);
  const slot = new Array<number>(k).fill(max);
  kept.forEach((i, s) => {
    slot[i] = s;
  });
  const out = Array.from({ length: max + 1 }, () => new Array<number>(max + 1).fill(0));
  for (let g = 0; g < k; g++) for (let p = 0; p < k; p++) out[slot[g]!]![slot[p]!]! += matrix[g]![p]!;
  const keptNames = kept.map((i) => labels[i]!);
  const other = keptNames.includes('other') ? '(other)' : 'other';
  return { labels: [...keptNames, other], matrix: out, collapsed: k - max };
}

/** A standalone SVG document of the confusion matrix. Throws a RangeError when the matrix is not labels × labels. */
export function confusionMatrixSvg(o: ConfusionOptions): string {
  const n0 = o.labels.length;
  if (o.matrix.length !== n0 || o.matrix.some((r) => r.length !== n0))
    throw new RangeError(`the confusion matrix must be ${n0} × ${n0}, one row and column per label`);
  const max = Math.max(1, Math.floor(o.maxLabels ?? 30));
  const { labels, matrix, collapsed } = collapseConfusion(o.labels, o.matrix, max);
  const n = labels.length;
  const cell = Math.max(22, Math.min(56, Math.floor(620 / Math.max(1, n))));
  const fontSize = cell >= 34 ? 12 : cell >= 26 ? 10 : 8;
  const labelWidth = Math.ceil(Math.max(3, ...labels.map((l) => Array.from(cut(l)).length)) * 6.6) + 8;
  const notes: string[] = [];
  if (collapsed > 0)
    notes.push(
      `the ${max} labels with the most gold examples of ${n0}; the other ${collapsed} are summed in "${labels[n - 1]}"`,
    );
  notes.push('rows: gold labels; cells shaded by the share of their row, numbers are counts');
  const top = 48 + notes.length * 16;
  const left = 36 + labelWidth;
  const gridW = n * cell;
  const textWidth = Math.max(o.title.length * 8.5, ...notes.map((t) => t.length * 6.6)) + 32;
  const width = Math.ceil(Math.max(left + gridW + 20, textWidth, 320));
  const height = top + gridW + labelWidth + 36;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${esc(o.title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="16" y="22" font-size="15" font-weight="600">${esc(o.title)}</text>`,
  );
  notes.forEach((t, i) => {
    parts.push(`<text x="16" y="${40 + i * 16}" fill="#444">${esc(t)}</text>`);
  });
  parts.push(
    `<text transform="translate(18 ${top + gridW / 2}) rotate(-90)" text-anchor="middle" font-weight="600">gold</text>`,
  );
  for (let g = 0; g < n; g++) {
    const row = matrix[g]!;
    const rowSum = row.reduce((a, b) => a + b, 0);
    const y = top + g * cell;
    for (let p = 0; p < n; p++) {
      const count = row[p]!;
      const share = rowSum > 0 ? count / rowSum : 0;
      const x = left + p * cell;
      // white → #08306b (matplotlib's Blues at its darkest), linearly in the row share
      const r = Math.round(255 + (8 - 255) * share);
      const gr = Math.round(255 + (48 - 255) * share);
      const b = Math.round(255 + (107 - 255) * share);
      const tip = `gold ${labels[g]} → predicted ${labels[p]}: ${count} (${(share * 100).toFixed(1)}% of the row)`;
      parts.push(
        `<g><title>${esc(tip)}</title><rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${r},${gr},${b})" stroke="#ddd"/>` +
          (count > 0
            ? `<text x="${x + cell / 2}" y="${y + cell / 2 + fontSize * 0.35}" text-anchor="middle" font-size="${fontSize}" fill="${share > 0.5 ? 'white' : '#222'}">${fmtCount(count)}</text>`
            : '') +
          '</g>',
      );
    }
  }
  parts.push(`<rect x="${left}" y="${top}" width="${gridW}" height="${gridW}" fill="none" stroke="#999"/>`);
  labels.forEach((l, i) => {
    const c = i * cell + cell / 2;
    parts.push(
      `<text x="${left - 6}" y="${(top + c + 4).toFixed(1)}" text-anchor="end"><title>${esc(l)}</title>${esc(cut(l))}</text>`,
      `<text transform="translate(${(left + c + 4).toFixed(1)} ${top + gridW + 6}) rotate(-90)" text-anchor="end"><title>${esc(l)}</title>${esc(cut(l))}</text>`,
    );
  });
  parts.push(
    `<text x="${left + gridW / 2}" y="${height - 10}" text-anchor="middle" font-weight="600">predicted</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
