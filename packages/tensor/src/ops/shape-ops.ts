import { isGradEnabled } from '../autograd.ts';
import { fmt, normalizeAxis, type Shape, shapesEqual, sizeOf, stridesOf } from '../shape.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { zeros } from './create.ts';
import { checkSameBackend } from './helpers.ts';
import { sumToShape } from './reduce.ts';

/** The same elements in a new shape, sharing storage (a view). One dim may be -1. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (free !== -1) {
    const known = out.reduce((n, d, i) => (i === free ? n : n * d), 1);
    out[free] = known === 0 ? 0 : x.size / known;
  }
  if (out.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(out) !== x.size) {
    throw new Error(`reshape: cannot view ${fmt(x.shape)} (${x.size} elements) as ${fmt(shape)}`);
  }
  if (shapesEqual(out, x.shape)) return x;
  x.storage; // throws if disposed
  x._ref.refs++;
  return makeTensor(x.backend, x._ref, out, x.dtype, () => ({
    op: 'reshape',
    inputs: [x],
    backward: (g) => [reshape(g, x.shape)],
  }));
}

export function flatten(x: Tensor): Tensor {
  return reshape(x, [x.size]);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank + 1 : axis;
  if (a < 0 || a > x.rank) throw new Error(`unsqueeze: axis ${axis} out of range for rank ${x.rank}`);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normalizeAxis('squeeze', axis, x.rank);
  if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${axis} of ${fmt(x.shape)} is not 1`);
  return reshape(x, [...x.shape.slice(0, a), ...x.shape.slice(a + 1)]);
}

/** Broadcasts x to `shape` (materialised). */
export function expand(x: Tensor, shape: Shape): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  const lead = shape.length - x.rank;
  const own = stridesOf(x.shape);
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    const xd = x.shape[i - lead]!;
    if (xd !== d && xd !== 1) throw new Error(`expand: cannot broadcast ${fmt(x.shape)} to ${fmt(shape)}`);
    return xd === 1 ? 0 : own[i - lead]!;
  });
  const storage = x.backend.copyStrided({ storage: x.storage, dtype: x.dtype, offset: 0, strides }, shape);
  return makeTensor(x.backend, storage, shape, x.dtype, () => ({
    op: 'expand',
    inputs: [x],
    backward: (g) => [sumToShape(g, x.shape)],
  }));
}

/** Reorders axes: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (
    perm.length !== x.rank ||
    new Set(perm.map((p) => normalizeAxis('permute', p, x.rank))).size !== x.rank
  ) {
    throw new Error(
      `permute: [${perm.join(',')}] is not a permutation of the ${x.rank} axes of ${fmt(x.shape)}`,
    );
  }
  const p = perm.map((a) => normalizeAxis('permute', a, x.rank));
  if (p.every((a, i) => a === i)) return x;
  const own = stridesOf(x.shape);
  const shape = p.map((a) => x.shape[a]!);
  const storage = x.backend.copyStrided(
    { storage: x.storage, dtype: x.dtype, offset: 0, strides: p.map((a) => own[a]!) },
    shape,
  );
  const inverse = new Array<number>(p.length);
  p.forEach((a, i) => {
    inverse[a] = i;
  });
  return makeTensor(x.backend, storage, shape, x.dtype, () => ({
    op: 'permute',
    inputs: [x],
    backward: (g) => [permute(g, inverse)],
  }));
}

/** Swaps two axes (by default the last two). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const a = normalizeAxis('transpose', dim0, x.rank);
  const b = normalizeAxis('transpose', dim1, x.rank);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/**
 * The block starting at `begin` of size `size` (per axis; -1 = to the end; missing trailing axes = whole),
 * like tf.slice.
 */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  const start = x.shape.map((d, i) => {
    const b = begin[i] ?? 0;
    return b < 0 ? b + d : b;
  });
  const len = x.shape.map((d, i) => {
    const s = size?.[i] ?? -1;
    return s === -1 ? d - start[i]! : s;
  });
  for (let i = 0; i < x.rank; i++) {
    if (start[i]! < 0 || len[i]! < 0 || start[i]! + len[i]! > x.shape[i]!) {
      throw new Error(
        `slice: begin [${begin.join(',')}] size [${(size ?? []).join(',')}] out of range for ${fmt(x.shape)}`,
      );
    }
  }
  if (shapesEqual(len, x.shape)) return x;
  const strides = stridesOf(x.shape);
  const offset = start.reduce((o, s, i) => o + s * strides[i]!, 0);
  const storage = x.backend.copyStrided({ storage: x.storage, dtype: x.dtype, offset, strides }, len);
  return makeTensor(x.backend, storage, len, x.dtype, () => ({
    op: 'slice',
    inputs: [x],
    backward: (g) => {
      // pad the gradient back to x's shape with zero blocks, one axis at a time
      let out = g;
      for (let i = 0; i < x.rank; i++) {
        const before = start[i]!;
        const after = x.shape[i]! - start[i]! - len[i]!;
        if (before === 0 && after === 0) continue;
        const parts: Tensor[] = [];
        if (before > 0)
          parts.push(
            zeros(
              out.shape.map((d, j) => (j === i ? before : d)),
              { backend: x.backend },
            ),
          );
        parts.push(out);
        if (after > 0)
          parts.push(
            zeros(
              out.shape.map((d, j) => (j === i ? after : d)),
              { backend: x.backend },
            ),
          );
        out = concat(parts, i);
      }
      return [out];
    },
  }));
}

