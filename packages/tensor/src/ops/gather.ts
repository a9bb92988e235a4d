import { fmt, sizeOf } from '../shape.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { add, eq, mul } from './binary.ts';
import { arange } from './create.ts';
import { checkSameBackend } from './helpers.ts';
import { reshape } from './shape-ops.ts';
import { where } from './where.ts';

export interface IndexSelectOptions {
  /** rows looked up with this index get no gradient from the lookup (torch.nn.Embedding's padding_idx) */
  paddingIdx?: number | null;
}

/**
 * Rows of `table` ([R, ...rest]) picked by int32 `indices` (any shape): the result is [...indices.shape, ...rest].
 * The backward scatters-adds into the table's rows. An index outside [0, R) throws.
 */
export function indexSelect(table: Tensor, indices: Tensor, options: IndexSelectOptions = {}): Tensor {
  if (indices.dtype !== 'int32') throw new Error(`indexSelect: indices must be int32, got ${indices.dtype}`);
  if (table.rank < 1) throw new Error(`indexSelect: table must have at least 1 dim, got ${fmt(table.shape)}`);
  checkSameBackend('indexSelect', table, indices);
  const numRows = table.shape[0]!;
  const rest = table.shape.slice(1);
  const rowLen = sizeOf(rest);
  const storage = table.backend.gather(
    table.storage,
    table.dtype,
    numRows,
    rowLen,
    indices.storage,
    indices.size,
  );
  const paddingIdx = options.paddingIdx ?? null;
  return makeTensor(table.backend, storage, [...indices.shape, ...rest], table.dtype, () => ({
    op: 'indexSelect',
    inputs: [table, indices],
    backward: (g) => {
      const grad = table.backend.scatterAdd(
        g.storage,
        indices.storage,
        indices.size,
        numRows,
        rowLen,
        paddingIdx,
      );
      return [makeTensor(table.backend, grad, table.shape, 'float32'), null];
    },
  }));
}

/** torch.nn.functional.embedding: weight [V, C], ids int32 [...] → [..., C]. */
export function embedding(weight: Tensor, ids: Tensor, options: IndexSelectOptions = {}): Tensor {
  return indexSelect(weight, ids, options);
}

/**
 * x[..., index[...]] along the last axis: x [...N, V], index int32 [...N] → [...N]. Indices equal to
 * `fillIndex` (e.g. -100) read entry 0 instead (callers mask them out).
 */
export function takeLast(x: Tensor, index: Tensor, fillIndex?: number): Tensor {
  const v = x.shape[x.rank - 1]!;
  const lead = x.shape.slice(0, -1);
  if (index.size !== sizeOf(lead) || index.dtype !== 'int32') {
    throw new Error(`takeLast: index ${fmt(index.shape)} ${index.dtype} does not match ${fmt(x.shape)}`);
  }
  let idx = reshape(index, [index.size]);
  if (fillIndex !== undefined) idx = where(eq(idx, fillIndex), 0, idx);
  const flatIdx = add(mul(arange(index.size, undefined, 1, { backend: x.backend }), v), idx);
  const picked = indexSelect(reshape(x, [x.size, 1]), flatIdx);
  return reshape(picked, lead);
}
