import type { Shape } from '../../../shape.ts';

/**
 * Merges adjacent axes that every operand walks contiguously, so a broadcast like [B,T,C] + [C] runs as a
 * two-level loop [B·T, C]. Returns the reduced shape and each operand's strides over it.
 */
export function coalesce(
  shape: Shape,
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue; // a size-1 axis contributes nothing
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[i]! * d)) {
      outShape[last] = outShape[last]! * d;
      for (let k = 0; k < strides.length; k++) outStrides[k]![last] = strides[k]![i]!;
    } else {
      outShape.push(d);
      for (let k = 0; k < strides.length; k++) outStrides[k]!.push(strides[k]![i]!);
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (const s of outStrides) s.push(0);
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Calls `row(outStart, offsets, n)` for every innermost row of `shape`, with each operand's starting offset;
 * the innermost stride of operand k is strides[k][last].
 */
export function forEachRow(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  row: (outStart: number, offs: Int32Array | number[], n: number) => void,
): void {
  const rank = shape.length;
  const n = shape[rank - 1]!;
  const rows = shape.reduce((a, b) => a * b, 1) / Math.max(n, 1);
  const k = strides.length;
  const offs = offsets.slice();
  const counter = new Array<number>(rank).fill(0);
  let outStart = 0;
  for (let r = 0; r < rows; r++) {
    row(outStart, offs, n);
    outStart += n;
    // advance the multi-index over all axes but the last
    for (let axis = rank - 2; axis >= 0; axis--) {
      counter[axis]!++;
      for (let j = 0; j < k; j++) offs[j]! += strides[j]![axis]!;
      if (counter[axis]! < shape[axis]!) break;
      for (let j = 0; j < k; j++) offs[j]! -= strides[j]![axis]! * shape[axis]!;
      counter[axis] = 0;
    }
  }
}
