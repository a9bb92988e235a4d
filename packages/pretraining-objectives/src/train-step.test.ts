import { Generator, randn, tensor } from '@tsformer/tensor';
import { Linear } from '@tsformer/tensor/nn';
import { AdamW } from '@tsformer/tensor/optim';
import { describe, expect, it } from 'vitest';
import { causalLmLoss } from './losses.ts';
import { trainStep, trainStepAsync } from './train-step.ts';

describe('trainStep', () => {
  it('lowers the loss of a tiny classifier and reports the gradient norm', () => {
    const model = new Linear(4, 3, { generator: new Generator(0) });
    const x = randn([8, 4], { generator: new Generator(1) });
    const y = tensor(new Int32Array([0, 1, 2, 0, 1, 2, 0, 1]), [1, 8]);
    const optimizer = new AdamW(model.parameters(), { lr: 0.05 });
    const lossFn = (m: Linear, batch: { x: typeof x }) =>
      causalLmLoss(m.forward(batch.x).reshape([1, 8, 3]), y);
    const first = trainStep({ model, lossFn, optimizer, batch: { x }, gradClip: 1 });
    let last = first;
    for (let i = 0; i < 30; i++) last = trainStep({ model, lossFn, optimizer, batch: { x }, gradClip: 1 });
    expect(first.finite).toBe(true);
    expect(first.gradNorm).toBeGreaterThan(0);
    expect(last.loss).toBeLessThan(first.loss * 0.8);
  });

  it('makes no update on a NaN loss', () => {
    const model = new Linear(2, 2, { generator: new Generator(0) });
    const before = Array.from(model.weight.dataSync());
    const optimizer = new AdamW(model.parameters(), { lr: 0.1 });
    const r = trainStep({
      model,
      lossFn: (m) => ({
        loss: m.forward(tensor(new Float32Array([Number.NaN, 1]), [1, 2])).sum(),
        extra: tensor(new Float32Array([2]), []),
      }),
      optimizer,
      batch: null,
    });
    expect(r.finite).toBe(false);
    expect(Number.isNaN(r.loss)).toBe(true);
    expect(r.parts.extra).toBe(2);
    expect(Array.from(model.weight.dataSync())).toEqual(before);
  });
});

describe('trainStepAsync', () => {
  const setup = () => {
    const model = new Linear(4, 3, { generator: new Generator(0) });
    const x = randn([8, 4], { generator: new Generator(1) });
    const y = tensor(new Int32Array([0, 1, 2, 0, 1, 2, 0, 1]), [1, 8]);
    const optimizer = new AdamW(model.parameters(), { lr: 0.05 });
    const lossFn = (m: Linear, batch: { x: typeof x }) => {
      const loss = causalLmLoss(m.forward(batch.x).reshape([1, 8, 3]), y);
      return { loss, half: loss.mul(0.5) };
    };
    return { model, optimizer, lossFn, batch: { x } };
  };

  it("gives trainStep's losses, parts, gradient norms and parameters, step for step", async () => {
    const a = setup();
    const b = setup();
    for (let i = 0; i < 5; i++) {
      const s = trainStep({ ...a, gradClip: 0.5, lr: 0.05 / (i + 1) });
      const r = await trainStepAsync({ ...b, gradClip: 0.5, lr: 0.05 / (i + 1) });
      expect(r).toEqual(s);
      expect(r.parts.half).toBeCloseTo(r.loss / 2, 6);
      expect(r.gradNorm).toBeGreaterThan(0);
    }
    expect(Array.from(b.model.weight.dataSync())).toEqual(Array.from(a.model.weight.dataSync()));
    const noClip = await trainStepAsync(b);
    expect(noClip.gradNorm).toBeNull();
  });

  it('frees only its own references: a part made outside lossFn survives the step', async () => {
    const s = setup();
    const outside = tensor(new Float32Array([3]), []);
    const r = await trainStepAsync({
      ...s,
      lossFn: (m, batch) => ({ ...s.lossFn(m, batch), outside }),
    });
    expect(r.parts.outside).toBe(3);
    expect(outside.item()).toBe(3);
  });

  it('makes no update on a NaN loss or gradient norm', async () => {
    const model = new Linear(2, 2, { generator: new Generator(0) });
    const before = Array.from(model.weight.dataSync());
    const optimizer = new AdamW(model.parameters(), { lr: 0.1 });
    const r = await trainStepAsync({
      model,
      lossFn: (m) => m.forward(tensor(new Float32Array([Number.NaN, 1]), [1, 2])).sum(),
      optimizer,
      batch: null,
      gradClip: 1,
    });
    expect(r.finite).toBe(false);
    expect(Number.isNaN(r.loss)).toBe(true);
    expect(r.gradNorm).toBeNull();
    const inf = await trainStepAsync({
      model,
      // a finite loss (~1e20) whose squared gradients (1e40) overflow float32: the norm is Infinity
      lossFn: (m) => m.weight.sum().mul(1e20),
      optimizer,
      batch: null,
      gradClip: 1,
    });
    expect(inf.finite).toBe(false);
    expect(Number.isFinite(inf.loss)).toBe(true);
    expect(inf.gradNorm).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from(model.weight.dataSync())).toEqual(before);
    expect(model.weight.grad === null || Array.from(model.weight.grad.dataSync()).every((g) => g === 0)).toBe(
      true,
    );
  });
});
