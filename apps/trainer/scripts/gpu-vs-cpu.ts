// Compares the training losses of two runs of the same configuration and seed, one with --device cpu and one with
// --device gpu (log.jsonl of each), step by step: writes a Markdown table and an SVG chart.
// Usage: gpu-vs-cpu.ts CPU_RUN GPU_RUN OUT_PREFIX   (writes OUT_PREFIX.md and OUT_PREFIX.svg)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg } from '../src/chart.ts';

const [cpuRun, gpuRun, prefix] = process.argv.slice(2) as [string, string, string];
const losses = (run: string): number[] =>
  readFileSync(join(run, 'log.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { type: string; loss: number })
    .filter((r) => r.type === 'train')
    .map((r) => r.loss);
const cpu = losses(cpuRun);
const gpu = losses(gpuRun);
const n = Math.min(cpu.length, gpu.length);
let worst = 0;
const rows = ['| step | cpu loss | gpu loss | gpu − cpu | relative |', '|---:|---:|---:|---:|---:|'];
for (let i = 0; i < n; i++) {
  const d = gpu[i]! - cpu[i]!;
  worst = Math.max(worst, Math.abs(d) / Math.abs(cpu[i]!));
  rows.push(
    `| ${i + 1} | ${cpu[i]!.toFixed(6)} | ${gpu[i]!.toFixed(6)} | ${d.toExponential(2)} | ${(Math.abs(d) / Math.abs(cpu[i]!)).toExponential(2)} |`,
  );
}
writeFileSync(
  `${prefix}.md`,
  `${rows.join('\n')}\n\n${n} steps compared (the CPU run has ${cpu.length}); largest relative difference ${worst.toExponential(2)}.\n`,
);
writeFileSync(
  `${prefix}.svg`,
  lineChartSvg({
    title: 'default GPT: training loss, --device cpu vs --device gpu (same seed)',
    xLabel: 'step',
    yLabel: 'cross-entropy (nats/token)',
    notes: [
      `${n} steps on the gpu (gpu.js headless-gl on Mesa); largest relative difference ${worst.toExponential(2)}`,
    ],
    series: [
      { name: 'cpu', color: '#1f77b4', points: cpu.map((l, i) => [i + 1, l] as [number, number]) },
      {
        name: 'gpu',
        color: '#d62728',
        points: gpu.map((l, i) => [i + 1, l] as [number, number]),
        dots: true,
      },
    ],
  }),
);
console.log(`${n} steps, largest relative difference ${worst.toExponential(2)}`);
