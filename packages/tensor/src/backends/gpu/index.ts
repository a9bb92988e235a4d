import { GPU } from 'gpu.js';
import type { Backend, Storage, StridedInput } from '../../backend.ts';
import type { DType, TypedArray } from '../../dtype.ts';
import { type Shape, sizeOf } from '../../shape.ts';
import { coalesce } from '../cpu/kernels/strided.ts';
import { type KernelSpec, nativeFunctions, stridedValues, TEX } from './kernels/common.ts';
import {
  binarySpec,
  castSpec,
  copyStridedSpec,
  fillSpec,
  unarySpec,
  uploadSpec,
  whereSpec,
} from './kernels/elementwise.ts';
import { concatSpec, gatherSpec, scatterAddCsrSpec, scatterAddScanSpec } from './kernels/gather.ts';
import { matmulSpec } from './kernels/matmul.ts';
import { randomArgs, randomSpec } from './kernels/random.ts';
import { reduceSpec } from './kernels/reduce.ts';

/** A gpu.js mode this backend runs on. `headlessgl` is WebGL1 in Node through the optional `gl` package. */
export type GpuMode = 'webgl2' | 'webgl' | 'headlessgl' | 'webgpu';

export interface GpuBackendOptions {
  /**
   * 'auto' (default) takes the first that works of webgl2, webgl, webgpu in a browser, and of headlessgl,
   * webgpu in Node. The GL modes come first because they can read synchronously (`dataSync`, `item`).
   */
  mode?: GpuMode | 'auto';
  /** the gpu.js `GPU` class to use (default: the one imported from `gpu.js`), e.g. a page's bundled copy */
  GPU?: unknown;
}

export interface GpuBackend extends Backend {
  readonly name: 'gpu';
  /** the gpu.js mode in use */
  readonly mode: GpuMode;
  /** whether `readSync` (and so `dataSync`/`item`) works: true on the GL modes, false on WebGPU */
  readonly syncReads: boolean;
  /** the device's maximum texture side (GL modes), for information */
  readonly maxTextureSize: number;
  /** live storages (textures or buffers) this backend has allocated and not freed */
  liveStorages(): number;
  /** resolves when the device is ready (WebGPU asks for an adapter asynchronously) and after pending work */
  readonly ready: Promise<void>;
  /** resolves when every kernel queued so far has finished (WebGPU; immediate on the GL modes) */
  flush(): Promise<void>;
}

/** Element indices are 32-bit signed integers in the shaders (kernels/common.ts). */
const MAX_ELEMENTS = 2 ** 31 - 1;

// ---- the small part of gpu.js this file uses ------------------------------------------------------------

interface GpuTexture {
  toArray(): unknown;
  delete(): void;
}
interface Kernel {
  (...args: unknown[]): unknown;
  setOutput(output: number[]): Kernel;
  output: number[] | null;
  kernel?: { constructor: { name: string }; fallbackReason?: string };
}
interface AdapterLike {
  limits?: { maxStorageBufferBindingSize?: number; maxBufferSize?: number };
}
interface GpuInstance {
  mode: string;
  context?: { getParameter(p: number): unknown; MAX_TEXTURE_SIZE: number } | null;
  createKernel(source: string, settings: object): Kernel;
  destroy(): void;
}
interface GpuClass {
  new (settings: object): GpuInstance;
  isWebGL2Supported: boolean;
  isWebGLSupported: boolean;
  isHeadlessGLSupported: boolean;
  isWebGPUSupported: boolean;
  isWebGPUAvailable(): Promise<boolean>;
}

/** A tensor's elements on the device. */
class GpuStorage {
  /** the texture (GL modes) */
  tex: GpuTexture | null = null;
  /** the buffer handle, when it exists (WebGPU: every kernel runs on a promise chain) */
  pending: Promise<GpuTexture | null> | null = null;
  /** a host copy, kept for uploaded int32 data (indices), so index checks and scatterAdd need no read-back */
  host: TypedArray | null = null;
  freed = false;
  constructor(readonly size: number) {}
}

function asStorage(s: Storage): GpuStorage {
  if (!(s instanceof GpuStorage)) throw new Error('gpu backend: storage from another backend');
  if (s.freed) throw new Error('gpu backend: storage was freed');
  return s;
}

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

