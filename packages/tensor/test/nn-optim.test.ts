import { describe, expect, it } from 'vitest';
import {
  crossEntropy,
  Generator,
  getBackend,
  matmul,
  noGrad,
  prefetch,
  readAndDispose,
  sum,
  type Tensor,
  tensor,
  tidy,
} from '../src/index.ts';
import { Dropout, Embedding, LayerNorm, Linear, Module, parameter } from '../src/nn/index.ts';
import { AdamW, clipGradNorm, cosineWithWarmup, linearWithWarmup, SGD } from '../src/optim/index.ts';
import { expectClose } from '../src/testing/index.ts';

class Block extends Module {
  ln_1 = new LayerNorm(4);
  fc = new Linear(4, 3, { generator: new Generator(1) });
}
class Net extends Module {
  wte = new Embedding(5, 4, { paddingIdx: 0, generator: new Generator(2) });
  h = [new Block(), new Block()];
  drop = new Dropout(0.1);
  head_w: Tensor;
  constructor() {
    super();
    this.head_w = this.wte.weight; // tied, like an LM head
  }
}

describe('nn.Module', () => {
  it('names parameters by property path, numbers module arrays, lists tied weights once', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'wte.weight',
      'h.0.ln_1.weight',
      'h.0.ln_1.bias',
      'h.0.fc.weight',
      'h.0.fc.bias',
      'h.1.ln_1.weight',
      'h.1.ln_1.bias',
      'h.1.fc.weight',
      'h.1.fc.bias',
    ]);
    expect(Object.keys(net.stateDict())).toContain('head_w');
    expect(net.numParameters()).toBe(5 * 4 + 2 * (4 + 4 + 12 + 3));
    expect(net.wte.weight.dataSync().slice(0, 4)).toEqual(new Float32Array(4)); // padding row starts at 0
    net.eval();
    expect(net.drop.training).toBe(false);
    expect(net.h[1]!.fc.training).toBe(false);
  });

  it('loadStateDict copies by name and names missing, unexpected and mis-shaped tensors', () => {
    const a = new Net();
    const b = new Net();
    noGrad(() => b.h[0]!.fc.weight.assign(tensor(new Float32Array(12).fill(3), [3, 4])));
    a.loadStateDict(b.stateDict());
    expect([...a.h[0]!.fc.weight.dataSync()]).toEqual(new Array(12).fill(3));
    const sd = b.stateDict();
    delete sd['h.1.fc.bias'];
    expect(() => a.loadStateDict(sd)).toThrow('loadStateDict: missing h.1.fc.bias');
    expect(() => a.loadStateDict({ ...b.stateDict(), extra: tensor([1]) })).toThrow('unexpected extra');
    expect(() => a.loadStateDict({ ...b.stateDict(), 'h.0.fc.bias': tensor([1, 2]) })).toThrow(
      'loadStateDict: h.0.fc.bias has shape [2] but the model expects [3]',
    );
  });

  it('Linear follows torch.nn.Linear: y = x·Wᵀ + b with W [out, in]', () => {
    const l = new Linear(2, 3);
    noGrad(() => {
      l.weight.assign(
        tensor([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
      );
      l.bias!.assign(tensor([0.5, 0, -1]));
    });
    expect(l.forward(tensor([[1, 1]])).toArray()).toEqual([[3.5, 7, 10]]);
  });
});

