import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromSafetensors, type Tensor } from '@tsformer/tensor';

/** The hf-tiny fixture folder: $TSFORMER_HF_FIXTURES, else <repo>/../shared/fixtures/hf-tiny. */
export const FIXTURES: string =
  process.env.TSFORMER_HF_FIXTURES ??
  resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/hf-tiny');

export const haveFixtures: boolean = existsSync(join(FIXTURES, 'bert', 'model.safetensors'));

export function readBytes(...parts: string[]): Uint8Array {
  const b = readFileSync(join(FIXTURES, ...parts));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function readText(...parts: string[]): string {
  return readFileSync(join(FIXTURES, ...parts), 'utf8');
}

export function readTensors(...parts: string[]): Record<string, Tensor> {
  return fromSafetensors(readBytes(...parts), { fileName: parts.join('/') });
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Throws unless max|ours - ref| <= rel·max|ref| (the README's output criterion), naming `label`. */
export function expectRelClose(
  ours: Tensor | ArrayLike<number>,
  ref: Tensor | ArrayLike<number>,
  rel: number,
  label: string,
): void {
  const a = 'dataSync' in ours ? ours.dataSync() : ours;
  const b = 'dataSync' in ref ? ref.dataSync() : ref;
  if ('shape' in ours && 'shape' in ref && ours.shape.join(',') !== ref.shape.join(',')) {
    throw new Error(`${label}: shape [${ours.shape.join(',')}] vs reference [${ref.shape.join(',')}]`);
  }
  const d = maxAbsDiff(a, b);
  const bound = rel * maxAbs(b);
  if (!(d <= bound)) throw new Error(`${label}: max|diff| ${d.toExponential(3)} > ${bound.toExponential(3)}`);
}