function chooseMode(G: GpuClass, requested: GpuMode | 'auto'): GpuMode {
  const order: GpuMode[] =
    requested !== 'auto' ? [requested] : isNode ? ['headlessgl', 'webgpu'] : ['webgl2', 'webgl', 'webgpu'];
  const why: string[] = [];
  for (const mode of order) {
    let reason = '';
    try {
      if (mode === 'headlessgl' && !G.isHeadlessGLSupported) {
        reason = isNode
          ? `the optional \`gl\` package did not load or could not create a context (it needs a display: run under \`xvfb-run -a\`${process.env.DISPLAY ? `; DISPLAY=${process.env.DISPLAY}` : ', DISPLAY is unset'})`
          : 'not in Node';
      } else if (mode === 'webgl2' && !G.isWebGL2Supported) reason = 'no WebGL2 context';
      else if (mode === 'webgl' && !G.isWebGLSupported) reason = 'no WebGL context';
      else if (mode === 'webgpu' && !G.isWebGPUSupported)
        reason = isNode
          ? 'navigator.gpu is missing (in Node, `await installNodeWebGpu()` first: the optional `webgpu` package)'
          : 'navigator.gpu is missing';
    } catch (e) {
      reason = (e as Error).message;
    }
    if (reason === '') return mode;
    why.push(`${mode}: ${reason}`);
  }
  throw new Error(`gpu backend: no GPU path works here (tried ${why.join('; ')})`);
}

/**
 * The gpu.js backend: every tensor is a float32 texture (WebGL, headless-gl) or storage buffer (WebGPU) that
 * stays on the device between kernels (gpu.js pipeline mode); `free` deletes it. int32 tensors are stored as
 * float32 too (exact below 2^24). Reads are synchronous on the GL modes (readPixels) and asynchronous on
 * WebGPU, where `readSync` throws and points to `data()`.
 */