describe('optim', () => {
  it('SGD with momentum matches the update rule of torch.optim.SGD', () => {
    const p = parameter(tensor([1, 2]));
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    // loss = sum(p²)/2 → grad = p
    for (let i = 0; i < 2; i++) {
      opt.zeroGrad();
      sum(p.mul(p)).mul(0.5).backward();
      opt.step();
    }
    // step 1: buf = g = [1,2]; p = [0.9, 1.8]. step 2: g = p = [0.9,1.8]; buf = 0.9·[1,2] + [0.9,1.8] = [1.8,3.6]; p = [0.72, 1.44]
    expectClose(p, [0.72, 1.44], { rtol: 1e-6 });
  });

  it('AdamW parameter groups can turn weight decay off', () => {
    const a = parameter(tensor([1]));
    const b = parameter(tensor([1]));
    const opt = new AdamW([{ params: [a] }, { params: [b], options: { weightDecay: 0 } }], {
      lr: 0.1,
      weightDecay: 0.5,
    });
    a.grad = tensor([0]);
    b.grad = tensor([0]);
    opt.step();
    expectClose(a, [0.95], { rtol: 1e-6 });
    expectClose(b, [1], { rtol: 1e-6 });
  });

  it('clipGradNorm scales to the max norm like torch.nn.utils.clip_grad_norm_', () => {
    const p = parameter(tensor([0, 0]));
    const q = parameter(tensor([0]));
    p.grad = tensor([3, 0]);
    q.grad = tensor([4]);
    const norm = clipGradNorm([p, q], 1);
    expectClose(norm, [5], { rtol: 1e-6 });
    expectClose(p.grad, [3 / (5 + 1e-6), 0], { rtol: 1e-6 });
    expectClose(q.grad!, [4 / (5 + 1e-6)], { rtol: 1e-6 });
    clipGradNorm([p, q], 10); // already below: unchanged
    expectClose(q.grad!, [4 / (5 + 1e-6)], { rtol: 1e-6 });
  });

  it('schedules warm up linearly from 0 and decay to the floor', () => {
    const cos = cosineWithWarmup({ warmupSteps: 10, totalSteps: 110, maxLr: 1, minLr: 0.1 });
    expect(cos(0)).toBe(0);
    expect(cos(5)).toBeCloseTo(0.5);
    expect(cos(10)).toBeCloseTo(1);
    expect(cos(60)).toBeCloseTo(0.55);
    expect(cos(110)).toBeCloseTo(0.1);
    expect(cos(500)).toBeCloseTo(0.1);
    const lin = linearWithWarmup({ warmupSteps: 0, totalSteps: 100, maxLr: 2 });
    expect(lin(0)).toBe(2);
    expect(lin(50)).toBeCloseTo(1);
    expect(lin(100)).toBe(0);
  });

  it('a tiny MLP overfits a batch with AdamW (loss falls by 100×)', () => {
    const gen = new Generator(3);
    const l1 = new Linear(4, 16, { generator: gen });
    const l2 = new Linear(16, 3, { generator: gen });
    const x = tensor([
      [1, 0, 0, 1],
      [0, 1, 1, 0],
      [1, 1, 0, 0],
      [0, 0, 1, 1],
    ]);
    const y = tensor([0, 1, 2, 1], undefined, { dtype: 'int32' });
    const opt = new AdamW([...l1.parameters(), ...l2.parameters()], { lr: 0.05, weightDecay: 0 });
    const lossAt = () => crossEntropy(l2.forward(l1.forward(x).relu()), y);
    const first = lossAt().item();
    for (let i = 0; i < 150; i++) {
      tidy(() => {
        opt.zeroGrad();
        lossAt().backward();
        opt.step();
      });
    }
    expect(lossAt().item()).toBeLessThan(first / 100);
  });
});

describe('memory: tidy, keep, dispose', () => {
  it('disposes what a scope made except what it returns or keeps, and gradients survive', () => {
    const w = parameter(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    let inner: Tensor | null = null;
    let kept: Tensor | null = null;
    const out = tidy(() => {
      inner = matmul(w, w);
      kept = sum(inner);
      kept.backward();
      return { result: inner.add(1) };
    });
    expect(inner!.isDisposed).toBe(true);
    expect(kept!.isDisposed).toBe(true);
    expect(out.result.isDisposed).toBe(false);
    expect(w.grad!.isDisposed).toBe(false);
    // d sum(W·W)/dW = 1·Wᵀ + Wᵀ·1: row sums of W [3, 7] along rows plus column sums [4, 6] down columns
    expect(w.grad!.toArray()).toEqual([
      [3 + 4, 7 + 4],
      [3 + 6, 7 + 6],
    ]);
    expect(() => inner!.dataSync()).toThrow('was disposed');
    expect(getBackend().name).toBe('cpu');
  });

  it('readAndDispose reads a tensor and frees it, also when the read fails', async () => {
    const t = tensor([1, 2, 3]);
    expect(Array.from(await readAndDispose(t))).toEqual([1, 2, 3]);
    expect(t.isDisposed).toBe(true);
    const broken = tensor([4]);
    broken.data = () => Promise.reject(new Error('device lost'));
    await expect(readAndDispose(broken)).rejects.toThrow('device lost');
    expect(broken.isDisposed).toBe(true);
  });

  it('loadStateDict shares the loaded storage and leaves one reference to the caller, none leaked', () => {
    const lin = new Linear(2, 2, { generator: new Generator(3) });
    const w = tensor([1, 2, 3, 4], [2, 2]);
    const b = tensor([5, 6], undefined, { dtype: 'int32' }); // cast on the way: the cast copy is freed
    lin.loadStateDict({ weight: w, bias: b });
    expect(lin.weight._ref).toBe(w._ref);
    expect(w._ref.refs).toBe(2); // the caller's tensor and the parameter
    w.dispose();
    b.dispose();
    expect(lin.weight._ref.refs).toBe(1);
    expect(Array.from(lin.bias!.dataSync())).toEqual([5, 6]);
    expect(lin.bias!._ref.refs).toBe(1);
  });

  it('prefetch asks the backend of each tensor for a host copy, where it has one to give', async () => {
    // the CPU reads synchronously: nothing to do (the WebGPU case runs in scripts/node-webgpu.ts)
    const t = tensor([1, 2]);
    await prefetch([t]);
    expect(Array.from(t.dataSync())).toEqual([1, 2]);
    const asked: number[] = [];
    const backend = {
      ...getBackend(),
      prefetch: async (_s: unknown, _d: unknown, size: number) => void asked.push(size),
    };
    Object.defineProperty(t, 'backend', { value: backend });
    await prefetch([t, tensor([3, 4, 5])]);
    expect(asked).toEqual([2]);
  });
});
