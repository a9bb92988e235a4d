import { concat, Generator, narrow, onesLike, randn, sum, type Tensor, tensor } from '@tsformer/tensor';
import { expectClose, gradcheck } from '@tsformer/tensor/testing';
import { describe, expect, it } from 'vitest';
import { mergeHeads, splitHeads } from './heads.ts';
import { KVCache } from './kv-cache.ts';
import { causalAttentionMask, MASK_MIN, paddingMask, toAdditiveMask } from './masks.ts';
import { MultiHeadAttention } from './multi-head.ts';
import { scaledDotProductAttention, scaledDotProductAttentionWithWeights } from './sdpa.ts';

/** Plain float64 attention over one [T,D] head, the independent reference: visible(i, j) says what i sees. */
function naive(
  q: number[][],
  k: number[][],
  v: number[][],
  visible: (i: number, j: number) => boolean,
): { out: number[][]; w: number[][] } {
  const d = q[0]!.length;
  const w = q.map((qi, i) => {
    const s = k.map((kj) => qi.reduce((acc, x, c) => acc + x * kj[c]!, 0) / Math.sqrt(d));
    const allowed = s.map((_, j) => visible(i, j));
    const any = allowed.some(Boolean);
    // all hidden → HF's finite MASK_MIN makes the row uniform
    const e = s.map((x, j) =>
      any ? (allowed[j] ? Math.exp(x - Math.max(...s.filter((_, jj) => allowed[jj]))) : 0) : 1,
    );
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / z);
  });
  const out = w.map((wi) => v[0]!.map((_, c) => wi.reduce((acc, x, j) => acc + x * v[j]![c]!, 0)));
  return { out, w };
}

function head(t: Tensor, b: number, h: number): number[][] {
  const [, H, T, D] = t.shape as [number, number, number, number];
  const data = t.dataSync();
  const rows: number[][] = [];
  for (let i = 0; i < T; i++) {
    const row: number[] = [];
    for (let c = 0; c < D; c++) row.push(data[((b * H + h) * T + i) * D + c]!);
    rows.push(row);
  }
  return rows;
}

function checkAgainstNaive(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  result: { output: Tensor; weights: Tensor },
  visible: (b: number, i: number, j: number) => boolean,
): void {
  const [B, H] = q.shape as [number, number];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const ref = naive(head(q, b, h), head(k, b, h), head(v, b, h), (i, j) => visible(b, i, j));
      expectClose(head(result.output, b, h).flat(), ref.out.flat(), { atol: 1e-5, rtol: 1e-4 });
      expectClose(head(result.weights, b, h).flat(), ref.w.flat(), { atol: 1e-6, rtol: 1e-4 });
    }
  }
}

