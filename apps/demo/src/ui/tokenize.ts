// Tokenize: the same text as bert-base-uncased WordPiece and GPT-2 byte-level BPE pieces, side by side.
import type { TokenizeResult, TokenView } from '../protocol.ts';
import { type PanelContext, showError } from './context.ts';
import { debounce, field, h, showToken, tokenColour } from './dom.ts';

function chips(tokens: readonly TokenView[], withSegments = false): HTMLElement {
  return h(
    'div',
    { class: 'chips' },
    ...tokens.map((t, i) =>
      h(
        'span',
        {
          class: `chip${withSegments ? ` seg${t.segment ?? 0}` : ''}`,
          style: withSegments ? undefined : `background:${tokenColour(i)}`,
          title: `id ${t.id} · ${JSON.stringify(t.token)} · chars ${t.offset[0]}–${t.offset[1]}${withSegments ? ` · segment ${t.segment}` : ''}`,
        },
        h('span', { class: 'piece' }, showToken(t.text)),
        h('small', {}, String(t.id)),
      ),
    ),
  );
}

function column(title: string, note: string, tokens: readonly TokenView[], testid: string): HTMLElement {
  return h(
    'section',
    { class: 'card' },
    h(
      'h3',
      {},
      title,
      ' ',
      h('span', { class: 'count', 'data-testid': `${testid}-count` }, `${tokens.length} tokens`),
    ),
    h('p', { class: 'note' }, note),
    chips(tokens),
    h(
      'details',
      {},
      h('summary', {}, 'ids'),
      h('code', { 'data-testid': `${testid}-ids` }, JSON.stringify(tokens.map((t) => t.id))),
    ),
  );
}

export function createTokenizePanel(root: HTMLElement, ctx: PanelContext): void {
  const text = h('textarea', { id: 'tok-text', rows: 3 });
  text.value = 'Call me Ishmael. Unbelievably, the whale’s tail-fluke struck the boat — twice!';
  const pair = h('input', {
    id: 'tok-pair',
    type: 'text',
    placeholder: 'a second sentence (optional): shows the BERT pair',
  });
  pair.value = 'It sank.';
  const out = h('div', { class: 'two', 'data-testid': 'tok-out', 'aria-live': 'polite' });
  const pairOut = h('div', { 'data-testid': 'tok-pair-out' });
  let seq = 0;
  const run = async (): Promise<void> => {
    const mine = ++seq;
    try {
      const r = await ctx.worker.call<TokenizeResult>({
        type: 'tokenize',
        text: text.value,
        pair: pair.value,
      }).result;
      if (mine !== seq) return;
      out.replaceChildren(
        column(
          'BERT WordPiece',
          'bert-base-uncased, 30,522 pieces: lower-cased, accents stripped, ## marks a piece inside a word',
          r.wordpiece,
          'wp',
        ),
        column(
          'GPT-2 byte-level BPE',
          '50,257 pieces over bytes: case and spaces kept (a leading space is part of the token)',
          r.bpe,
          'bpe',
        ),
      );
      pairOut.replaceChildren(
        ...(r.pair
          ? [
              h('h3', {}, 'BERT sentence pair: [CLS] A [SEP] B [SEP]'),
              h(
                'p',
                { class: 'note' },
                'segment ids (token_type_ids): ',
                h('span', { class: 'chip seg0' }, '0 = A'),
                ' ',
                h('span', { class: 'chip seg1' }, '1 = B'),
              ),
              chips(r.pair, true),
              h('code', { 'data-testid': 'pair-segments' }, JSON.stringify(r.pair.map((t) => t.segment))),
            ]
          : []),
      );
      root.dataset.ready = 'true';
    } catch (e) {
      showError(out, e);
    }
  };
  const later = debounce(() => void run(), 150);
  text.addEventListener('input', later);
  pair.addEventListener('input', later);
  root.append(
    h(
      'p',
      { class: 'lead' },
      'BERT reads text as WordPiece pieces; GPT-2 as byte-level BPE pieces. Type to compare.',
    ),
    field('Text', text),
    field('Second sentence', pair),
    out,
    pairOut,
  );
  void run();
}
