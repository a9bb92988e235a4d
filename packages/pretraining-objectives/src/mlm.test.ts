import { Generator } from '@tsformer/tensor';
import { describe, expect, it } from 'vitest';
import { IGNORE_INDEX, mlmMask, wordIdsFromContinuations } from './mlm.ts';

const CLS = 1;
const SEP = 2;
const PAD = 0;
const MASK = 3;
const V = 1000;
const special = new Set([PAD, CLS, SEP, MASK]);

function sequence(rng: Generator, n: number): number[] {
  const body = Array.from(rng.uniform(n), (u) => 10 + Math.floor(u * (V - 10)));
  return [CLS, ...body.slice(0, n / 2), SEP, ...body.slice(n / 2), SEP, PAD, PAD];
}

describe('mlmMask', () => {
  it('chooses 15% of the non-special tokens and splits them 80/10/10', () => {
    const rng = new Generator(7);
    let candidates = 0;
    let chosen = 0;
    let masked = 0;
    let random = 0;
    let kept = 0;
    for (let k = 0; k < 400; k++) {
      const ids = sequence(rng, 120);
      const { inputIds, labels } = mlmMask(ids, {
        maskTokenId: MASK,
        vocabSize: V,
        specialIds: special,
        rng,
      });
      ids.forEach((id, i) => {
        if (!special.has(id)) candidates++;
        if (labels[i] === IGNORE_INDEX) {
          expect(inputIds[i]).toBe(id); // untouched where nothing is predicted
          return;
        }
        expect(special.has(id)).toBe(false); // special tokens are never chosen
        expect(labels[i]).toBe(id);
        chosen++;
        if (inputIds[i] === MASK) masked++;
        else if (inputIds[i] === id) kept++;
        else {
          random++;
          expect(special.has(inputIds[i]!)).toBe(false); // random replacements are ordinary tokens
        }
      });
    }
    expect(chosen / candidates).toBeCloseTo(0.15, 2);
    expect(masked / chosen).toBeGreaterThan(0.78);
    expect(masked / chosen).toBeLessThan(0.82);
    expect(random / chosen).toBeGreaterThan(0.085);
    expect(random / chosen).toBeLessThan(0.115);
    // a random draw equal to the original id counts as kept: 0.1 + 0.1/V
    expect(kept / chosen).toBeGreaterThan(0.085);
    expect(kept / chosen).toBeLessThan(0.115);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const ids = sequence(new Generator(1), 60);
    const opts = { maskTokenId: MASK, vocabSize: V, specialIds: special };
    const a = mlmMask(ids, { ...opts, rng: new Generator(5) });
    const b = mlmMask(ids, { ...opts, rng: new Generator(5) });
    const c = mlmMask(ids, { ...opts, rng: new Generator(6) });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(Array.from(a.inputIds)).toEqual(Array.from(b.inputIds));
    expect(Array.from(a.labels)).not.toEqual(Array.from(c.labels));
  });

  it('never masks a sequence of special tokens and masks at least one ordinary token', () => {
    const rng = new Generator(0);
    const none = mlmMask([CLS, SEP, PAD], { maskTokenId: MASK, vocabSize: V, specialIds: special, rng });
    expect(Array.from(none.labels)).toEqual([IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]);
    const one = mlmMask([CLS, 42, SEP], { maskTokenId: MASK, vocabSize: V, specialIds: special, rng });
    expect(Array.from(one.labels)).toEqual([IGNORE_INDEX, 42, IGNORE_INDEX]);
  });

  it('whole-word masking chooses all pieces of a word together', () => {
    // words of 1–3 pieces; continuation ids are ≥ 500
    const rng = new Generator(3);
    const isCont = (id: number) => id >= 500;
    let chosenTotal = 0;
    let candidates = 0;
    for (let k = 0; k < 200; k++) {
      const ids = [CLS];
      const u = rng.uniform(60);
      for (let w = 0; w < 30; w++) {
        ids.push(10 + Math.floor(u[w]! * 400));
        const pieces = Math.floor(u[30 + w]! * 3);
        for (let p = 0; p < pieces; p++) ids.push(500 + p);
      }
      ids.push(SEP);
      const wordIds = wordIdsFromContinuations(ids, isCont, special);
      const { labels } = mlmMask(ids, { maskTokenId: MASK, vocabSize: V, specialIds: special, rng, wordIds });
      candidates += ids.length - 2;
      for (let i = 1; i < ids.length - 1; i++) {
        if (labels[i] !== IGNORE_INDEX) chosenTotal++;
        if (i > 1 && isCont(ids[i]!)) {
          expect(labels[i] !== IGNORE_INDEX).toBe(labels[i - 1] !== IGNORE_INDEX); // same word, same fate
        }
      }
    }
    expect(chosenTotal / candidates).toBeGreaterThan(0.13);
    expect(chosenTotal / candidates).toBeLessThan(0.16);
  });

  it('respects maxPredictions and rejects bad probabilities', () => {
    const rng = new Generator(0);
    const ids = Array.from({ length: 200 }, (_, i) => 10 + i);
    const m = mlmMask(ids, { maskTokenId: MASK, vocabSize: V, specialIds: special, rng, maxPredictions: 5 });
    expect(m.labels.filter((l) => l !== IGNORE_INDEX).length).toBe(5);
    expect(() =>
      mlmMask(ids, { maskTokenId: MASK, vocabSize: V, specialIds: special, rng, maskProb: 2 }),
    ).toThrow(/maskProb/);
  });
});

describe('wordIdsFromContinuations', () => {
  it('starts a word at each non-continuation and gives special tokens -1', () => {
    const ids = [CLS, 10, 600, 601, 11, SEP, 602];
    expect(Array.from(wordIdsFromContinuations(ids, (id) => id >= 500, special))).toEqual([
      -1, 0, 0, 0, 1, -1, 2,
    ]);
  });
});
