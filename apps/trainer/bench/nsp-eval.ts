// NSP and MLM accuracy of a BERT checkpoint on more validation pairs than the trainer's 512 (the first 512 of
// these are the trainer's), to see a run's NSP accuracy with less sampling noise (±0.8 points at 4,096 pairs):
//   tsx --conditions=@tsformer/source bench/nsp-eval.ts <checkpoint folder> [pairs=4096]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { accuracyCounts } from '@tsformer/pretraining-objectives';
import { noGrad, tidy } from '@tsformer/tensor';
import { readTrainerState, STATE_FILE } from '../src/checkpoint.ts';
import { resolveTrainConfig } from '../src/config.ts';
import { loadCorpus, splitCorpus } from '../src/data.ts';
import { loadCheckpointFolder } from '../src/inference.ts';
import { bertData, bertPretrainingForward } from '../src/train.ts';

const [checkpoint, pairsArg] = process.argv.slice(2);
if (!checkpoint) throw new Error('usage: nsp-eval.ts <checkpoint folder> [pairs]');
const loaded = await loadCheckpointFolder(checkpoint);
if (loaded.kind !== 'bert') throw new Error(`${checkpoint} is not a BERT checkpoint`);
const base = existsSync(join(loaded.folder, STATE_FILE))
  ? readTrainerState(loaded.folder).config
  : resolveTrainConfig('bert', {}).config;
const config = { ...base, evalPairs: Number(pairsArg ?? 4096) };
const data = bertData(config, splitCorpus(loadCorpus(config.corpus), config.valDocs), loaded.tokenizer);
const model = loaded.model;
model.eval();
const count = (from: number, to: number) => {
  let nsp = 0;
  let mlm = 0;
  let masked = 0;
  let pairs = 0;
  noGrad(() => {
    for (const batch of data.evalBatches.slice(from / 64, to / 64)) {
      tidy(() => {
        const o = bertPretrainingForward(model, batch);
        nsp += accuracyCounts(o.nspLogits, o.nspLabels).correct;
        mlm += accuracyCounts(o.mlmLogits, o.mlmLabels).correct;
        masked += o.mlmLabels.size;
        pairs += batch.batchSize;
      });
    }
  });
  return { pairs, nspAccuracy: nsp / pairs, mlmAccuracy: mlm / masked };
};
console.log(JSON.stringify({ checkpoint, first512: count(0, 512), all: count(0, config.evalPairs) }));