describe('scaledDotProductAttention', () => {
  const B = 2;
  const H = 3;
  const T = 5;
  const D = 4;
  const q = randn([B, H, T, D], { seed: 1 });
  const k = randn([B, H, T, D], { seed: 2 });
  const v = randn([B, H, T, D], { seed: 3 });

  it('matches a float64 reference without a mask, weights [B,H,T,T] summing to 1', () => {
    const r = scaledDotProductAttentionWithWeights(q, k, v);
    expect(r.output.shape).toEqual([B, H, T, D]);
    expect(r.weights.shape).toEqual([B, H, T, T]);
    checkAgainstNaive(q, k, v, r, () => true);
    expectClose(r.weights.sum(-1), new Array(B * H * T).fill(1), { atol: 1e-6 });
  });

  it('causal: key j visible to query i iff j <= i', () => {
    const r = scaledDotProductAttentionWithWeights(q, k, v, { causal: true });
    checkAgainstNaive(q, k, v, r, (_b, i, j) => j <= i);
  });

  it('valid lengths [B] hide keys at and after the length (d2l valid_lens)', () => {
    const lens = tensor([3, 5], [2], { dtype: 'int32' });
    const r = scaledDotProductAttentionWithWeights(q, k, v, { validLens: lens });
    checkAgainstNaive(q, k, v, r, (b, _i, j) => j < [3, 5][b]!);
  });

  it('valid lengths [B,Tq] give one length per query', () => {
    const lens = [
      [1, 2, 3, 4, 5],
      [5, 4, 3, 2, 1],
    ];
    const r = scaledDotProductAttentionWithWeights(q, k, v, {
      validLens: tensor(lens, undefined, { dtype: 'int32' }),
    });
    checkAgainstNaive(q, k, v, r, (b, i, j) => j < lens[b]![i]!);
  });

  it('0/1 int32 mask and padding mask agree and combine with causal', () => {
    const am = tensor(
      [
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1],
      ],
      undefined,
      { dtype: 'int32' },
    );
    const vis = (b: number, _i: number, j: number) => b === 1 || j < 3;
    const a = scaledDotProductAttentionWithWeights(q, k, v, { mask: paddingMask(am) });
    checkAgainstNaive(q, k, v, a, vis);
    const additive = scaledDotProductAttentionWithWeights(q, k, v, { mask: toAdditiveMask(paddingMask(am)) });
    checkAgainstNaive(q, k, v, additive, vis);
    const both = scaledDotProductAttentionWithWeights(q, k, v, {
      mask: toAdditiveMask(paddingMask(am)),
      causal: true,
    });
    checkAgainstNaive(q, k, v, both, (b, i, j) => vis(b, i, j) && j <= i);
  });

  it('a query whose keys are all hidden gets uniform weights (finite MASK_MIN, as HF), never NaN', () => {
    // left padding + causal: query 0 of row 0 sees only key 0, which is padding
    const am = tensor(
      [
        [0, 0, 1, 1, 1],
        [1, 1, 1, 1, 1],
      ],
      undefined,
      { dtype: 'int32' },
    );
    const mask = causalAttentionMask({ queryLength: T, attentionMask: am });
    expect(Math.min(...mask.dataSync())).toBe(Math.fround(MASK_MIN));
    const r = scaledDotProductAttentionWithWeights(q, k, v, { mask, causal: true });
    expect(r.weights.dataSync().every(Number.isFinite)).toBe(true);
    checkAgainstNaive(q, k, v, r, (b, i, j) => j <= i && (b === 1 || j >= 2));
  });

  it('queries that are the last Tq of Tk keys (KV cache) see the whole past', () => {
    const qLast = narrow(q, 2, 3, 2);
    const r = scaledDotProductAttentionWithWeights(qLast, k, v, { causal: true });
    const full = scaledDotProductAttentionWithWeights(q, k, v, { causal: true });
    expectClose(r.output, narrow(full.output, 2, 3, 2), { atol: 1e-6 });
  });

  it('gradients of q, k and v pass gradcheck (with a mask)', () => {
    const small = [
      randn([1, 2, 3, 2], { seed: 4 }),
      randn([1, 2, 3, 2], { seed: 5 }),
      randn([1, 2, 3, 2], { seed: 6 }),
    ];
    gradcheck((a, b, c) => scaledDotProductAttention(a!, b!, c!, { causal: true }), small);
    const lens = tensor([2], [1], { dtype: 'int32' });
    gradcheck((a, b, c) => scaledDotProductAttention(a!, b!, c!, { validLens: lens }), small);
  });

  it('dropout on the weights is seeded and off outside training', () => {
    const a = scaledDotProductAttentionWithWeights(q, k, v, {
      dropout: 0.5,
      training: true,
      generator: new Generator(7),
    });
    const b = scaledDotProductAttentionWithWeights(q, k, v, {
      dropout: 0.5,
      training: true,
      generator: new Generator(7),
    });
    expect(Array.from(a.weights.dataSync())).toEqual(Array.from(b.weights.dataSync()));
    const zeros = a.weights.dataSync().filter((x) => x === 0).length;
    expect(zeros).toBeGreaterThan(0.3 * a.weights.size);
    expect(zeros).toBeLessThan(0.7 * a.weights.size);
    const evalMode = scaledDotProductAttention(q, k, v, { dropout: 0.5, training: false });
    expectClose(evalMode, scaledDotProductAttention(q, k, v), { atol: 0 });
  });

  it('errors name the shapes', () => {
    expect(() => scaledDotProductAttention(q, randn([B, H, T, 3]), v)).toThrow(
      /head dims differ.*\[2,3,5,4\].*\[2,3,5,3\]/,
    );
    expect(() => scaledDotProductAttention(q, k, randn([B, H, 4, D]))).toThrow(
      /k and v have different lengths/,
    );
    expect(() => scaledDotProductAttention(q, randn([3, H, T, D]), v)).toThrow(/batch dims/);
    expect(() => splitHeads(randn([2, 3, 10]), 4)).toThrow(/10 channels of \[2,3,10\]/);
  });
});

describe('splitHeads / mergeHeads', () => {
  it('head h holds channels h·D … (h+1)·D-1 and mergeHeads inverts it', () => {
    const x = tensor(
      Float32Array.from({ length: 2 * 3 * 8 }, (_, i) => i),
      [2, 3, 8],
    );
    const h = splitHeads(x, 4); // [2,3,8] → [2,4,3,2]
    expect(h.shape).toEqual([2, 4, 3, 2]);
    // batch 0, head 1, time 2 = channels 2..3 of x[0, 2]
    expect(Array.from(h.dataSync().slice(((0 * 4 + 1) * 3 + 2) * 2, ((0 * 4 + 1) * 3 + 2) * 2 + 2))).toEqual([
      2 * 8 + 2,
      2 * 8 + 3,
    ]);
    expectClose(mergeHeads(h), x, { atol: 0 });
  });
});

