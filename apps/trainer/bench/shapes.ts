// Training speed of a few GPT / BERT shapes on this machine, to pick the default presets (see RESULTS.md):
//   pnpm exec tsx --conditions=@tsformer/source bench/shapes.ts [gpt|bert] [steps]
import { BertConfig, BertForPreTraining } from '@tsformer/bert';
import { GPT2Config, GPT2LMHeadModel } from '@tsformer/gpt';
import {
  causalLmLoss,
  mlmLoss,
  nspLoss,
  selectMaskedPositions,
  trainStep,
} from '@tsformer/pretraining-objectives';
import { add, reshape, tensor } from '@tsformer/tensor';
import { AdamW } from '@tsformer/tensor/optim';

const kind = process.argv[2] ?? 'gpt';
const steps = Number(process.argv[3] ?? 6);

function time(run: () => void): number {
  run();
  run(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) run();
  return (performance.now() - t0) / 1000 / steps;
}

if (kind === 'gpt') {
  const shapes: [string, number, number, number, number, number, number][] = [
    // name, layers, width, heads, context, batch, vocab
    ['4x192 ctx128 b16 v4096', 4, 192, 4, 128, 16, 4096],
    ['4x128 ctx128 b16 v4096', 4, 128, 4, 128, 16, 4096],
    ['3x128 ctx128 b16 v2048', 3, 128, 4, 128, 16, 2048],
    ['4x128 ctx64 b12 char89', 4, 128, 4, 64, 12, 89],
    ['2x128 ctx128 b16 v4096', 2, 128, 4, 128, 16, 4096],
  ];
  for (const [name, l, c, h, t, b, v] of shapes) {
    const model = new GPT2LMHeadModel(
      new GPT2Config({ nLayer: l, nEmbd: c, nHead: h, nPositions: t, vocabSize: v }),
    );
    const optimizer = new AdamW(model.parameters(), { lr: 1e-3 });
    const ids = tensor(
      Int32Array.from({ length: b * t }, (_, i) => (i * 7919) % v),
      [b, t],
    );
    const s = time(() => {
      trainStep({
        model,
        optimizer,
        batch: ids,
        gradClip: 1,
        lossFn: (m, x) => causalLmLoss(m.forward({ inputIds: x }).logits, x),
      });
    });
    console.log(
      `${name.padEnd(26)} ${(model.numParameters() / 1e6).toFixed(2)}M  ${(s * 1000).toFixed(0)} ms/step  ${Math.round((b * t) / s)} tokens/s`,
    );
  }
} else {
  const shapes: [string, number, number, number, number, number][] = [
    ['2x128 ffn512 b32 T~64', 2, 128, 2, 512, 32],
    ['4x256 ffn1024 b32 T~64', 4, 256, 4, 1024, 32],
    ['2x192 ffn768 b32 T~64', 2, 192, 3, 768, 32],
  ];
  const t = 64;
  const v = 8192;
  for (const [name, l, c, h, ffn, b] of shapes) {
    const model = new BertForPreTraining(
      new BertConfig({
        numHiddenLayers: l,
        hiddenSize: c,
        numAttentionHeads: h,
        intermediateSize: ffn,
        vocabSize: v,
        maxPositionEmbeddings: 128,
      }),
    );
    const optimizer = new AdamW(model.parameters(), { lr: 1e-3 });
    const ids = tensor(
      Int32Array.from({ length: b * t }, (_, i) => 5 + ((i * 7919) % (v - 5))),
      [b, t],
    );
    const labels = Int32Array.from({ length: b * t }, (_, i) => (i % 7 === 0 ? 5 + (i % 100) : -100));
    const s = time(() => {
      trainStep({
        model,
        optimizer,
        batch: ids,
        gradClip: 1,
        lossFn: (m, x) => {
          const out = m.bert.forward({ inputIds: x });
          const sel = selectMaskedPositions(out.lastHiddenState, labels);
          const logits = m.cls.predictions.forward(reshape(sel.hidden, [1, sel.hidden.shape[0]!, c]));
          const nsp = m.cls.seq_relationship.forward(out.poolerOutput!);
          return add(mlmLoss(logits, sel.labels), nspLoss(nsp, tensor(new Int32Array(b), [b])));
        },
      });
    });
    console.log(
      `${name.padEnd(26)} ${(model.numParameters() / 1e6).toFixed(2)}M  ${(s * 1000).toFixed(0)} ms/step  ${(b / s).toFixed(1)} sequences/s`,
    );
  }
}
