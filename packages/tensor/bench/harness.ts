// Shared pieces of the tensor benchmarks: result rows, timing, machine description.
import { availableParallelism, cpus } from 'node:os';

/** One row of `pnpm bench --json` (see STYLE.md §10). */
export interface BenchResult {
  name: string;
  /** Who ran it: 'tsformer', a competitor ('tfjs-wasm', 'js'), or 'tsformer/<competitor>' for a ratio. */
  impl: string;
  backend?: string;
  threads?: number;
  unit: string;
  value: number;
}

/** A benchmark section: runs and returns its rows; `log` prints progress for people (stderr under --json). */
export type BenchSection = (log: (line: string) => void) => Promise<BenchResult[]>;

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  date: string;
}

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    node: process.versions.node,
    date: new Date().toISOString().slice(0, 10),
  };
}

export interface TimeOptions {
  /** Untimed calls first (V8 tiers WebAssembly and JS up to its optimizing compiler). */
  warmup?: number;
  /** Timed calls; the median is reported. */
  runs?: number;
  /** Stop adding runs (after the first) once this many milliseconds have been spent timing. */
  budgetMs?: number;
}

/** Median wall time of `fn` in milliseconds. */
export function timeMedian(fn: () => void, options: TimeOptions = {}): number {
  const { warmup = 2, runs = 7, budgetMs = Number.POSITIVE_INFINITY } = options;
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  let spent = 0;
  for (let i = 0; i < runs && (i === 0 || spent < budgetMs); i++) {
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    times.push(dt);
    spent += dt;
  }
  times.sort((x, y) => x - y);
  return times[Math.floor((times.length - 1) / 2)]!;
}

export const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
