import { Generator } from '@tsformer/tensor';
import { WordPieceTokenizer } from '@tsformer/tokenizer';
import { describe, expect, it } from 'vitest';
import { encodeExamples, epochBatches, makeBatch } from './encode.ts';

// a hand-made vocabulary, so every expected id below is known without running the code
const VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  'the',
  'white',
  'whale',
  'harp',
  '##oon',
  '##eers',
  'u',
  '.',
  's',
  'sea',
  'sank',
];
const tok = new WordPieceTokenizer(VOCAB);
const id = (t: string) => VOCAB.indexOf(t);
const o = (maxLength: number, labels: string[] = []) => ({ family: 'bert' as const, maxLength, labels });

describe('encodeExamples (BERT)', () => {
  it('labels the first piece of each word and leaves the other pieces and the specials unscored', () => {
    const [f] = encodeExamples(
      'token',
      [{ tokens: ['harpooneers', 'U.S.', 'sank'], tags: ['A', 'B', 'A'] }],
      tok,
      o(32, ['A', 'B']),
    );
    expect(Array.from(f!.ids)).toEqual(
      ['[CLS]', 'harp', '##oon', '##eers', 'u', '.', 's', '.', 'sank', '[SEP]'].map(id),
    );
    expect(Array.from(f!.tokenLabels!)).toEqual([-100, 0, -100, -100, 1, -100, -100, -100, 0, -100]);
    expect(Array.from(f!.wordStarts!)).toEqual([1, 4, 8]);
  });

  it('cuts whole words at the length limit and marks them as not predicted', () => {
    const words = ['the', 'white', 'whale', 'harpooneers', 'sank'];
    const [f] = encodeExamples('token', [{ tokens: words, tags: words.map(() => 'A') }], tok, o(8, ['A']));
    expect(Array.from(f!.ids)).toEqual(
      ['[CLS]', 'the', 'white', 'whale', 'harp', '##oon', '##eers', '[SEP]'].map(id),
    );
    expect(Array.from(f!.wordStarts!)).toEqual([1, 2, 3, 4, -1]);
  });

  it('puts pairs in [CLS] a [SEP] b [SEP] with segment ids 0 then 1, cutting the longer text first', () => {
    const [f] = encodeExamples(
      'pair',
      [{ textA: 'the white whale', textB: 'sank', label: 'x' }],
      tok,
      o(32, ['x']),
    );
    expect(Array.from(f!.ids)).toEqual(['[CLS]', 'the', 'white', 'whale', '[SEP]', 'sank', '[SEP]'].map(id));
    expect(Array.from(f!.types)).toEqual([0, 0, 0, 0, 0, 1, 1]);
    expect(f!.label).toBe(0);
    const [g] = encodeExamples(
      'pair',
      [{ textA: 'the white whale the sea the', textB: 'sank', label: 'x' }],
      tok,
      o(8, ['x']),
    );
    expect(Array.from(g!.ids)).toEqual(
      ['[CLS]', 'the', 'white', 'whale', 'the', '[SEP]', 'sank', '[SEP]'].map(id),
    );
  });

  it('maps a QA answer to its first and last token, and an answer cut off to [CLS]', () => {
    const ex = {
      question: 'the sea',
      context: 'the white whale sank',
      answer: { text: 'white whale', start: 4 },
    };
    const [f] = encodeExamples('qa', [ex], tok, o(32));
    // [CLS] the sea [SEP] the white whale sank [SEP]
    expect(Array.from(f!.ids)).toEqual(
      ['[CLS]', 'the', 'sea', '[SEP]', 'the', 'white', 'whale', 'sank', '[SEP]'].map(id),
    );
    expect([f!.start, f!.end]).toEqual([5, 6]);
    expect(Array.from(f!.types)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(f!.contextOffsets!.slice(10, 14))).toEqual([4, 9, 10, 15]);
    const late = {
      question: 'the sea',
      context: 'the white whale sank the sea',
      answer: { text: 'sank', start: 16 },
    };
    const [cut] = encodeExamples('qa', [late], tok, o(8)); // room for "the white whale" only
    expect(cut!.ids.length).toBe(8);
    expect([cut!.start, cut!.end]).toEqual([0, 0]);
  });

  it('never exceeds the length limit, whatever the kind', () => {
    const long = 'the white whale sank the sea '.repeat(20);
    for (const max of [8, 9, 16, 40]) {
      const fs = [
        ...encodeExamples('sequence', [{ text: long, label: 'x' }], tok, o(max, ['x'])),
        ...encodeExamples('pair', [{ textA: long, textB: long, label: 'x' }], tok, o(max, ['x'])),
        ...encodeExamples(
          'token',
          [
            {
              tokens: long.trim().split(' '),
              tags: long
                .trim()
                .split(' ')
                .map(() => 'x'),
            },
          ],
          tok,
          o(max, ['x']),
        ),
        ...encodeExamples(
          'qa',
          [{ question: long, context: long, answer: { text: 'sank', start: 16 } }],
          tok,
          o(max),
        ),
      ];
      for (const f of fs) expect(f.ids.length).toBeLessThanOrEqual(max);
    }
  });
});

describe('batches', () => {
  it('pad to the longest row with the pad id and a 0 attention mask', () => {
    const fs = encodeExamples(
      'sequence',
      [
        { text: 'the', label: 'x' },
        { text: 'the white whale', label: 'x' },
      ],
      tok,
      o(16, ['x']),
    );
    const b = makeBatch('sequence', fs, [0, 1], 0);
    expect(b.inputIds.shape).toEqual([2, 5]);
    expect(Array.from(b.attentionMask.dataSync())).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(b.inputIds.dataSync()).slice(0, 5)).toEqual([
      id('[CLS]'),
      id('the'),
      id('[SEP]'),
      0,
      0,
    ]);
  });

  it('cover every row once per epoch, in a seeded order', () => {
    const fs = encodeExamples(
      'sequence',
      Array.from({ length: 50 }, (_, i) => ({ text: 'the white whale'.slice(0, 3 + (i % 12)), label: 'x' })),
      tok,
      o(16, ['x']),
    );
    const a = epochBatches(fs, 8, new Generator(1));
    expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(epochBatches(fs, 8, new Generator(1))).toEqual(a);
    expect(epochBatches(fs, 8, new Generator(2))).not.toEqual(a);
  });
});
