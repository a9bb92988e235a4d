import type { Backend } from './backend.ts';
import { createCpuBackend } from './backends/cpu/index.ts';
import type { TypedArray } from './dtype.ts';
import type { Tensor } from './tensor.ts';

let current: Backend | null = null;

/** Makes `backend` the one new tensors are created on. Returns the previous one (or null). */
export function setBackend(backend: Backend): Backend | null {
  const prev = current;
  current = backend;
  return prev;
}

/** The current backend; the first call without `setBackend` creates the CPU backend. */
export function getBackend(): Backend {
  if (current === null) current = createCpuBackend();
  return current;
}

// ---- scoped memory: tidy / keep / dispose -------------------------------------------------------------------

const scopes: Set<Tensor>[] = [];

/** @internal called for every tensor an op creates */
export function track(t: Tensor): void {
  const scope = scopes[scopes.length - 1];
  if (scope !== undefined) scope.add(t);
}

/** Removes `t` from every open scope, so `tidy` will not dispose it. */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  return t;
}

function collect(value: unknown, out: Set<Tensor>, isTensor: (v: unknown) => v is Tensor): void {
  if (isTensor(value)) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out, isTensor);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value)) collect(v, out, isTensor);
}

let tensorCheck: ((v: unknown) => v is Tensor) | null = null;
/** @internal set by tensor.ts to avoid an import cycle at module evaluation */
export function setTensorCheck(check: (v: unknown) => v is Tensor): void {
  tensorCheck = check;
}

/**
 * Runs `fn` and disposes every tensor created inside it except those it returns (in any nesting of arrays and
 * objects) and those passed to `keep`. The same on every backend, so a training step's memory stays flat.
 */
export function tidy<T>(fn: () => T): T {
  scopes.push(new Set());
  let result: T;
  let scope: Set<Tensor>;
  try {
    result = fn();
  } finally {
    scope = scopes.pop()!;
  }
  const returned = new Set<Tensor>();
  collect(result, returned, tensorCheck!);
  for (const t of scope) {
    if (returned.has(t)) {
      const parent = scopes[scopes.length - 1];
      if (parent !== undefined) parent.add(t);
    } else t.dispose();
  }
  return result;
}

/**
 * Reads a tensor with `await t.data()`, the read every backend has (gpu.js WebGPU reads only asynchronously), and
 * frees it, also when the read fails. The result is the tensor's data as a fresh typed array.
 */
export async function readAndDispose(t: Tensor): Promise<TypedArray> {
  try {
    return await t.data();
  } finally {
    t.dispose();
  }
}

/**
 * Reads every tensor now and keeps a host copy on backends whose reads are asynchronous (gpu.js WebGPU), so that
 * synchronous code — `dataSync()`, `item()`, `toSafetensors`, a model's `toPretrainedBytes()` — works on these
 * tensors afterwards; the copy lives until the tensor is freed (storages never change, so it cannot go stale).
 * Immediate on the other backends.
 */
export async function prefetch(tensors: Iterable<Tensor>): Promise<void> {
  const todo = [...tensors].filter((t) => t.backend.prefetch !== undefined);
  // a few reads at a time: each holds a staging copy on the way, and a model's weights may be most of memory
  for (let i = 0; i < todo.length; i += 8) {
    await Promise.all(todo.slice(i, i + 8).map((t) => t.backend.prefetch!(t.storage, t.dtype, t.size)));
  }
}

/** Disposes tensors in any nesting of arrays and objects. */
export function dispose(value: unknown): void {
  const all = new Set<Tensor>();
  collect(value, all, tensorCheck!);
  for (const t of all) t.dispose();
}
