// `pnpm bench`: kernel benchmarks of @tsformer/tensor. Prints a table for people, or with --json
// exactly one JSON document { machine, results } on stdout (STYLE.md §10). Add a section by exporting
// a BenchSection from its own file and listing it below.

import { gpuBench } from './gpu.ts';
import { type BenchResult, type BenchSection, machine } from './harness.ts';
import { matmulBench } from './matmul.ts';

const sections: [string, BenchSection][] = [
  ['matmul', matmulBench],
  ['gpu', gpuBench],
];

const json = process.argv.includes('--json');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);

async function main(): Promise<void> {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const log = json ? (line: string) => void process.stderr.write(`${line}\n`) : out;
  if (json) {
    // Competitors print notices through console; keep stdout for the JSON document alone.
    console.log = console.info = console.warn = (...args: unknown[]) => log(args.join(' '));
  }
  const info = machine();
  if (!json) out(`${info.cpu}, ${info.cores} cores, Node ${info.node}, ${info.date}\n`);
  const results: BenchResult[] = [];
  for (const [name, section] of sections) {
    if (only && only !== name) continue;
    results.push(...(await section(log)));
  }
  if (json) out(JSON.stringify({ machine: info, results }, null, 2));
  // Worker pools are unreferenced, but competitors may hold handles: exit explicitly.
  process.exit(0);
}

await main();
