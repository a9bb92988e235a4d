import { describe, expect, it } from 'vitest';
import {
  add,
  gelu,
  hostArray,
  layerNorm,
  matmul,
  mul,
  randn,
  setBackend,
  softmax,
  sum,
  tensor,
  zeros,
} from '../../index.ts';
import { expectClose } from '../../testing/index.ts';
import { WasmGemmEngine } from './gemm/wasm-engine.ts';
import { createCpuBackend } from './index.ts';
import { EngineMemory, HEAP_BASE } from './memory.ts';

const MiB = 2 ** 20;

describe('EngineMemory', () => {
  it('hands out views of the shared memory, 64-byte aligned, and reuses a freed block for the same size', () => {
    const memory = new EngineMemory();
    expect(memory.shared).toBe(true);
    const a = memory.alloc('float32', 1000) as Float32Array;
    expect(memory.isResident(a)).toBe(true);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(a.byteOffset % 64).toBe(0);
    expect(a.byteOffset).toBeGreaterThanOrEqual(HEAP_BASE);
    const b = memory.alloc('int32', 10);
    expect(b).toBeInstanceOf(Int32Array);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + 4000);
    const at = a.byteOffset;
    memory.free(a);
    memory.free(a); // a second free of the same block changes nothing
    expect(memory.stats().free).toBeGreaterThanOrEqual(4000);
    const c = memory.alloc('float32', 990); // the same size class
    expect(c.byteOffset).toBe(at);
    const d = memory.alloc('float32', 1000);
    expect(d.byteOffset).not.toBe(at);
    expect(memory.isResident(new Float32Array(4))).toBe(false);
  });

  it('grows, and views made before the growth stay valid after it', () => {
    const memory = new EngineMemory();
    const before = memory.stats().committed;
    const early = memory.alloc('float32', 256) as Float32Array;
    early.set(Float32Array.from({ length: 256 }, (_, i) => i));
    const big = memory.alloc('float32', (8 * MiB) / 4) as Float32Array; // more than the initial 2 MiB
    expect(memory.stats().committed).toBeGreaterThan(before);
    big.fill(7);
    expect(early[255]).toBe(255); // same memory, its old SharedArrayBuffer at its old length
    early[0] = -1;
    expect(memory.views().f32[early.byteOffset / 4]).toBe(-1); // the re-derived whole-memory view sees the write
    expect(memory.views().f32.length).toBe(memory.stats().committed / 4);
  });

  it('merges freed blocks of other sizes before growing far past them, and zeros reused memory', () => {
    const memory = new EngineMemory();
    const blocks = Array.from({ length: 64 }, (_, i) => memory.alloc('float32', 16384 + 64 * i));
    for (const b of blocks) b.fill(3);
    const committed = memory.stats().committed;
    for (const b of blocks) memory.free(b);
    // a size no free list holds: served from the merged blocks, not from new memory
    const merged = memory.zeros('float32', 200_000) as Float32Array;
    expect(memory.stats().committed).toBe(committed);
    expect(merged.every((x) => x === 0)).toBe(true); // written zeros: that memory held threes
    const after = memory.alloc('float32', 900_000);
    expect(after.byteOffset).toBeGreaterThan(merged.byteOffset);
  });

  it('falls back to the JavaScript heap when the memory cannot grow', () => {
    const memory = new EngineMemory({ maximumPages: 64 }); // 4 MiB
    const fits = memory.alloc('float32', MiB / 4);
    expect(memory.isResident(fits)).toBe(true);
    const overflow = memory.alloc('float32', MiB); // 4 MiB more
    expect(memory.isResident(overflow)).toBe(false);
    expect(overflow.length).toBe(MiB);
    expect(memory.stats().heapFallbacks).toBe(1);
    expect(memory.allocBlock(8 * MiB)).toBe(-1);
  });

  it('keeps tensors on the heap where the memory is not shared', () => {
    const memory = new EngineMemory({ shared: false });
    expect(memory.shared).toBe(false);
    const a = memory.alloc('float32', 100);
    expect(memory.isResident(a)).toBe(false);
    const block = memory.allocBlock(400); // scratch for a kernel call: still in the (unshared) memory
    expect(block).toBeGreaterThanOrEqual(HEAP_BASE);
    memory.freeBlock(block);
  });
});

