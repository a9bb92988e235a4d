// BERT: fill-mask (top 5 per [MASK]), next-sentence prediction, and a token-by-token similarity map of the hidden
// states (the features a fine-tuned head reads). All three through @tsformer/pipelines.
import type { FillMaskCandidate } from '../protocol.ts';
import { type PanelContext, showError } from './context.ts';
import { field, fmt, h } from './dom.ts';
import { diverging, drawLabelledMatrix } from './heatmap.ts';

export function createBertPanel(root: HTMLElement, ctx: PanelContext): void {
  // fill-mask
  const maskText = h('input', { id: 'mask-text', type: 'text' });
  maskText.value = 'the whale swam under the [MASK].';
  const maskOut = h('div', { 'data-testid': 'mask-out', 'aria-live': 'polite' });
  const fill = async (): Promise<void> => {
    maskOut.textContent = '…';
    try {
      await ctx.modelsReady;
      const lists = await ctx.worker.call<FillMaskCandidate[][]>({
        type: 'fill-mask',
        text: maskText.value,
        topK: 5,
      }).result;
      maskOut.replaceChildren(
        ...lists.map((list, k) =>
          h(
            'ol',
            { class: 'bars', 'aria-label': `candidates for mask ${k + 1}` },
            ...list.map((c, i) =>
              h(
                'li',
                { 'data-token': c.token, 'data-rank': i + 1 },
                h('span', { class: 'word' }, c.token),
                h('span', { class: 'bar', style: `width:${Math.max(1, c.score * 100)}%` }),
                h('span', { class: 'pct' }, `${fmt(c.score * 100)} %`),
              ),
            ),
          ),
        ),
      );
    } catch (e) {
      showError(maskOut, e);
    }
  };
  const fillButton = h('button', { id: 'mask-run', type: 'submit' }, 'Fill the mask');

  // next sentence
  const a = h('input', { id: 'nsp-a', type: 'text' });
  a.value = 'the boat was lowered into the sea.';
  const b = h('input', { id: 'nsp-b', type: 'text' });
  b.value = 'the men began to row towards the whale.';
  const nspOut = h('p', { 'data-testid': 'nsp-out', 'aria-live': 'polite' });
  const nsp = async (): Promise<void> => {
    nspOut.textContent = '…';
    try {
      await ctx.modelsReady;
      const r = await ctx.worker.call<{ is_next: boolean; score: number }>({
        type: 'nsp',
        a: a.value,
        b: b.value,
      }).result;
      nspOut.replaceChildren(
        h('strong', {}, r.is_next ? 'B follows A' : 'B does not follow A'),
        ` — P(IsNext) = ${fmt(r.score * 100)} %`,
        h('meter', { min: 0, max: 1, value: r.score, 'aria-label': 'probability that B follows A' }),
      );
    } catch (e) {
      showError(nspOut, e);
    }
  };

  // similarity
  const simText = h('input', { id: 'sim-text', type: 'text' });
  simText.value = 'the whale and the sea, the captain and the ship.';
  const simCanvas = h('canvas', {
    'data-testid': 'sim-canvas',
    role: 'img',
    'aria-label': 'token similarity map',
  });
  const simOut = h('p', { class: 'note' });
  const sim = async (): Promise<void> => {
    try {
      await ctx.modelsReady;
      const r = await ctx.worker.call<{ tokens: string[]; matrix: Float32Array }>({
        type: 'similarity',
        text: simText.value,
      }).result;
      drawLabelledMatrix(simCanvas, r.matrix, r.tokens, { palette: diverging });
      simOut.textContent =
        'cosine similarity of the last hidden states: blue = alike, white = unrelated, red = opposite';
    } catch (e) {
      showError(simOut, e);
    }
  };

  root.append(
    h(
      'p',
      { class: 'lead' },
      'BERT reads the whole sentence at once, in both directions: it fills gaps, judges sentence pairs, and gives one vector per token.',
    ),
    h(
      'form',
      {
        class: 'card',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void fill();
        },
      },
      h('h3', {}, 'Fill the mask'),
      field('Text with [MASK]', maskText),
      fillButton,
      maskOut,
    ),
    h(
      'form',
      {
        class: 'card',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void nsp();
        },
      },
      h('h3', {}, 'Next sentence?'),
      field('Sentence A', a),
      field('Sentence B', b),
      h('button', { id: 'nsp-run', type: 'submit' }, 'Judge'),
      nspOut,
    ),
    h(
      'form',
      {
        class: 'card',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void sim();
        },
      },
      h('h3', {}, 'Token similarity (features)'),
      field('Text', simText),
      h('button', { id: 'sim-run', type: 'submit' }, 'Compare tokens'),
      h('div', { class: 'canvas-wrap' }, simCanvas),
      simOut,
    ),
  );
}
