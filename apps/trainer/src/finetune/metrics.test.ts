import { describe, expect, it } from 'vitest';
import {
  binaryF1,
  classificationReport,
  normalizeAnswer,
  squadExactMatch,
  squadF1,
  squadMetrics,
  tokenReport,
} from './metrics.ts';

// Every expected number below was worked out by hand from the definitions, in the comments; none was copied
// from the code's output.

describe('classificationReport', () => {
  it('scores three classes', () => {
    // gold a a a b b c, predicted a a b b c c.
    // confusion (rows gold): a [2 1 0], b [0 1 1], c [0 0 1]; accuracy = (2+1+1)/6 = 2/3
    // a: TP 2, FP 0, FN 1 → P 1, R 2/3, F1 = 2·2/(4+0+1) = 4/5
    // b: TP 1, FP 1, FN 1 → P 1/2, R 1/2, F1 = 2/(2+1+1) = 1/2
    // c: TP 1, FP 1, FN 0 → P 1/2, R 1, F1 = 2/(2+1) = 2/3
    // macro-F1 = (4/5 + 1/2 + 2/3)/3 = (24 + 15 + 20)/30/3 = 59/90
    const r = classificationReport([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], ['a', 'b', 'c']);
    expect(r.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(r.accuracy).toBeCloseTo(2 / 3, 12);
    const expected = [
      ['a', 1, 2 / 3, 4 / 5, 3],
      ['b', 1 / 2, 1 / 2, 1 / 2, 2],
      ['c', 1 / 2, 1, 2 / 3, 1],
    ] as const;
    r.perClass.forEach((c, i) => {
      const [label, p, rc, f1, support] = expected[i]!;
      expect(c.label).toBe(label);
      expect(c.precision).toBeCloseTo(p, 12);
      expect(c.recall).toBeCloseTo(rc, 12);
      expect(c.f1).toBeCloseTo(f1, 12);
      expect(c.support).toBe(support);
    });
    expect(r.macroF1).toBeCloseTo(59 / 90, 12);
  });

  it('scores 0 where a denominator is 0, and leaves unseen labels out of the macro mean', () => {
    // gold neg neg pos, predicted neg neg neg; "neutral" is neither in gold nor predicted.
    // neg: TP 2, FP 1, FN 0 → P 2/3, R 1, F1 = 4/(4+1) = 4/5
    // pos: TP 0, FP 0 (never predicted: P = 0/0 → 0), FN 1 → R 0, F1 0
    // neutral: all 0, support 0, not in the macro mean → macro-F1 = (4/5 + 0)/2 = 2/5; accuracy 2/3
    const r = classificationReport([0, 0, 1], [0, 0, 0], ['neg', 'pos', 'neutral']);
    expect(r.perClass[1]).toEqual({ label: 'pos', precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.perClass[2]).toEqual({ label: 'neutral', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(r.perClass[0]!.precision).toBeCloseTo(2 / 3, 12);
    expect(r.perClass[0]!.recall).toBe(1);
    expect(r.macroF1).toBeCloseTo(2 / 5, 12);
    expect(r.accuracy).toBeCloseTo(2 / 3, 12);
    expect(binaryF1(r, 'pos')).toBe(0);
    expect(binaryF1(r, 'neg')).toBeCloseTo(4 / 5, 12);
    expect(() => binaryF1(r, 'spam')).toThrow(/no label "spam"/);
  });

  it('scores a binary spam classifier', () => {
    // gold  spam spam spam ham ham ham ham ham; predicted spam spam ham spam ham ham ham ham
    // spam: TP 2, FP 1, FN 1 → P = R = F1 = 2/3; ham: TP 4, FP 1, FN 1 → P = R = F1 = 4/5
    // accuracy 6/8 = 3/4; macro-F1 = (2/3 + 4/5)/2 = 11/15
    const r = classificationReport([1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0, 0, 0], ['ham', 'spam']);
    expect(r.accuracy).toBe(0.75);
    expect(binaryF1(r, 'spam')).toBeCloseTo(2 / 3, 12);
    expect(binaryF1(r, 'ham')).toBeCloseTo(4 / 5, 12);
    expect(r.macroF1).toBeCloseTo(11 / 15, 12);
  });

  it('handles no examples and rejects bad input', () => {
    const r = classificationReport([], [], ['a', 'b']);
    expect([r.accuracy, r.macroF1]).toEqual([0, 0]);
    expect(() => classificationReport([0], [], ['a'])).toThrow(RangeError);
    expect(() => classificationReport([0], [2], ['a', 'b'])).toThrow(/\[0, 2\)/);
  });
});

describe('tokenReport', () => {
  it('scores per word, with tags only predicted included', () => {
    // words (gold → predicted): DET→DET ✓, NOUN→VERB, VERB→VERB ✓ | NOUN→NOUN ✓, VERB→ADJ; accuracy 3/5
    // ADJ (only predicted): TP 0, FP 1, FN 0 → P 0, R 0/0 → 0, F1 0, support 0
    // DET: TP 1, FP 0, FN 0 → 1, 1, 1, support 1
    // NOUN: TP 1, FP 0, FN 1 → P 1, R 1/2, F1 = 2/(2+0+1) = 2/3, support 2
    // VERB: TP 1, FP 1, FN 1 → 1/2, 1/2, 1/2, support 2
    // macro-F1 = (0 + 1 + 2/3 + 1/2)/4 = (13/6)/4 = 13/24
    const r = tokenReport(
      [
        ['DET', 'NOUN', 'VERB'],
        ['NOUN', 'VERB'],
      ],
      [
        ['DET', 'VERB', 'VERB'],
        ['NOUN', 'ADJ'],
      ],
    );
    expect(r.tokenAccuracy).toBeCloseTo(3 / 5, 12);
    expect(r.perTag.map((t) => t.tag)).toEqual(['ADJ', 'DET', 'NOUN', 'VERB']);
    expect(r.perTag.map((t) => t.support)).toEqual([0, 1, 2, 2]);
    expect(r.perTag[0]).toEqual({ tag: 'ADJ', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(r.perTag[2]!.recall).toBeCloseTo(1 / 2, 12);
    expect(r.perTag[2]!.f1).toBeCloseTo(2 / 3, 12);
    expect(r.perTag[3]!.precision).toBeCloseTo(1 / 2, 12);
    expect(r.macroF1).toBeCloseTo(13 / 24, 12);
    expect(r.confusion).toEqual([
      [0, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 1],
      [1, 0, 0, 1],
    ]);
  });

  it('includes tags only in gold', () => {
    // X→X ✓, Y→X: X: TP 1, FP 1, FN 0 → P 1/2, R 1, F1 2/3; Y: never predicted → 0, 0, 0, support 1
    // macro-F1 = (2/3 + 0)/2 = 1/3; accuracy 1/2
    const r = tokenReport([['X', 'Y']], [['X', 'X']]);
    expect(r.perTag.map((t) => [t.tag, t.support])).toEqual([
      ['X', 1],
      ['Y', 1],
    ]);
    expect(r.perTag[1]).toEqual({ tag: 'Y', precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.macroF1).toBeCloseTo(1 / 3, 12);
    expect(r.tokenAccuracy).toBe(0.5);
    expect(() => tokenReport([['X']], [['X', 'Y']])).toThrow(/sentence 0/);
  });
});

describe('SQuAD v1.1', () => {
  it('normalises as the official script does', () => {
    // lower → drop string.punctuation → replace \b(a|an|the)\b by a space → ' '.join(text.split())
    expect(normalizeAnswer('The Cat')).toBe('cat');
    expect(normalizeAnswer('An apple, a day.')).toBe('apple day');
    expect(normalizeAnswer('  Denver   Broncos! ')).toBe('denver broncos');
    expect(normalizeAnswer('theater')).toBe('theater');
    expect(normalizeAnswer('U.S.A.')).toBe('usa');
    // punctuation goes before articles: "the-end" → "theend", no article left
    expect(normalizeAnswer('The-End')).toBe('theend');
    expect(normalizeAnswer("it's")).toBe('its');
    // only ASCII punctuation: "¿" stays
    expect(normalizeAnswer('¿Qué?')).toBe('¿qué');
    // Python 3's \b is Unicode-aware: é is a word character, so "the" in "caféthe" is no word
    expect(normalizeAnswer('caféthe')).toBe('caféthe');
    expect(normalizeAnswer('la the')).toBe('la');
    // str.split(): NBSP and U+001C are whitespace, U+FEFF is not
    expect(normalizeAnswer('x\u00a0y\u001cz')).toBe('x y z');
    expect(normalizeAnswer('x\ufeffy')).toBe('x\ufeffy');
  });

  it('scores exact match and token F1 per example', () => {
    expect(squadExactMatch('the Denver Broncos', 'Denver Broncos')).toBe(1);
    // [denver] vs [denver broncos]: 1 common, P 1, R 1/2 → F1 = 2·(1/2)/(3/2) = 2/3
    expect(squadF1('Denver', 'Denver Broncos')).toBeCloseTo(2 / 3, 12);
    // [broncos broncos denver] vs [denver broncos]: common = min(2,1) + 1 = 2, P 2/3, R 1 → F1 = (4/3)/(5/3) = 4/5
    expect(squadF1('Broncos Broncos Denver', 'Denver Broncos')).toBeCloseTo(4 / 5, 12);
    expect(squadF1('Carolina Panthers', 'Denver Broncos')).toBe(0);
    // both normalise to "": exact match 1, but v1.1's F1 is 0 (no common tokens)
    expect(squadExactMatch('the', 'a')).toBe(1);
    expect(squadF1('the', 'a')).toBe(0);
  });

  it('averages over examples, taking the best of several answers', () => {
    // EM 1, 0, 0, 0 → 1/4; F1 1, 2/3, 4/5, 0 → (15 + 10 + 12)/15/4 = 37/60
    const m = squadMetrics(
      ['the Denver Broncos', 'Denver', 'Broncos Broncos Denver', 'Carolina Panthers'],
      ['Denver Broncos', 'Denver Broncos', 'Denver Broncos', 'Denver Broncos'],
    );
    expect(m.exactMatch).toBe(0.25);
    expect(m.f1).toBeCloseTo(37 / 60, 12);
    // vs "Broncos of Denver": 2 common, P 1, R 2/3 → 4/5; vs "the Broncos": [broncos], P 1/2, R 1 → 2/3; best 4/5
    const multi = squadMetrics(['Denver Broncos'], [['Broncos of Denver', 'the Broncos']]);
    expect(multi.exactMatch).toBe(0);
    expect(multi.f1).toBeCloseTo(4 / 5, 12);
    expect(squadMetrics([], [])).toEqual({ exactMatch: 0, f1: 0 });
    expect(() => squadMetrics(['a'], [])).toThrow(RangeError);
  });
});
