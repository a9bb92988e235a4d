// Child process of measureLoad(): loads the folder given as argv[2] and prints one JSON line.
import { readFileSync } from 'node:fs';
import { loadModel } from '../src/index.ts';
import { createFolderSource } from '../src/node.ts';

function statusMb(key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Math.round(process.memoryUsage().rss / 2 ** 20);
}

const dir = process.argv[2]!;
const baseMb = statusMb('VmRSS');
const t0 = performance.now();
const { model } = await loadModel(createFolderSource(dir), { task: 'bench' });
const ms = performance.now() - t0;
process.stdout.write(
  `${JSON.stringify({ ms, baseMb, peakMb: statusMb('VmHWM'), params: model.numParameters() })}\n`,
);
