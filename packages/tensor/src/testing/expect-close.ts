import type { Tensor } from '../tensor.ts';

export interface CloseOptions {
  atol?: number;
  rtol?: number;
  /** names the comparison in the error */
  label?: string;
}

type Values = Tensor | ArrayLike<number> | number;

function values(x: Values): ArrayLike<number> {
  if (typeof x === 'number') return [x];
  if ('dataSync' in x) return x.dataSync();
  return x;
}

/**
 * Throws unless |actual - expected| <= atol + rtol·|expected| everywhere (numpy.allclose), naming the worst
 * element. Shapes of tensors must agree.
 */
export function expectClose(actual: Values, expected: Values, options: CloseOptions = {}): void {
  const { atol = 1e-5, rtol = 1e-5, label = 'expectClose' } = options;
  if (
    typeof actual === 'object' &&
    'shape' in actual &&
    typeof expected === 'object' &&
    'shape' in expected
  ) {
    const as = (actual as Tensor).shape.join(',');
    const es = (expected as Tensor).shape.join(',');
    if (as !== es) throw new Error(`${label}: shape [${as}] vs expected [${es}]`);
  }
  const a = values(actual);
  const e = values(expected);
  if (a.length !== e.length) throw new Error(`${label}: ${a.length} values vs ${e.length} expected`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i]! - e[i]!);
    const allowed = atol + rtol * Math.abs(e[i]!);
    const bad = Number.isNaN(a[i]!) !== Number.isNaN(e[i]!) || diff > allowed;
    if (bad && (worst === -1 || diff - allowed > worstExcess || Number.isNaN(diff))) {
      worst = i;
      worstExcess = diff - allowed;
    }
  }
  if (worst !== -1) {
    throw new Error(
      `${label}: element ${worst} is ${a[worst]} but expected ${e[worst]} (|diff| ${Math.abs(a[worst]! - e[worst]!).toExponential(3)} > atol ${atol} + rtol ${rtol}·|expected|)`,
    );
  }
}

/** max |a - b| over all elements. */
export function maxAbsDiff(a: Values, b: Values): number {
  const x = values(a);
  const y = values(b);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}
