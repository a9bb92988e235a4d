// Draws results/bert-mlm-accuracy.svg: held-out MLM accuracy against training time for trainer BERT runs (their
// log.jsonl, or a file of their eval records), PyTorch runs of bench/pytorch_bert.py (its log.jsonl, same
// fields), and the PyTorch reference figures (2×128 and 4×256, idle 2-core machine).
//   tsx --conditions=@tsformer/source bench/bert-chart.ts <out.svg> <label>=<log.jsonl> …
import { writeFileSync } from 'node:fs';
import { lineChartSvg, type Series } from '../src/chart.ts';
import { readLog } from '../src/train.ts';

const [out, ...runs] = process.argv.slice(2);
if (!out || runs.length === 0) throw new Error('usage: bert-chart.ts <out.svg> <label>=<log.jsonl> …');
const colors = ['#d62728', '#ff7f0e', '#9467bd', '#1f77b4', '#2ca02c', '#8c564b'];
const series: Series[] = runs.map((arg, i) => {
  const eq = arg.indexOf('=');
  const name = arg.slice(0, eq);
  const evals = readLog(arg.slice(eq + 1)).filter(
    (r) => r.type === 'eval' && typeof r.mlmAccuracy === 'number',
  );
  return {
    name,
    color: colors[i % colors.length]!,
    dots: true,
    points: evals.map(
      (r) => [(r.trainTime as number) / 60, 100 * (r.mlmAccuracy as number)] as [number, number],
    ),
  };
});
series.push({
  name: 'PyTorch reference (issue: 2×128, batch 32, idle machine)',
  color: '#7f7f7f',
  dots: true,
  points: [
    [5, 16.4],
    [10, 17.3],
  ],
});
writeFileSync(
  out,
  lineChartSvg({
    title: 'BERT on Moby-Dick: held-out masked-LM accuracy',
    xLabel: 'training time (minutes, evaluation excluded)',
    yLabel: 'MLM accuracy (%)',
    notes: [
      '512 fixed validation pairs, 3,753 masked tokens (3,986 with WordPiece 4,096); target ≥ 16 % in 10 minutes',
      '2 layers × 128, 2 heads, FFN 512, WordPiece 8,192 unless named',
    ],
    legend: 'bottom-right',
    series,
  }),
);
console.log(`wrote ${out}`);
