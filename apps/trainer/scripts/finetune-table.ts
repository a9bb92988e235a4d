// Prints a Markdown table of fine-tuning runs from their folders (log.jsonl's start record and the final
// eval_results.json): task, model, initialisation, training time, steps, epochs and the task's figures.
// Usage: tsx --conditions=@tsformer/source scripts/finetune-table.ts runs/ft-spam-pretrained runs/ft-spam-random …
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatTime } from '../src/progress.ts';

const pct = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(2)} %` : '');
const num = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : '');
const rows = [
  '| run | task | body | init | parameters | training | steps | epochs | accuracy | main figure |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
for (const arg of process.argv.slice(2)) {
  const dir = resolve(process.env.INIT_CWD ?? process.cwd(), arg);
  const start = JSON.parse(readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n')[0]!) as {
    task: string;
    kind: string;
    labels: string[];
    parameters: number;
    config: { from: string; init: string };
  };
  const r = JSON.parse(readFileSync(join(dir, 'checkpoint', 'eval_results.json'), 'utf8')) as Record<
    string,
    number
  >;
  const arch = (
    JSON.parse(readFileSync(join(dir, 'checkpoint', 'config.json'), 'utf8')) as { architectures: string[] }
  ).architectures[0]!;
  const main =
    start.kind === 'token'
      ? `token accuracy ${pct(r.tokenAccuracy)}, macro-F1 ${num(r.macroF1)}`
      : start.kind === 'qa'
        ? `EM ${pct(r.exactMatch)}, F1 ${pct(r.f1)}`
        : start.labels.includes('spam')
          ? `spam F1 ${num(r.f1_spam)}`
          : `macro-F1 ${num(r.macroF1)}`;
  rows.push(
    `| ${arg.split('/').pop()} | ${start.task} | ${arch.startsWith('GPT2') ? 'GPT' : 'BERT'} | ${start.config.init} | ${(start.parameters / 1e6).toFixed(2)}M | ${formatTime(r.trainSeconds ?? 0)} | ${r.steps ?? ''} | ${r.epochs?.toFixed(2) ?? ''} | ${pct(r.accuracy ?? r.tokenAccuracy)} | ${main} |`,
  );
}
console.log(rows.join('\n'));
