// Draws the validation figure of several fine-tuning runs against training time in one SVG (the runs' log.jsonl
// eval records). Usage: tsx --conditions=@tsformer/source scripts/finetune-chart.ts OUT.svg KEY "TITLE" NAME=RUN …
// e.g. KEY f1_spam or tokenAccuracy.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lineChartSvg } from '../src/chart.ts';
import { readLog } from '../src/train.ts';

const [out, key, title, ...runs] = process.argv.slice(2) as [string, string, string, ...string[]];
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const cwd = process.env.INIT_CWD ?? process.cwd();
const series = runs.map((arg, i) => {
  const [name, dir] = arg.split('=') as [string, string];
  const evals = readLog(join(resolve(cwd, dir), 'log.jsonl')).filter((r) => r.type === 'eval');
  return {
    name,
    color: colors[i % colors.length]!,
    points: evals.map((r) => [(r.trainTime as number) / 60, r[key] as number] as [number, number]),
    dots: true,
  };
});
writeFileSync(
  resolve(cwd, out),
  lineChartSvg({
    title,
    xLabel: 'minutes of training',
    yLabel: key,
    notes: [
      'validation figure at each evaluation (intermediate ones on an evenly spread subset, the last on all)',
    ],
    series,
    legend: key === 'loss' ? 'top-right' : 'bottom-right',
  }),
);
