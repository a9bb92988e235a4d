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

describe('sampleNspPairs with segments', () => {
  const tokens = (p: { a: number[]; b: number[] }) => p.a.length + p.b.length;

  it('draws segments at the asked share: runs of consecutive sentences filling about maxTokens', () => {
    const pairs = sampleNspPairs(docs, 4000, { rng: new Generator(5), segmentProb: 0.5, maxTokens: 12 });
    let segments = 0;
    let next = 0;
    for (const p of pairs) {
      const [da, ia] = origin(p.a);
      // A is consecutive sentences of one document
      for (let j = 0; j < p.a.length; j += 2) expect(origin(p.a.slice(j))).toEqual([da, ia + j / 2]);
      const [db, ib] = origin(p.b);
      if (p.a.length > 2 || p.b.length > 2) segments++;
      if (p.label === IS_NEXT) {
        next++;
        expect([db, ib]).toEqual([da, ia + p.a.length / 2]); // B goes on where A stops
        for (let j = 0; j < p.b.length; j += 2) expect(origin(p.b.slice(j))).toEqual([db, ib + j / 2]);
      } else {
        expect(db).not.toBe(da);
        for (let j = 0; j < p.b.length; j += 2) expect(origin(p.b.slice(j))).toEqual([db, ib + j / 2]);
      }
      expect(tokens(p)).toBeLessThanOrEqual(14); // the budget, overshot by at most one sentence
    }
    // a segment of 12 tokens is 6 sentences of 2, so nearly every segment pair has a side longer than one sentence
    expect(segments / pairs.length).toBeGreaterThan(0.45);
    expect(segments / pairs.length).toBeLessThan(0.55);
    expect(next / pairs.length).toBeGreaterThan(0.47);
    expect(next / pairs.length).toBeLessThan(0.53);
  });

  it('segmentProb 1 fills the budget; segmentProb 0 (the default) draws the same pairs as before', () => {
    const all = sampleNspPairs(docs, 500, { rng: new Generator(6), segmentProb: 1, maxTokens: 12 });
    const full = all.filter((p) => tokens(p) >= 12).length / all.length;
    expect(full).toBeGreaterThan(0.8); // only pairs at a document's end fall short
    const plain = sampleNspPairs(docs, 500, { rng: new Generator(6) });
    expect(sampleNspPairs(docs, 500, { rng: new Generator(6), segmentProb: 0 })).toEqual(plain);
    expect(plain.every((p) => p.a.length === 2 && p.b.length === 2)).toBe(true);
  });
});

describe('sampleNspPairs with crops', () => {
  // sentences of 8 tokens, each token naming its document, sentence and position: d·10^4 + i·10 + position
  const long = Array.from({ length: 5 }, (_, d) =>
    Array.from({ length: 30 }, (_, i) => Array.from({ length: 8 }, (_, j) => d * 10000 + i * 10 + j)),
  );

  it('crops the asked share: A to a suffix, B to a prefix, each at least half, the junction kept', () => {
    const pairs = sampleNspPairs(long, 4000, { rng: new Generator(7), cropProb: 0.5 });
    let cropped = 0;
    const keptA = new Set<number>();
    for (const p of pairs) {
      expect(p.a.length).toBeGreaterThanOrEqual(4);
      expect(p.b.length).toBeGreaterThanOrEqual(4);
      expect(p.a.at(-1)! % 10).toBe(7); // A keeps its last token
      expect(p.b[0]! % 10).toBe(0); // B keeps its first token
      for (let j = 1; j < p.a.length; j++) expect(p.a[j]! - p.a[j - 1]!).toBe(1); // contiguous
      for (let j = 1; j < p.b.length; j++) expect(p.b[j]! - p.b[j - 1]!).toBe(1);
      if (p.a.length < 8 || p.b.length < 8) cropped++;
      keptA.add(p.a.length);
      const a = Math.floor(p.a[0]! / 10);
      const b = Math.floor(p.b[0]! / 10);
      if (p.label === IS_NEXT) expect(b).toBe(a + 1);
      else expect(Math.floor(b / 1000)).not.toBe(Math.floor(a / 1000));
    }
    // a cropped pair keeps both sides whole with probability 1/25
    expect(cropped / pairs.length).toBeGreaterThan(0.5 * (24 / 25) - 0.03);
    expect(cropped / pairs.length).toBeLessThan(0.5 * (24 / 25) + 0.03);
    expect([...keptA].sort()).toEqual([4, 5, 6, 7, 8]); // every length from half to whole
    const next = pairs.filter((p) => p.label === IS_NEXT).length / pairs.length;
    expect(next).toBeGreaterThan(0.47);
    expect(next).toBeLessThan(0.53);
  });

  it('cropProb 0 (the default) draws the same pairs as before', () => {
    const plain = sampleNspPairs(long, 300, { rng: new Generator(8) });
    expect(sampleNspPairs(long, 300, { rng: new Generator(8), cropProb: 0 })).toEqual(plain);
    expect(plain.every((p) => p.a.length === 8 && p.b.length === 8)).toBe(true);
  });
});
