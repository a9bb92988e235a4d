import { Generator } from '@tsformer/tensor';
import { describe, expect, it } from 'vitest';
import { IS_NEXT, NOT_NEXT, nspPairs, sampleNspPairs, truncatePair } from './nsp.ts';

// document d, sentence i is [d*1000 + i, d*1000 + i] so a pair's origin can be read back from its ids
const docs = Array.from({ length: 6 }, (_, d) =>
  Array.from({ length: 20 + d }, (_, i) => [d * 1000 + i, d * 1000 + i]),
);
const origin = (s: readonly number[]) => [Math.floor(s[0]! / 1000), s[0]! % 1000] as const;

describe('nspPairs', () => {
  it('gives about half IsNext (label 0) with B the next sentence, and NotNext from another document', () => {
    const pairs = nspPairs(docs, { rng: new Generator(11) });
    expect(pairs.length).toBe(docs.reduce((n, d) => n + d.length - 1, 0));
    let next = 0;
    for (const p of pairs) {
      const [da, ia] = origin(p.a);
      const [db, ib] = origin(p.b);
      if (p.label === IS_NEXT) {
        next++;
        expect([db, ib]).toEqual([da, ia + 1]);
      } else {
        expect(p.label).toBe(NOT_NEXT);
        expect(db).not.toBe(da);
      }
    }
    expect(next / pairs.length).toBeGreaterThan(0.4);
    expect(next / pairs.length).toBeLessThan(0.6);
  });

  it('sampleNspPairs draws about 50% IsNext over many pairs, reproducibly', () => {
    const a = sampleNspPairs(docs, 2000, { rng: new Generator(2) });
    const b = sampleNspPairs(docs, 2000, { rng: new Generator(2) });
    expect(a).toEqual(b);
    const next = a.filter((p) => p.label === IS_NEXT).length / a.length;
    expect(next).toBeGreaterThan(0.47);
    expect(next).toBeLessThan(0.53);
    for (const p of a.slice(0, 200)) {
      if (p.label === NOT_NEXT) expect(origin(p.b)[0]).not.toBe(origin(p.a)[0]);
      else expect(origin(p.b)).toEqual([origin(p.a)[0], origin(p.a)[1] + 1]);
    }
  });

  it('segment mode fills about maxTokens with consecutive sentences split at a boundary', () => {
    const pairs = nspPairs(docs, { rng: new Generator(4), mode: 'segment', maxTokens: 12 });
    expect(pairs.length).toBeGreaterThan(10);
    for (const p of pairs) {
      expect(p.a.length + p.b.length).toBeLessThanOrEqual(14);
      if (p.label === IS_NEXT) {
        const [da, ia] = origin(p.a.slice(-2));
        expect(origin(p.b)).toEqual([da, ia + 1]);
      }
    }
    const next = pairs.filter((p) => p.label === IS_NEXT).length / pairs.length;
    expect(next).toBeGreaterThan(0.3);
    expect(next).toBeLessThan(0.7);
  });

  it('needs two documents', () => {
    expect(() => nspPairs([docs[0]!], { rng: new Generator(0) })).toThrow(/at least 2 non-empty documents/);
  });
});

describe('truncatePair', () => {
  it('cuts the longer side first', () => {
    expect(truncatePair([1, 2, 3, 4, 5], [6, 7], 5)).toEqual([
      [1, 2, 3],
      [6, 7],
    ]);
    expect(truncatePair([1, 2], [3, 4], 3)).toEqual([[1, 2], [3]]); // a tie cuts B, as Hugging Face
  });
});
