// Shared pieces of this package's benchmarks: result rows, machine description, peak memory, PyTorch.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';

/** One row of `pnpm bench --json` (STYLE.md §10). */
export interface BenchResult {
  name: string;
  /** who ran it: 'tsformer', 'pytorch', or 'tsformer/pytorch' for a ratio (ours ÷ theirs) */
  impl: string;
  backend?: string;
  threads?: number;
  unit: string;
  value: number;
}

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

let peakRss = 0;

/** Records the current resident set size; call it between steps (compute never yields to a timer). */
export function sampleMemory(): number {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return peakRss;
}

export function peakMemoryMb(): number {
  sampleMemory();
  return Math.round(peakRss / 2 ** 20);
}

/** Debian's python3 (where apt installs python3-torch) when present, else the first python3 on PATH. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Whether `python3 -c "import torch"` works here. */
export function havePyTorch(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * Python that says which BLAS PyTorch's matrix products run on: OpenBLAS and its kernel where libblas.so.3 is
 * OpenBLAS (Debian's libopenblas0-pthread), else 'reference BLAS' (Debian's python3-torch alone: several times
 * slower, no fair competitor). Scripts print it as "blas" in their JSON.
 */
export const PYTHON_BLAS = `
def blas():
    import ctypes
    try:
        lib = ctypes.CDLL('libblas.so.3'); lib.openblas_get_corename.restype = ctypes.c_char_p
        return 'OpenBLAS ' + lib.openblas_get_corename().decode()
    except Exception:
        return 'reference BLAS'
`;

/**
 * Runs a Python script that prints one JSON line last; returns its parsed value (or throws with stderr).
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for it, so OpenBLAS picks its own kernel for this processor
 * (some machines set them to work around old OpenBLAS builds; a current one runs slower under them).
 */
export function runPython(script: string, args: string[] = []): unknown {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 1 << 24, env });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!);
}

/** The median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Prints a table of results for people. */
export function table(results: readonly BenchResult[]): string {
  const rows = results.map((r) => [
    r.name,
    r.impl,
    r.threads === undefined ? '' : String(r.threads),
    fmt(r.value),
    r.unit,
  ]);
  const head = ['benchmark', 'impl', 'threads', 'value', 'unit'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
