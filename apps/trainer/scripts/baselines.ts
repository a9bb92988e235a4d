// The non-neural baselines of the built-in fine-tuning tasks, with each loader's time: Naive Bayes on spam and
// the most-frequent-tag tagger on Brown (reference: 97.3 % / spam F1 0.952, and 90.2 %).
// Usage: cd apps/trainer && npx tsx --conditions=@tsformer/source scripts/baselines.ts
import { mostFrequentTagPos, naiveBayesSpam } from '../src/finetune/baselines.ts';
import { loadPosTask, loadSpamTask } from '../src/finetune/datasets.ts';

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const value = f();
  return [value, (performance.now() - t0) / 1000];
}

const [spam, spamLoad] = timed(loadSpamTask);
const [nb, nbTime] = timed(() => naiveBayesSpam(spam));
console.log(
  `spam: ${spam.train.length} train / ${spam.validation.length} test emails (loaded in ${spamLoad.toFixed(2)} s); ` +
    `Naive Bayes (binary words, add-one): accuracy ${(100 * nb.accuracy).toFixed(2)}%, spam F1 ${nb.f1.toFixed(4)} ` +
    `(precision ${nb.precision.toFixed(4)}, recall ${nb.recall.toFixed(4)}; tp ${nb.tp} fp ${nb.fp} fn ${nb.fn} tn ${nb.tn}; ` +
    `${nb.vocabulary} words; ${nbTime.toFixed(2)} s)`,
);

const [pos, posLoad] = timed(loadPosTask);
const [mf, mfTime] = timed(() => mostFrequentTagPos(pos));
console.log(
  `pos: ${pos.train.length} train / ${pos.validation.length} test sentences, ${pos.labels.length} tags (loaded in ${posLoad.toFixed(2)} s); ` +
    `most frequent tag: token accuracy ${(100 * mf.accuracy).toFixed(2)}% of ${mf.tokens} ` +
    `(${mf.unknownTokens} unknown words tagged "${mf.defaultTag}"; ${mfTime.toFixed(2)} s)`,
);
