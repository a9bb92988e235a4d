// Attention: every layer and head of BERT (each token sees every token: full squares) beside GPT (each token sees
// only the past: triangles). The cells GPT may not look at are not drawn at all.
import type { AttentionMap } from '../protocol.ts';
import { type PanelContext, showError } from './context.ts';
import { field, h } from './dom.ts';
import { drawLabelledMatrix, drawMatrix, sizedCanvas } from './heatmap.ts';

interface Side {
  name: 'bert' | 'gpt';
  grid: HTMLCanvasElement;
  big: HTMLCanvasElement;
  caption: HTMLElement;
  map: AttentionMap | null;
  layer: number;
  head: number;
}

const CELL = 84;
const GAP = 6;

function drawGrid(s: Side): void {
  const m = s.map;
  if (!m) return;
  const layers = m.maps.length;
  const heads = m.maps[0]?.length ?? 0;
  const t = m.tokens.length;
  const w = heads * (CELL + GAP) + 34;
  const hgt = layers * (CELL + GAP) + 18;
  const ctx = sizedCanvas(s.grid, w, hgt);
  ctx.clearRect(0, 0, w, hgt);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#444';
  for (let k = 0; k < heads; k++) ctx.fillText(`head ${k + 1}`, 34 + k * (CELL + GAP), 12);
  for (let l = 0; l < layers; l++) {
    ctx.fillStyle = '#444';
    ctx.fillText(`L${l + 1}`, 4, 18 + l * (CELL + GAP) + CELL / 2);
    for (let k = 0; k < heads; k++) {
      const x = 34 + k * (CELL + GAP);
      const y = 18 + l * (CELL + GAP);
      drawMatrix(ctx, m.maps[l]![k]!, t, x, y, CELL, { causal: s.name === 'gpt' });
      if (l === s.layer && k === s.head) {
        ctx.strokeStyle = '#d9480f';
        ctx.lineWidth = 2;
        ctx.strokeRect(x - 2, y - 2, CELL + 4, CELL + 4);
      }
    }
  }
  Object.assign(s.grid.dataset, {
    t: String(t),
    layers: String(layers),
    heads: String(heads),
    cell: String(CELL),
    gap: String(GAP),
    left: '34',
    top: '18',
  });
}

function drawBig(s: Side): void {
  const m = s.map;
  if (!m) return;
  const data = m.maps[s.layer]![s.head]!;
  drawLabelledMatrix(s.big, data, m.tokens, { causal: s.name === 'gpt', maxSize: 360 });
  s.caption.textContent = `layer ${s.layer + 1}, head ${s.head + 1}: row = the token that looks, column = the token it looks at`;
}

function makeSide(name: 'bert' | 'gpt', title: string, tagline: string): [Side, HTMLElement] {
  const grid = h('canvas', {
    'data-testid': `${name}-attention-grid`,
    tabindex: 0,
    role: 'img',
    'aria-label': `${title}: every layer and head; arrow keys pick one`,
  });
  const big = h('canvas', {
    'data-testid': `${name}-attention-big`,
    role: 'img',
    'aria-label': `${title}: the chosen head`,
  });
  const caption = h('p', { class: 'note' });
  const side: Side = { name, grid, big, caption, map: null, layer: 0, head: 0 };
  grid.addEventListener('click', (e) => {
    const r = grid.getBoundingClientRect();
    const k = Math.floor((e.clientX - r.left - 34) / (CELL + GAP));
    const l = Math.floor((e.clientY - r.top - 18) / (CELL + GAP));
    if (side.map && l >= 0 && k >= 0 && l < side.map.maps.length && k < (side.map.maps[0]?.length ?? 0)) {
      side.layer = l;
      side.head = k;
      drawGrid(side);
      drawBig(side);
    }
  });
  grid.addEventListener('keydown', (e) => {
    if (!side.map) return;
    const layers = side.map.maps.length;
    const heads = side.map.maps[0]?.length ?? 1;
    const d: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
    };
    const step = d[e.key];
    if (!step) return;
    e.preventDefault();
    side.layer = (side.layer + step[0] + layers) % layers;
    side.head = (side.head + step[1] + heads) % heads;
    drawGrid(side);
    drawBig(side);
  });
  const el = h(
    'section',
    { class: `card attention ${name}` },
    h('h3', {}, title),
    h('p', { class: 'tagline' }, tagline),
    h('div', { class: 'canvas-wrap' }, grid),
    h('div', { class: 'canvas-wrap' }, big),
    caption,
  );
  return [side, el];
}

export function createAttentionPanel(root: HTMLElement, ctx: PanelContext): void {
  const text = h('input', { id: 'att-text', type: 'text' });
  text.value = 'the whale struck the boat and the men fell into the sea';
  const status = h('p', { class: 'note', 'aria-live': 'polite' });
  const [bert, bertEl] = makeSide(
    'bert',
    'BERT — bidirectional',
    'every token sees every token: full squares',
  );
  const [gpt, gptEl] = makeSide('gpt', 'GPT — causal', 'each token sees only itself and the past: triangles');
  const run = async (): Promise<void> => {
    status.textContent = '…';
    try {
      await ctx.modelsReady;
      const r = await ctx.worker.call<{ bert: AttentionMap | null; gpt: AttentionMap | null }>({
        type: 'attention',
        text: text.value,
      }).result;
      for (const [side, map] of [
        [bert, r.bert],
        [gpt, r.gpt],
      ] as const) {
        side.map = map;
        side.layer = 0;
        side.head = 0;
        drawGrid(side);
        drawBig(side);
      }
      status.textContent = 'Click a map (or focus the grid and use the arrow keys) to enlarge it.';
      root.dataset.ready = 'true';
    } catch (e) {
      showError(status, e);
    }
  };
  root.append(
    h('p', { class: 'lead' }, 'The one picture that tells the two models apart: who may look at whom.'),
    h(
      'form',
      {
        class: 'card',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void run();
        },
      },
      field('Sentence', text),
      h('button', { id: 'att-run', type: 'submit' }, 'Show attention'),
      status,
    ),
    h('div', { class: 'two' }, bertEl, gptEl),
  );
  // the contrast is the point of the page: draw it as soon as both models are there
  void ctx.modelsReady.then(() => {
    if (root.dataset.ready !== 'true') void run();
  });
}