/** `length` entries of `axis` from `start`, like torch.narrow. */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normalizeAxis('narrow', axis, x.rank);
  const begin = x.shape.map((_, i) => (i === a ? start : 0));
  const size = x.shape.map((d, i) => (i === a ? length : d));
  return slice(x, begin, size);
}

/** Joins tensors along `axis`; all other dims must agree. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('concat: no tensors');
  const first = tensors[0]!;
  const a = normalizeAxis('concat', axis, first.rank);
  checkSameBackend('concat', ...tensors);
  for (const t of tensors) {
    if (
      t.rank !== first.rank ||
      t.dtype !== first.dtype ||
      t.shape.some((d, i) => i !== a && d !== first.shape[i])
    ) {
      throw new Error(
        `concat: shapes ${tensors.map((t) => `${fmt(t.shape)} ${t.dtype}`).join(', ')} differ off axis ${axis}`,
      );
    }
  }
  if (tensors.length === 1) return first;
  const outer = sizeOf(first.shape.slice(0, a));
  const shape = [...first.shape];
  shape[a] = tensors.reduce((n, t) => n + t.shape[a]!, 0);
  const storage = first.backend.concat(
    tensors.map((t) => ({ storage: t.storage, inner: sizeOf(t.shape.slice(a)) })),
    outer,
    first.dtype,
  );
  return makeTensor(first.backend, storage, shape, first.dtype, () => ({
    op: 'concat',
    inputs: tensors,
    backward: (g) => {
      let at = 0;
      return tensors.map((t) => {
        const part = t.requiresGrad ? narrow(g, a, at, t.shape[a]!) : null;
        at += t.shape[a]!;
        return part;
      });
    },
  }));
}

/** Splits along `axis` into pieces of the given sizes, or into `n` equal pieces. */
export function split(x: Tensor, sizesOrCount: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis('split', axis, x.rank);
  const d = x.shape[a]!;
  let sizes: number[];
  if (typeof sizesOrCount === 'number') {
    if (d % sizesOrCount !== 0)
      throw new Error(`split: axis ${axis} of ${fmt(x.shape)} is not divisible by ${sizesOrCount}`);
    sizes = new Array<number>(sizesOrCount).fill(d / sizesOrCount);
  } else sizes = [...sizesOrCount];
  if (sizes.reduce((s, n) => s + n, 0) !== d) {
    throw new Error(
      `split: sizes [${sizes.join(',')}] do not add up to ${d} (axis ${axis} of ${fmt(x.shape)})`,
    );
  }
  let at = 0;
  return sizes.map((n) => {
    const part = narrow(x, a, at, n);
    at += n;
    return part;
  });
}

/**
 * Writes `src` into `dst` in place at [start, start + src.shape[axis]) along `axis` (PyTorch's
 * `dst.narrow(axis, start, n).copy_(src)`): the one op that changes an existing tensor, for buffers such as a
 * preallocated KV cache. No gradient flows through it. Needs a backend with `writeInto` (the CPU backend);
 * `canCopyInto` says whether `dst`'s has it.
 */
export function copyInto_(dst: Tensor, axis: number, start: number, src: Tensor): Tensor {
  const a = normalizeAxis('copyInto_', axis, dst.rank);
  checkSameBackend('copyInto_', dst, src);
  const n = src.shape[a];
  if (
    src.rank !== dst.rank ||
    src.dtype !== dst.dtype ||
    src.shape.some((d, i) => i !== a && d !== dst.shape[i]) ||
    n === undefined ||
    !Number.isInteger(start) ||
    start < 0 ||
    start + n > dst.shape[a]!
  ) {
    throw new Error(
      `copyInto_: ${fmt(src.shape)} ${src.dtype} does not fit ${fmt(dst.shape)} ${dst.dtype} at ${start} along axis ${axis}`,
    );
  }
  if (isGradEnabled() && (src.requiresGrad || dst.requiresGrad)) {
    throw new Error('copyInto_: no gradient flows through an in-place write; call it under noGrad');
  }
  const write = dst.backend.writeInto;
  if (write === undefined)
    throw new Error(`copyInto_: the ${dst.backend.name} backend cannot write in place`);
  const dstStrides = stridesOf(dst.shape);
  write.call(
    dst.backend,
    dst.storage,
    start * dstStrides[a]!,
    dstStrides,
    { storage: src.storage, dtype: src.dtype, offset: 0, strides: stridesOf(src.shape) },
    src.shape,
  );
  return dst;
}

/** Whether `t`'s backend can write into existing storage (`copyInto_`). */
export function canCopyInto(t: Tensor): boolean {
  return t.backend.writeInto !== undefined;
}