describe('the CPU backend on EngineMemory', () => {
  it('tensors live in the engine memory and are freed on dispose', () => {
    const backend = createCpuBackend({ threads: 1 });
    const memory = backend.memory!;
    const prev = setBackend(backend);
    try {
      const inUse = memory.stats().inUse;
      const x = randn([64, 64], { seed: 1 });
      expect(memory.isResident(x.storage as Float32Array)).toBe(true);
      expect(memory.stats().inUse).toBeGreaterThan(inUse);
      x.dispose();
      expect(memory.stats().inUse).toBe(inUse);
    } finally {
      if (prev) setBackend(prev);
      backend.dispose?.();
    }
  });

  it('hostArray is filled in place and becomes the storage without a copy', () => {
    const backend = createCpuBackend({ threads: 1 });
    const data = hostArray('float32', 6, backend) as Float32Array;
    expect(backend.memory!.isResident(data)).toBe(true);
    data.set([1, 2, 3, 4, 5, 6]);
    const t = tensor(data, [2, 3], { backend, copy: false });
    expect(t.storage).toBe(data);
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    // a heap array is copied into the engine's memory instead
    const copied = tensor(new Float32Array([7, 8]), [2], { backend, copy: false });
    expect(backend.memory!.isResident(copied.storage as Float32Array)).toBe(true);
    backend.dispose?.();
  });

  it('a tensor made before the memory grows is read and multiplied correctly after', async () => {
    const backend = createCpuBackend({ threads: 2 });
    await backend.ready;
    const prev = setBackend(backend);
    try {
      const a = tensor([
        [1, 2],
        [3, 4],
      ]);
      const committed = backend.memory!.stats().committed;
      const big = zeros([4096, 4096]); // 64 MiB: the memory grows
      expect(backend.memory!.stats().committed).toBeGreaterThan(committed);
      expect(matmul(a, a).toArray()).toEqual([
        [7, 10],
        [15, 22],
      ]);
      expect(big.dataSync()[4096 * 4096 - 1]).toBe(0);
    } finally {
      if (prev) setBackend(prev);
      backend.dispose?.();
    }
  });

  it('with resident: false tensors stay on the heap and the kernels copy them in', () => {
    const backend = createCpuBackend({ threads: 1, resident: false });
    const prev = setBackend(backend);
    try {
      const x = randn([300, 40], { seed: 2 });
      expect(backend.memory!.isResident(x.storage as Float32Array)).toBe(false);
      const y = matmul(x, x, { transB: true });
      expect(backend.memory!.isResident(y.storage as Float32Array)).toBe(false);
      expect(y.shape).toEqual([300, 300]);
    } finally {
      if (prev) setBackend(prev);
      backend.dispose?.();
    }
  });

  it('a full memory: tensors on the heap, kernels copy them in, or fall back to TypeScript without room', async () => {
    const full = createCpuBackend({ threads: 2, maxMemoryBytes: 4 * MiB, parallelElements: 0 });
    const js = createCpuBackend({ threads: 1, wasm: false });
    await full.ready;
    const run = (backend: typeof js) => {
      const prev = setBackend(backend);
      try {
        // 1.5M floats (6 MiB) per operand: more than the whole memory
        const a = randn([1200, 1250], { seed: 3 });
        const b = randn([1250, 64], { seed: 4 });
        const h = matmul(a, b); // [1200, 64]
        const y = layerNorm(gelu(add(h, mul(h, 0.5))), null, null);
        const s = softmax(a, -1);
        const r = sum(mul(a, a), { axis: 0 });
        return [h, y, s, r].map((t) => Float32Array.from(t.dataSync() as Float32Array));
      } finally {
        if (prev) setBackend(prev);
      }
    };
    const got = run(full);
    const want = run(js);
    expect(full.memory!.stats().heapFallbacks).toBeGreaterThan(0);
    for (let i = 0; i < got.length; i++) expectClose(got[i]!, want[i]!, { atol: 2e-4, rtol: 1e-4 });
    full.dispose?.();
  });

  it('the engine checks that the module leaves room for the heap', () => {
    const engine = new WasmGemmEngine({ threads: 1 });
    expect(engine.exports.heapBase()).toBeLessThanOrEqual(HEAP_BASE);
    engine.dispose();
  });
});
