import { Generator } from '@tsformer/tensor';
import { describe, expect, it } from 'vitest';
import { causalLmBatch, causalLmWindows } from './clm.ts';

describe('causalLmBatch', () => {
  it('draws contiguous blocks with targets shifted by one', () => {
    const stream = Int32Array.from({ length: 100 }, (_, i) => i);
    const b = causalLmBatch(stream, { blockSize: 8, batchSize: 16, rng: new Generator(0) });
    expect(b.inputIds.length).toBe(128);
    for (let r = 0; r < 16; r++) {
      const o = b.inputIds[r * 8]!;
      expect(o).toBeLessThanOrEqual(91);
      for (let j = 0; j < 8; j++) {
        expect(b.inputIds[r * 8 + j]).toBe(o + j);
        expect(b.targets[r * 8 + j]).toBe(o + j + 1);
      }
    }
    const again = causalLmBatch(stream, { blockSize: 8, batchSize: 16, rng: new Generator(0) });
    expect(Array.from(again.inputIds)).toEqual(Array.from(b.inputIds));
  });

  it('covers every offset, including the last one', () => {
    const stream = Int32Array.from({ length: 12 }, (_, i) => i);
    const seen = new Set<number>();
    const rng = new Generator(1);
    for (let k = 0; k < 50; k++)
      seen.add(causalLmBatch(stream, { blockSize: 8, batchSize: 4, rng }).inputIds[0]!);
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
  });

  it('rejects a stream shorter than one block', () => {
    expect(() => causalLmBatch([1, 2, 3], { blockSize: 8, batchSize: 1, rng: new Generator(0) })).toThrow(
      /fewer than one block of 8/,
    );
  });
});

describe('causalLmWindows', () => {
  it('predicts every token but the first exactly once', () => {
    const stream = Int32Array.from({ length: 23 }, (_, i) => i);
    const w = causalLmWindows(stream, 5);
    const predicted = w.flatMap((x) => Array.from(x.targets));
    expect(predicted).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(w.map((x) => x.inputIds.length)).toEqual([5, 5, 5, 5, 2]);
    expect(Array.from(w[1]!.inputIds)).toEqual([5, 6, 7, 8, 9]);
  });
});