export function createGpuBackend(options: GpuBackendOptions = {}): GpuBackend {
  const G = (options.GPU ?? GPU) as GpuClass;
  const mode = chooseMode(G, options.mode ?? 'auto');
  const gpu = new G({ mode });
  if (gpu.mode !== mode) {
    throw new Error(`gpu backend: gpu.js chose mode ${gpu.mode} instead of ${mode}`);
  }
  const webgpu = mode === 'webgpu';
  let maxTextureSize = -1;
  let live = 0;
  /** WebGPU: elements in the largest buffer gpu.js can bind, once the adapter has answered */
  let bufferElements = 0;
  // WebGPU: one promise chain in submission order (gpu.js returns a Promise per kernel call there)
  let queue: Promise<unknown> = webgpu
    ? G.isWebGPUAvailable().then(async (ok) => {
        if (!ok) throw new Error('gpu backend: navigator.gpu exists but no WebGPU adapter answered');
        // gpu.js asks its device for the adapter's largest buffer and binding: one tensor's bound
        const nav = (
          globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<AdapterLike | null> } } }
        ).navigator;
        const limits = (await nav?.gpu?.requestAdapter())?.limits;
        const bytes = Math.min(
          limits?.maxStorageBufferBindingSize ?? Number.POSITIVE_INFINITY,
          limits?.maxBufferSize ?? Number.POSITIVE_INFINITY,
        );
        if (Number.isFinite(bytes) && bytes > 0) bufferElements = Math.floor(bytes / 4);
      })
    : Promise.resolve();
  const ready = queue.then(() => undefined);

  /** A tensor is one texture or storage buffer, indexed with 32-bit integers: both bound its element count. */
  function checkSize(key: string, size: number): void {
    const what = `gpu backend: ${key}: a tensor of ${size} elements`;
    if (size > MAX_ELEMENTS)
      throw new Error(`${what} exceeds 2^31 - 1, the range of the shaders' integer indices`);
    // below every WebGL2 device's texture (MAX_TEXTURE_SIZE ≥ 2048) and every WebGPU device's binding (≥ 128 MiB);
    // this also keeps the 1-element kernel that reads maxTextureSize from asking for it again
    if (size <= 2047 * 2047) return;
    if (webgpu) {
      if (bufferElements > 0 && size > bufferElements) {
        throw new Error(
          `${what} (${size * 4} bytes) exceeds this device's largest storage buffer (${bufferElements * 4} bytes: the adapter's maxStorageBufferBindingSize and maxBufferSize)`,
        );
      }
      return;
    }
    const side = backend.maxTextureSize;
    // gpu.js folds a tensor into a near-square texture of one float per texel
    if (side > 0 && size > (side - 1) * (side - 1)) {
      throw new Error(`${what} exceeds this device's largest texture (${side} × ${side} texels)`);
    }
  }

  const kernels = new Map<string, Kernel>();
  const natives = nativeFunctions(webgpu);
  function getKernel(key: string, make: () => KernelSpec): Kernel {
    let k = kernels.get(key);
    if (k === undefined) {
      const spec = make();
      k = gpu.createKernel(spec.source, {
        output: [1],
        pipeline: true,
        // mutable kernels whose every result is cloned at once: the clone holds a reference, so the next run
        // renders into a fresh texture (gpu.js's `immutable` recycling of argument textures mixed up tensors
        // of different sizes sharing one kernel)
        // (WebGPU: an immutable pipeline kernel allocates a new output buffer per run, which is what we want)
        immutable: webgpu,
        precision: 'single',
        tactic: 'precision',
        dynamicOutput: true,
        dynamicArguments: true,
        fixIntegerDivisionAccuracy: false,
        loopMaxIterations: MAX_ELEMENTS,
        nativeFunctions: natives,
        // tensors are textures on the GL modes and storage buffers on WebGPU
        argumentTypes: Object.fromEntries(
          spec.args.map(([name, type]) => [name, webgpu && type === TEX ? 'WebGPUBuffer' : type]),
        ),
      });
      kernels.set(key, k);
    }
    return k;
  }

  function checkResult(k: Kernel, out: unknown, key: string): GpuTexture {
    const t = out as GpuTexture | null;
    if (t === null || typeof t !== 'object' || ArrayBuffer.isView(t) || typeof t.delete !== 'function') {
      const why = k.kernel?.fallbackReason;
      throw new Error(
        `gpu backend: kernel ${key} did not run on the GPU (${k.kernel?.constructor.name ?? 'unknown'}${why ? `: ${why}` : ''})`,
      );
    }
    return t;
  }

  /** Runs a kernel over `size` output elements; storages among `args` are passed as their textures. */
  function run(key: string, make: () => KernelSpec, size: number, args: unknown[]): GpuStorage {
    checkSize(key, size);
    const out = new GpuStorage(size);
    live++;
    if (size === 0) return out;
    for (const a of args) if (a instanceof GpuStorage) asStorage(a);
    const k = getKernel(key, make);
    if (!webgpu) {
      const resolved = args.map((a) => (a instanceof GpuStorage ? a.tex : a));
      if (k.output?.[0] !== size) k.setOutput([size]);
      out.tex = (checkResult(k, k(...resolved), key) as GpuTexture & { clone(): GpuTexture }).clone();
      // detach the kernel from the texture now owned by the tensor, so the tensor can be this kernel's input
      // next time (gpu.js would otherwise refuse "source and destination textures are the same")
      const inner = k.kernel as unknown as { texture: { newTexture(): void }; _textureSwitched: boolean };
      inner.texture.newTexture();
      inner._textureSwitched = true;
      return out;
    }
    // the inputs' handles are taken now: a tensor may be freed (tidy) before its queued consumer runs
    const inputs = args.map((a) => (a instanceof GpuStorage ? a.pending : a));
    const p = queue.then(async () => {
      const resolved = await Promise.all(inputs);
      if (k.output?.[0] !== size) k.setOutput([size]);
      return checkResult(k, await k(...resolved), key);
    });
    queue = p.catch(() => undefined);
    out.pending = p;
    p.catch(() => undefined); // an unread failed storage must not be an unhandled rejection; reads report it
    return out;
  }

  function toArray(s: GpuStorage, values: ArrayLike<number>, dtype: DType): TypedArray {
    const out = dtype === 'float32' ? new Float32Array(s.size) : new Int32Array(s.size);
    for (let i = 0; i < s.size; i++) out[i] = values[i]!;
    return out;
  }

  function readSync(storage: Storage, dtype: DType, size: number): TypedArray {
    const s = asStorage(storage);
    if (s.host) return s.host.slice(0, size);
    if (size === 0) return dtype === 'float32' ? new Float32Array(0) : new Int32Array(0);
    if (webgpu) {
      throw new Error(
        'readSync: the gpu backend in webgpu mode reads asynchronously; use `await tensor.data()` instead of dataSync()/item()',
      );
    }
    return toArray(s, s.tex!.toArray() as ArrayLike<number>, dtype);
  }

  /** the indices as host numbers: the host copy, or a synchronous read; null where neither is possible */
  function hostIndices(s: GpuStorage, n: number): TypedArray | null {
    if (s.host) return s.host;
    if (webgpu) return null;
    return readSync(s, 'int32', n);
  }

  function strided(key: string, make: (rank: number) => KernelSpec, outShape: Shape, inputs: StridedInput[]) {
    const { shape, strides } = coalesce(
      outShape,
      inputs.map((x) => x.strides),
    );
    const rank = shape.length;
    return run(`${key}:${rank}`, () => make(rank), sizeOf(outShape), [
      ...inputs.map((x) => x.storage),
      ...stridedValues(
        shape,
        inputs.map((x, k) => ({ offset: x.offset, strides: strides[k]! })),
      ),
    ]);
  }

  const backend: GpuBackend = {
    name: 'gpu',
    mode,
    syncReads: !webgpu,
    get maxTextureSize(): number {
      if (maxTextureSize < 0) {
        if (webgpu) maxTextureSize = 0;
        else {
          backend.free(backend.fill('float32', 1, 0)); // the GL context exists once a kernel has run
          const k = kernels.get('fill') as unknown as { kernel?: { context?: GpuInstance['context'] } };
          const ctx = k.kernel?.context;
          maxTextureSize = ctx ? Number(ctx.getParameter(ctx.MAX_TEXTURE_SIZE)) : 0;
        }
      }
      return maxTextureSize;
    },
    ready,
    liveStorages: () => live,
    flush: () => queue.then(() => undefined),

    upload(data) {
      // gpu.js reads a typed array's whole buffer: copy views that start inside it or end before its end
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      const f32 = data instanceof Float32Array && whole ? data : Float32Array.from(data);
      const s = run('upload', () => uploadSpec, data.length, [f32]);
      if (data instanceof Int32Array) s.host = data;
      return s;
    },
    fill(_dtype, size, value) {
      return run('fill', () => fillSpec, size, [value]);
    },
    readSync,
    async read(storage, dtype, size) {
      const s = asStorage(storage);
      if (s.host) return s.host.slice(0, size);
      if (size === 0) return dtype === 'float32' ? new Float32Array(0) : new Int32Array(0);
      if (!webgpu) return readSync(s, dtype, size);
      const handle = await s.pending!;
      return toArray(s, (await handle!.toArray()) as ArrayLike<number>, dtype);
    },
    async prefetch(storage, dtype, size) {
      const s = asStorage(storage);
      if (!webgpu || s.host || size === 0) return;
      const values = await backend.read(s, dtype, size);
      if (!s.freed) s.host = values;
    },
    free(storage) {
      const s = storage as GpuStorage;
      if (s.freed) return;
      s.freed = true;
      live--;
      s.host = null;
      if (s.tex) s.tex.delete();
      s.tex = null;
      if (s.pending) {
        // after every kernel queued so far, which may still read it
        const handle = s.pending;
        queue = queue.then(() =>
          handle.then(
            (h) => h?.delete(),
            () => undefined,
          ),
        );
        s.pending = null;
      }
    },

    unary(op, x, _dtype, size) {
      return run(`unary:${op}`, () => unarySpec(op), size, [x]);
    },
    binary(op, a, b, outShape, outDtype) {
      const intDiv = op === 'div' && outDtype === 'int32';
      return strided(`binary:${op}:${intDiv}`, (r) => binarySpec(op, r, intDiv), outShape, [a, b]);
    },
    where(cond, a, b, outShape) {
      return strided('where', whereSpec, outShape, [cond, a, b]);
    },
    reduce(op, x, _dtype, outer, len, inner) {
      if (len === 0) return backend.fill('float32', outer * inner, 0);
      return run(`reduce:${op}`, () => reduceSpec(op), outer * inner, [x, len, inner, len * inner]);
    },
    matmul(a, b, info) {
      const { batch, m, n, k, transA, transB } = info;
      if (k === 0) return backend.fill('float32', batch * m * n, 0);
      return run('matmul', () => matmulSpec, batch * m * n, [
        a,
        b,
        m,
        n,
        m * n,
        Math.floor(k / 4),
        k - (k % 4),
        k % 4,
        info.aBatchStride,
        transA ? 1 : k,
        transA ? m : 1,
        info.bBatchStride,
        transB ? k : 1,
        transB ? 1 : n,
      ]);
    },
    gather(table, _dtype, numRows, rowLen, indices, numIndices) {
      const idx = hostIndices(asStorage(indices), numIndices);
      if (idx) {
        for (let i = 0; i < numIndices; i++) {
          const r = idx[i]!;
          if (r < 0 || r >= numRows) {
            throw new Error(`indexSelect: index ${r} at position ${i} is out of range for ${numRows} rows`);
          }
        }
      }
      return run('gather', () => gatherSpec, numIndices * rowLen, [table, indices, rowLen]);
    },
    scatterAdd(src, indices, numIndices, numRows, rowLen, skipIndex) {
      const idx = hostIndices(asStorage(indices), numIndices);
      if (idx === null) {
        return run('scatterAdd:scan', () => scatterAddScanSpec, numRows * rowLen, [
          src,
          indices,
          numIndices,
          rowLen,
          skipIndex ?? -1,
        ]);
      }
      // CSR on the host: the source rows of each destination row, in source order
      const starts = new Float32Array(numRows + 1);
      for (let i = 0; i < numIndices; i++) {
        const r = idx[i]!;
        if (r !== skipIndex && r >= 0 && r < numRows) starts[r + 1]!++;
      }
      for (let r = 0; r < numRows; r++) starts[r + 1]! += starts[r]!;
      const used = starts[numRows]!;
      if (used === 0) return backend.fill('float32', numRows * rowLen, 0);
      const rows = new Float32Array(used);
      const next = starts.slice(0, numRows);
      for (let i = 0; i < numIndices; i++) {
        const r = idx[i]!;
        if (r !== skipIndex && r >= 0 && r < numRows) rows[next[r]!++] = i;
      }
      return run('scatterAdd', () => scatterAddCsrSpec, numRows * rowLen, [src, rows, starts, rowLen]);
    },
    copyStrided(x, outShape) {
      return strided('copy', copyStridedSpec, outShape, [x]);
    },
    concat(parts, outer, dtype) {
      const nonEmpty = parts.filter((p) => p.inner > 0);
      if (nonEmpty.length === 0) return backend.fill(dtype, 0, 0);
      if (nonEmpty.length === 1) {
        return run('cast:false', () => castSpec(false), outer * nonEmpty[0]!.inner, [nonEmpty[0]!.storage]);
      }
      let rest = nonEmpty.slice();
      let acc: { storage: Storage; inner: number } | null = null;
      while (rest.length > 0) {
        const group: { storage: Storage; inner: number }[] = acc
          ? [acc, ...rest.slice(0, 3)]
          : rest.slice(0, 4);
        rest = rest.slice(acc ? 3 : 4);
        const total: number = group.reduce((n, p) => n + p.inner, 0);
        const next = run(`concat:${group.length}`, () => concatSpec(group.length), outer * total, [
          ...group.map((p) => p.storage),
          ...group.map((p) => p.inner),
          total,
        ]);
        if (acc) backend.free(acc.storage);
        acc = { storage: next, inner: total };
        if (rest.length === 0) break;
      }
      return acc!.storage;
    },
    random(kind, seed, offset, size) {
      return run(`random:${kind}`, () => randomSpec(kind), size, randomArgs(seed, offset));
    },
    cast(x, from, to, size) {
      const toInt = from === 'float32' && to === 'int32';
      return run(`cast:${toInt}`, () => castSpec(toInt), size, [x]);
    },
    dispose() {
      for (const k of kernels.values()) (k as unknown as { destroy?: () => void }).destroy?.();
      kernels.clear();
      gpu.destroy();
    },
  };
  return backend;
}

export { CHROMIUM_SWIFTSHADER_ICD, installNodeWebGpu, type NodeWebGpuOptions } from './node-webgpu.ts';