describe('KVCache', () => {
  it('incremental attention over a cache equals full causal attention', () => {
    const q = randn([1, 2, 6, 4], { seed: 8 });
    const k = randn([1, 2, 6, 4], { seed: 9 });
    const v = randn([1, 2, 6, 4], { seed: 10 });
    const full = scaledDotProductAttention(q, k, v, { causal: true });
    const cache = new KVCache();
    const steps: Tensor[] = [];
    // a 3-token prompt, then one token at a time
    for (const [start, len] of [
      [0, 3],
      [3, 1],
      [4, 1],
      [5, 1],
    ] as const) {
      const kv = cache.update(0, narrow(k, 2, start, len), narrow(v, 2, start, len));
      expect(cache.length).toBe(start + len);
      expect(kv.length).toBe(start + len);
      steps.push(
        scaledDotProductAttention(narrow(q, 2, start, len), kv.key, kv.value, {
          causal: true,
          keyLength: kv.length,
        }),
      );
    }
    expectClose(concat(steps, 2), full, { atol: 1e-6 });
    cache.dispose();
    expect(cache.length).toBe(0);
  });

  it('appends in place into buffers that double when full, up to maxLength', () => {
    const k = randn([2, 3, 200, 4], { seed: 1 });
    const v = randn([2, 3, 200, 4], { seed: 2 });
    const cache = new KVCache({ maxLength: 150 });
    const first = cache.update(0, narrow(k, 2, 0, 5), narrow(v, 2, 0, 5));
    expect(first.key.shape).toEqual([2, 3, 64, 4]); // room for 64 positions
    let kv = first;
    for (let t = 5; t < 64; t++) kv = cache.update(0, narrow(k, 2, t, 1), narrow(v, 2, t, 1));
    expect(kv.key).toBe(first.key); // the same buffer all along: nothing was copied but the new token
    kv = cache.update(0, narrow(k, 2, 64, 1), narrow(v, 2, 64, 1));
    expect(kv.key.shape).toEqual([2, 3, 128, 4]);
    expect(first.key.isDisposed).toBe(true);
    kv = cache.update(0, narrow(k, 2, 65, 70), narrow(v, 2, 65, 70));
    expect(kv.key.shape).toEqual([2, 3, 150, 4]); // capped by maxLength
    expect(kv.length).toBe(135);
    expectClose(narrow(kv.key, 2, 0, 135), narrow(k, 2, 0, 135), { atol: 0 });
    expectClose(narrow(kv.value, 2, 0, 135), narrow(v, 2, 0, 135), { atol: 0 });
    cache.dispose();
  });

  it('concatenates instead when a gradient flows through the cache', () => {
    const k = randn([1, 2, 3, 4], { seed: 3 }).requiresGrad_();
    const v = randn([1, 2, 3, 4], { seed: 4 });
    const cache = new KVCache();
    cache.update(0, narrow(k, 2, 0, 2), narrow(v, 2, 0, 2));
    const kv = cache.update(0, narrow(k, 2, 2, 1), narrow(v, 2, 2, 1));
    expect(kv.key.shape).toEqual([1, 2, 3, 4]);
    sum(kv.key).backward();
    expectClose(k.grad!, onesLike(k), { atol: 0 });
  });
});

describe('MultiHeadAttention', () => {
  it('self-attention with valid lengths, weights on request, and the cache', () => {
    const mha = new MultiHeadAttention(8, 2, { generator: new Generator(0) }).eval();
    expect(mha.namedParameters().map(([n]) => n)).toEqual([
      'query.weight',
      'query.bias',
      'key.weight',
      'key.bias',
      'value.weight',
      'value.bias',
      'output.weight',
      'output.bias',
    ]);
    const x = randn([2, 4, 8], { seed: 11 });
    const { output, attentions } = mha.forward({
      query: x,
      validLens: tensor([2, 4], [2], { dtype: 'int32' }),
      outputAttentions: true,
    });
    expect(output.shape).toEqual([2, 4, 8]);
    expect(attentions!.shape).toEqual([2, 2, 4, 4]);
    // batch 0 attends only to the first two keys
    const w = attentions!.dataSync();
    for (let i = 0; i < 2 * 4; i++) expect(w[i * 4 + 2]! + w[i * 4 + 3]!).toBe(0);
    expect(mha.forward({ query: x }).attentions).toBeUndefined();

    const full = mha.forward({ query: x, causal: true }).output;
    const cache = new KVCache();
    const a = mha.forward({ query: narrow(x, 1, 0, 3), causal: true, cache }).output;
    const b = mha.forward({ query: narrow(x, 1, 3, 1), causal: true, cache }).output;
    expectClose(concat([a, b], 1), full, { atol: 1e-6 });
  });
});
