import { tensor, zeros } from '@tsformer/tensor';
import { Linear, Module } from '@tsformer/tensor/nn';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, pythonFloat, toHfJson } from './checkpoint.ts';
import { classificationLoss } from './losses.ts';

describe('toHfJson', () => {
  it("prints like Python's json.dumps(indent=2, sort_keys=True) with float reprs", () => {
    expect(pythonFloat(1e-5, true)).toBe('1e-05');
    expect(pythonFloat(1e-12, true)).toBe('1e-12');
    expect(pythonFloat(0.02, true)).toBe('0.02');
    expect(pythonFloat(1, true)).toBe('1.0');
    expect(pythonFloat(0.0001, true)).toBe('0.0001');
    expect(pythonFloat(1.5e16, true)).toBe('1.5e+16');
    expect(pythonFloat(3)).toBe('3');
    const text = toHfJson(
      { b: [1, 2], a: { z: null, y: 'é' }, eps: 1e-5, empty: {}, list: [] },
      new Set(['eps']),
    );
    expect(text).toBe(
      '{\n  "a": {\n    "y": "\\u00e9",\n    "z": null\n  },\n  "b": [\n    1,\n    2\n  ],\n  "empty": {},\n  "eps": 1e-05,\n  "list": []\n}\n',
    );
  });
});

class Tiny extends Module {
  body = new Module0();
  head = new Linear(2, 1);
}
class Module0 extends Module {
  LayerNorm = new Linear(2, 2);
}

describe('loadCheckpoint', () => {
  it('maps prefixes and legacy names, ignores what it is told to, and reports the rest by name', () => {
    const m = new Tiny();
    const report = loadCheckpoint(
      m,
      {
        'LayerNorm.gamma': zeros([2, 2]),
        'LayerNorm.beta': zeros([2]),
        'head.weight': zeros([1, 2]),
        'head.bias': zeros([1]),
        'body.buffer': zeros([3]),
        'body.extra': zeros([3]),
      },
      { basePrefix: 'body', ignore: (n) => n.endsWith('.buffer'), strict: false },
    );
    expect(report.renamed).toEqual({
      'LayerNorm.gamma': 'body.LayerNorm.weight',
      'LayerNorm.beta': 'body.LayerNorm.bias',
    });
    expect(report.ignored).toEqual(['body.buffer']);
    expect(report.unexpected).toEqual(['body.extra']);
    expect(report.missing).toEqual([]);
    expect(Array.from(m.body.LayerNorm.weight.dataSync())).toEqual([0, 0, 0, 0]);
    expect(() => loadCheckpoint(new Tiny(), { 'head.weight': zeros([2, 2]) }, { strict: false })).toThrow(
      /head\.weight has shape \[2,2\] but the model expects \[1,2\]/,
    );
    expect(() => loadCheckpoint(new Tiny(), { 'head.weight': zeros([1, 2]) }, { source: 'f' })).toThrow(
      /f: checkpoint does not match the model: missing body\.LayerNorm\.weight, body\.LayerNorm\.bias, head\.bias/,
    );
  });
});

describe('classificationLoss', () => {
  it('picks MSE, cross-entropy or BCE as transformers does', () => {
    const logits = tensor([
      [0.5, -1],
      [2, 0],
    ]);
    const ce = classificationLoss(logits, tensor([1, 0], [2], { dtype: 'int32' }), { numLabels: 2 }).item();
    const lse = (a: number, b: number) => Math.log(Math.exp(a) + Math.exp(b));
    expect(ce).toBeCloseTo((lse(0.5, -1) + 1 + lse(2, 0) - 2) / 2, 5);
    const bce = classificationLoss(
      logits,
      tensor([
        [1, 0],
        [0, 1],
      ]),
      { numLabels: 2 },
    ).item();
    const sp = (x: number) => Math.log(1 + Math.exp(x)); // softplus
    expect(bce).toBeCloseTo((sp(-0.5) + sp(-1) + sp(2) + sp(0)) / 4, 5);
    const mse = classificationLoss(tensor([[1], [3]]), tensor([0, 1]), { numLabels: 1 }).item();
    expect(mse).toBeCloseTo((1 + 4) / 2, 6);
  });
});
