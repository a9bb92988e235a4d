import { GPT2Config, GPT2LMHeadModel } from '@tsformer/gpt';
import { tensor, tidy } from '@tsformer/tensor';
import { AdamW, clipGradNorm } from '@tsformer/tensor/optim';

const [L, C, H, T, B, V] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
  number,
  number,
];
const model = new GPT2LMHeadModel(
  new GPT2Config({ nLayer: L, nEmbd: C, nHead: H, nPositions: T, vocabSize: V }),
);
const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.1, betas: [0.9, 0.99] });
const ids = new Int32Array(B * T).map(() => Math.floor(Math.random() * V));
for (let s = 0; s < 6; s++) {
  const t0 = performance.now();
  const loss = tidy(() => {
    const x = tensor(ids, [B, T]);
    const out = model.forward({ inputIds: x, labels: x });
    out.loss!.backward();
    return out.loss!.item();
  });
  tidy(() => {
    clipGradNorm(model.parameters(), 1);
    opt.step();
    opt.zeroGrad();
  });
  const dt = performance.now() - t0;
  console.log(s, loss.toFixed(3), dt.toFixed(0), 'ms', ((B * T) / (dt / 1000)).toFixed(0), 'tok/s');
}
