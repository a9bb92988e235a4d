// One timed GPT training step (forward + backward + AdamW, the loss read back with `await data()`, which also
// makes a GPU queue finish), shared by the CPU training section (index.ts) and the gpu-beside-cpu section (gpu.ts).
import { readAndDispose, type Tensor, tensor, tidy } from '@tsformer/tensor';
import { AdamW } from '@tsformer/tensor/optim';
import { GPT2Config, GPT2LMHeadModel } from '../src/index.ts';

export interface Shape {
  key: string;
  name: string;
  nLayer: number;
  nEmbd: number;
  nHead: number;
  nPositions: number;
  vocabSize: number;
  batch: number;
}

export const GPU_SHAPES: readonly Shape[] = [
  // apps/trainer/configs/gpt.json
  {
    key: 'small',
    name: '4L/128/4H ctx128 V4096 B12',
    nLayer: 4,
    nEmbd: 128,
    nHead: 4,
    nPositions: 128,
    vocabSize: 4096,
    batch: 12,
  },
  // the models issue's training shape (this package's CPU training bench)
  {
    key: 'issue',
    name: '6L/384/6H ctx256 V4096 B8',
    nLayer: 6,
    nEmbd: 384,
    nHead: 6,
    nPositions: 256,
    vocabSize: 4096,
    batch: 8,
  },
  // GPT-2 small's body (the gpu.js issue's "12 layers, width 768, context 1024") with the trainer's vocabulary,
  // as the CPU baseline of the 10× goal was measured (the issue names no vocabulary)
  {
    key: 'gpt2',
    name: '12L/768/12H ctx1024 V4096 B1',
    nLayer: 12,
    nEmbd: 768,
    nHead: 12,
    nPositions: 1024,
    vocabSize: 4096,
    batch: 1,
  },
];

/**
 * Seconds per training step of `shape` on the current backend: one untimed warm-up step (shader compilation,
 * WebAssembly tier-up), then the median of up to `steps` timed ones, fewer once `budgetS` seconds have gone.
 */
export async function stepSeconds(
  shape: Shape,
  steps: number,
  budgetS: number,
  log: (s: string) => void,
  afterStep: () => void = () => {},
): Promise<number> {
  const { batch, nLayer, nEmbd, nHead, nPositions, vocabSize } = shape;
  const config = new GPT2Config({
    nLayer,
    nEmbd,
    nHead,
    nPositions,
    vocabSize,
    residPdrop: 0,
    embdPdrop: 0,
    attnPdrop: 0,
  });
  const model = new GPT2LMHeadModel(config, { seed: 0 });
  const t = nPositions;
  const ids = tensor(
    Int32Array.from({ length: batch * t }, (_, i) => (i * 7919 + 13) % vocabSize),
    [batch, t],
  );
  const opt = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
  const step = async (): Promise<number> => {
    opt.zeroGrad();
    const loss: Tensor = tidy(() => {
      const l = model.forward({ inputIds: ids, labels: ids }).loss!;
      l.backward();
      return l;
    });
    opt.step();
    return (await readAndDispose(loss))[0]!;
  };
  const times: number[] = [];
  try {
    for (let i = 0; i <= steps; i++) {
      const t0 = performance.now();
      const loss = await step();
      const s = (performance.now() - t0) / 1000;
      if (i > 0) times.push(s);
      afterStep();
      log(
        `    ${i === 0 ? 'warm-up step' : `step ${i}/${steps}`}: ${s.toFixed(2)} s, loss ${loss.toFixed(4)}`,
      );
      if (times.length > 0 && times.reduce((a, b) => a + b, 0) > budgetS) break;
    }
  } finally {
    opt.zeroGrad();
    for (const s of opt.state.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    for (const p of model.parameters()) p.dispose();
    ids.dispose();
  }
  const sorted = times.sort((a, b) => a - b);
  const h = sorted.length >> 1;
  return sorted.length % 2 ? sorted[h]! : (sorted[h - 1]! + sorted[h]!) / 2;
}
