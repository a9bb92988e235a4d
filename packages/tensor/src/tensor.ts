import { type GradNode, isGradEnabled, noGrad, topoSort } from './autograd.ts';
import type { Backend, Storage } from './backend.ts';
import type { DType, TypedArray } from './dtype.ts';
import { keep, setTensorCheck, track } from './engine.ts';
import * as ops from './ops/index.ts';
import { fmt, type Shape, shapesEqual, sizeOf } from './shape.ts';

/** Storage shared by views (reshape): freed when the last tensor using it is disposed. */
export class StorageRef {
  handle: Storage | null;
  refs = 1;
  readonly backend: Backend;
  constructor(backend: Backend, handle: Storage) {
    this.backend = backend;
    this.handle = handle;
  }
  release(): void {
    if (--this.refs === 0 && this.handle !== null) {
      this.backend.free(this.handle);
      this.handle = null;
    }
  }
}

type Nested = number | Nested[];

/**
 * An n-dimensional array of float32 or int32 on one backend, contiguous in row-major order, with an optional
 * gradient. Ops never mutate their inputs; `reshape` shares storage.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  readonly backend: Backend;
  /** @internal */
  _ref: StorageRef;
  /** @internal the op that made this tensor, when recorded */
  _node: GradNode | null = null;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  private disposed = false;

  /** @internal use the factories (`tensor`, `zeros`, …) or ops */
  constructor(ref: StorageRef, shape: Shape, dtype: DType, requiresGrad = false) {
    this._ref = ref;
    this.backend = ref.backend;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this.requiresGrad = requiresGrad;
    track(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** @internal the backend storage; throws if disposed */
  get storage(): Storage {
    const h = this._ref.handle;
    if (this.disposed || h === null) throw new Error(`tensor ${fmt(this.shape)} ${this.dtype} was disposed`);
    return h;
  }

  /** The elements as a typed array (a copy on GPU backends, which throw here and point to `data()`). */
  dataSync(): TypedArray {
    return this.backend.readSync(this.storage, this.dtype, this.size);
  }

  /** The elements as a typed array; works on every backend. */
  data(): Promise<TypedArray> {
    return this.backend.read(this.storage, this.dtype, this.size);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor ${fmt(this.shape)} has ${this.size} elements, not 1`);
    return this.dataSync()[0]!;
  }

  /** Nested arrays, like tf.arraySync / torch.tolist. */
  toArray(): Nested {
    const data = this.dataSync();
    const build = (dim: number, offset: number): Nested => {
      if (dim === this.shape.length) return data[offset]!;
      const n = this.shape[dim]!;
      const step = sizeOf(this.shape.slice(dim + 1));
      const out: Nested[] = [];
      for (let i = 0; i < n; i++) out.push(build(dim + 1, offset + i * step));
      return out;
    };
    return build(0, 0);
  }

  /** Frees the storage (a GPU texture, or a buffer returned to a pool); the tensor can no longer be read. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this._ref.release();
    this._node = null;
  }

  /** A tensor sharing this storage with no gradient history. */
  detach(): Tensor {
    this._ref.refs++;
    return new Tensor(this._ref, this.shape, this.dtype, false);
  }

  /** Marks a leaf tensor as a parameter whose gradient `backward` fills in. */
  requiresGrad_(on = true): this {
    if (on && this.dtype !== 'float32')
      throw new Error(`requiresGrad: only float32 tensors can require grad`);
    this.requiresGrad = on;
    return this;
  }

  /**
   * Replaces this tensor's values with `value`'s (same shape and dtype) in place, keeping its identity: how
   * optimizers update parameters on every backend. The graph is not recorded.
   */
  assign(value: Tensor): this {
    if (!shapesEqual(value.shape, this.shape) || value.dtype !== this.dtype) {
      throw new Error(`assign: ${fmt(value.shape)} ${value.dtype} into ${fmt(this.shape)} ${this.dtype}`);
    }
    if (value._ref === this._ref) return this;
    value._ref.refs++;
    this._ref.release();
    this._ref = value._ref;
    return this;
  }

  /**
   * Reverse-mode autodiff from this tensor: accumulates d(this)/d(leaf) into the `grad` of every leaf that
   * requires it (adding to what is there, like PyTorch, until `zeroGrad`). A non-scalar needs `grad`.
   */
  backward(grad?: Tensor, options: { retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad)
      throw new Error('backward: tensor does not require grad (no parameter reaches it)');
    if (grad === undefined && this.size !== 1) {
      throw new Error(`backward: a gradient is needed for a non-scalar tensor ${fmt(this.shape)}`);
    }
    noGrad(() => {
      const order = topoSort(this);
      const grads = new Map<Tensor, Tensor>();
      // gradients given to leaves in this pass: a leaf owns its .grad, so one tensor never goes to two leaves
      const given = new Set<Tensor>();
      if (grad !== undefined) given.add(grad);
      // Intermediate gradients are freed as soon as nothing needs them (as PyTorch's backward does), so the
      // pass holds the activations and a few gradients at a time rather than every gradient of the graph. One
      // tensor may be pending for several inputs (add passes its gradient on to both), so each counts its
      // entries in `grads`.
      const pending = new Map<Tensor, number>();
      const put = (input: Tensor, x: Tensor): void => {
        grads.set(input, x);
        pending.set(x, (pending.get(x) ?? 0) + 1);
      };
      const drop = (x: Tensor): void => {
        const n = (pending.get(x) ?? 0) - 1;
        if (n > 0) pending.set(x, n);
        else {
          pending.delete(x);
          if (!given.has(x)) x.dispose();
        }
      };
      put(this, grad ?? ops.onesLike(this));
      for (let i = order.length - 1; i >= 0; i--) {
        const t = order[i]!;
        const g = grads.get(t);
        if (g === undefined) continue;
        grads.delete(t);
        const node = t._node;
        if (node === null) {
          // a leaf: every contribution has been summed by now (topological order); accumulate into .grad
          pending.delete(g);
          const own = given.has(g) ? ops.clone(g) : g;
          given.add(own);
          if (t.grad === null) t.grad = own;
          else {
            const sum = ops.add(t.grad, own);
            t.grad.dispose(); // the leaf's own tensor from an earlier pass
            t.grad = sum;
          }
          given.add(t.grad);
          keep(t.grad); // gradients outlive the tidy scope that ran backward
          continue;
        }
        const inputGrads = node.backward(g);
        node.inputs.forEach((input, k) => {
          const ig = inputGrads[k];
          if (ig === null || ig === undefined || !input.requiresGrad) return;
          if (!shapesEqual(ig.shape, input.shape)) {
            throw new Error(
              `backward of ${node.op}: gradient ${fmt(ig.shape)} for input ${fmt(input.shape)}`,
            );
          }
          const prev = grads.get(input);
          if (prev === undefined) put(input, ig);
          else {
            put(input, ops.add(prev, ig));
            drop(prev);
          }
        });
        // this node's gradient is spent; returned ones pending nowhere (summed, or for inputs without grad) go
        drop(g);
        for (const ig of inputGrads) if (ig && !pending.has(ig) && !given.has(ig)) ig.dispose();
        if (!options.retainGraph) t._node = null;
      }
    });
  }

  /** Clears the gradient (a parameter's, usually through `Module.zeroGrad` or an optimizer). */
  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  toString(): string {
    return `Tensor(${fmt(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ---- method sugar: each delegates to the op of the same name ----
  add(other: Tensor | number): Tensor {
    return ops.add(this, other);
  }
  sub(other: Tensor | number): Tensor {
    return ops.sub(this, other);
  }
  mul(other: Tensor | number): Tensor {
    return ops.mul(this, other);
  }
  div(other: Tensor | number): Tensor {
    return ops.div(this, other);
  }
  pow(other: Tensor | number): Tensor {
    return ops.pow(this, other);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  matmul(other: Tensor, options?: ops.MatmulOptions): Tensor {
    return ops.matmul(this, other, options);
  }
  sum(axis?: number | readonly number[], keepDims?: boolean): Tensor {
    return ops.sum(this, { axis, keepDims });
  }
  mean(axis?: number | readonly number[], keepDims?: boolean): Tensor {
    return ops.mean(this, { axis, keepDims });
  }
  max(axis?: number | readonly number[], keepDims?: boolean): Tensor {
    return ops.max(this, { axis, keepDims });
  }
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  transpose(dim0 = -2, dim1 = -1): Tensor {
    return ops.transpose(this, dim0, dim1);
  }
  permute(perm: readonly number[]): Tensor {
    return ops.permute(this, perm);
  }
  softmax(axis = -1): Tensor {
    return ops.softmax(this, axis);
  }
  cast(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
}

setTensorCheck((v: unknown): v is Tensor => v instanceof Tensor);

/** @internal wraps fresh backend storage as a tensor and records its graph node when grads are on. */
export function makeTensor(
  backend: Backend,
  storage: Storage | StorageRef,
  shape: Shape,
  dtype: DType,
  node?: () => GradNode,
): Tensor {
  const ref = storage instanceof StorageRef ? storage : new StorageRef(backend, storage);
  const t = new Tensor(ref, shape, dtype);
  if (node !== undefined && isGradEnabled()) {
    const n = node();
    if (n.inputs.some((i) => i.requiresGrad)) {
      t.requiresGrad = true;
      t._node = n;
    }
  }
  return t;
}
