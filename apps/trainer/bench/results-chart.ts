// Draws results/gpt-bits-per-char.svg: validation bits/char against training time for the trainer's run
// (from its log.jsonl), a PyTorch run of the same shape on this machine (JSON lines of bench/pytorch_gpt.py),
// and the PyTorch reference figures (4×192, 2-core machines).
//   tsx --conditions=@tsformer/source bench/results-chart.ts <run folder> <pytorch.jsonl or -> <out.svg>
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { lineChartSvg, type Series } from '../src/chart.ts';
import { readLog } from '../src/train.ts';

const [run, torchLog, out] = process.argv.slice(2);
if (!run || !torchLog || !out)
  throw new Error('usage: results-chart.ts <run folder> <pytorch.jsonl or -> <out.svg>');
const records = readLog(`${run}/log.jsonl`);
const evals = records.filter((r) => r.type === 'eval' && typeof r.bitsPerChar === 'number');
const series: Series[] = [
  {
    name: 'tsformer (first 8,192 val tokens; last: all)',
    color: '#d62728',
    dots: true,
    points: evals.map((r) => [(r.trainTime as number) / 60, r.bitsPerChar as number] as [number, number]),
  },
  {
    name: 'PyTorch reference (issue, 4×192)',
    color: '#7f7f7f',
    dots: true,
    points: [
      [0.5, 2.63],
      [2, 2.23],
      [5, 2.09],
      [10, 2.01],
    ],
  },
];
if (torchLog !== '-' && existsSync(torchLog)) {
  const lines = readFileSync(torchLog, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, number>);
  series.push({
    name: 'PyTorch, same shape, this machine',
    color: '#1f77b4',
    dots: true,
    points: lines.map((r) => [r.trainTime! / 60, r.bitsPerChar!] as [number, number]),
  });
}
const start = records.find((r) => r.type === 'start') as { config?: Record<string, unknown> } | undefined;
const c = start?.config ?? {};
writeFileSync(
  out,
  lineChartSvg({
    title: 'GPT on Moby-Dick: validation bits per character',
    xLabel: 'training time (minutes, evaluation excluded)',
    yLabel: 'bits / char',
    notes: [
      `tsformer: ${c.nLayer}×${c.nEmbd}, ${c.tokenizer}-${c.vocabSize}, context ${c.context}, batch ${c.batchSize}, lr ${c.lr}`,
    ],
    series,
  }),
);
console.log(`wrote ${out}`);
