// Single-precision GEMM for @tsformer/tensor: C = A·B, WebAssembly SIMD (f32x4), BLIS-style.
//
// Compiled by `pnpm --filter @tsformer/tensor build:wasm` (assembly/build.mjs) with `--runtime stub`,
// together with kernels.ts, into src/backends/cpu/generated/engine-wasm.ts. The module imports only its
// memory, where the tensors live; the JavaScript side (src/backends/cpu/gemm/wasm-engine.ts) writes the
// parameter block (operand addresses, shapes) and runs `gemm(params, tid)` on every thread.
//
// Loop nest (static mode; the dynamic mode runs the same inner loops on row-block tasks):
//   jc over columns in blocks of NC:                  B block kc×nc, packed once per (jc, pc)
//     pc over k in blocks of KC:                      the micro-kernel keeps kc steps in registers
//       pack B[pc:pc+kc, jc:jc+nc] into NR-wide micro-panels
//       ic over rows in blocks of MC:
//         pack A[ic:ic+mc, pc:pc+kc] into MR-tall micro-panels   (A block stays in L2)
//         jr over micro-panels of B:                               (B micro-panel stays in L1)
//           ir over micro-panels of A: MR×NR micro-kernel, writes (pc = 0) or adds to C
// Packing reads every transpose variant into the same panel layout, so all four run at the same speed.
//
// The micro-kernel is 4×8: eight f32x4 accumulators, two B vectors and four `v128.load32_splat`
// broadcasts of A per k step. V8 (TurboFan) hoists all loads of a loop iteration before the arithmetic,
// so the live set is accumulators + loads; 4×8 (8 + 6 + 1 temporary) is the largest tile that fits the
// 15 allocatable xmm registers without spills (6×8, 4×12 and k-unrolled variants spill and run slower:
// see BENCHMARKS.md).

// Parameter block layout (i32 slots, written by the JavaScript side).
const P_M: usize = 0;
const P_N: usize = 4;
const P_K: usize = 8;
const P_A: usize = 12; // byte address of A for batch entry 0
const P_A_BS: usize = 16; // A batch stride in bytes (0: shared by every batch entry)
const P_TRANS_A: usize = 20; // 1: A is stored [k, m]
const P_B: usize = 24;
const P_B_BS: usize = 28;
const P_TRANS_B: usize = 32; // 1: B is stored [n, k]
const P_C: usize = 36; // C is [batch, m, n] contiguous
const P_MC: usize = 40; // rows of A per packed block and per task (multiple of MR)
const P_NC: usize = 44; // columns of B per packed block, static mode (multiple of NR)
const P_KC: usize = 48; // depth per packed block
const P_PACK: usize = 52; // byte address of thread 0's packing area
const P_PACK_STRIDE: usize = 56; // bytes between the packing areas of consecutive threads
const P_MODE: usize = 60; // 0: threads take row-block tasks from P_NEXT; 1: static ranges; 2: GEMV ranges
const P_BATCH: usize = 64;
const P_NEXT: usize = 68; // next row-block task (atomic counter, dynamic mode)
const P_DONE: usize = 72; // byte address of one i32 per task, set to 1 when the task's rows of C are written
const P_RANGES: usize = 128; // static mode, per thread: b0, b1, m0, m1, n0, n1, _, _ (32 bytes)

const MR: i32 = 4;
const NR: i32 = 8;

// Runs thread `tid`'s share of the product described by the parameter block.
//
// Dynamic mode (rows): the tasks are (batch entry, block of mc rows), taken in order from an atomic
// counter, so a thread slowed down by other work on its core simply takes fewer. A thread packs the
// whole of B for a batch entry (every k block, all n columns) the first time it takes a task of that
// entry. Static mode (columns, for products with few rows): each thread has its own range of C.
export function gemm(params: usize, tid: i32): void {
  const mode = load<i32>(params, P_MODE);
  if (mode == 0) {
    while (gemmTask(params, tid) >= 0);
  } else if (mode == 2) {
    gemvRange(params, params + P_RANGES + ((tid as usize) << 5));
  } else {
    const pack = (load<u32>(params, P_PACK) as usize) + (tid as usize) * (load<u32>(params, P_PACK_STRIDE) as usize);
    staticRange(params, params + P_RANGES + ((tid as usize) << 5), pack + 64);
  }
}

// Dynamic mode: takes the next task and runs it; returns its index, or -1 when none is left. (The
// calling thread runs tasks one at a time so that it can copy finished rows of C out in between.)
// The first 64 bytes of a thread's packing area hold its state: the batch entry whose B is packed
// there (-1 at the start of a job; written by the JavaScript side).
export function gemmTask(params: usize, tid: i32): i32 {
  const m = load<i32>(params, P_M);
  const n = load<i32>(params, P_N);
  const k = load<i32>(params, P_K);
  const mcMax = load<i32>(params, P_MC);
  const kcMax = load<i32>(params, P_KC);
  const blocks = (m + mcMax - 1) / mcMax;
  const t = atomic.add<i32>(params + P_NEXT, 1);
  if (t >= load<i32>(params, P_BATCH) * blocks) return -1;
  const transA = load<i32>(params, P_TRANS_A);
  const transB = load<i32>(params, P_TRANS_B);
  const nPad = (n + NR - 1) & ~(NR - 1);
  // Packing area: state, A block (mcMax × kcMax), all of B (k × nPad), one C tile.
  const state = (load<u32>(params, P_PACK) as usize) + (tid as usize) * (load<u32>(params, P_PACK_STRIDE) as usize);
  const ap = state + 64;
  const bp = ap + ((mcMax * kcMax) << 2);
  const tile = bp + ((k * nPad) << 2);
  const ldc = (n as usize) << 2;
  const bi = t / blocks;
  const ic = (t - bi * blocks) * mcMax;
  const mc = min(mcMax, m - ic);
  const a = (load<u32>(params, P_A) as usize) + (bi as usize) * (load<u32>(params, P_A_BS) as usize);
  const bBs = load<u32>(params, P_B_BS) as usize;
  const b = (load<u32>(params, P_B) as usize) + (bi as usize) * bBs;
  const c = (load<u32>(params, P_C) as usize) + (bi as usize) * (m as usize) * ldc;
  const packed = load<i32>(state);
  if (packed < 0 || (packed != bi && bBs != 0)) {
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = min(kcMax, k - pc);
      const dst = bp + ((pc * nPad) << 2);
      if (transB) packBT(b, k, pc, kc, 0, n, dst);
      else packBN(b, n, pc, kc, 0, n, dst);
    }
    store<i32>(state, bi);
  }
  for (let pc = 0; pc < k; pc += kcMax) {
    const kc = min(kcMax, k - pc);
    if (transA) packAT(a, m, pc, kc, ic, mc, ap);
    else packAN(a, k, pc, kc, ic, mc, ap);
    macro(ap, bp + ((pc * nPad) << 2), mc, n, kc, c + (ic as usize) * ldc, ldc, pc > 0, tile);
  }
  atomic.store<i32>((load<u32>(params, P_DONE) as usize) + ((t as usize) << 2), 1);
  return t;
}

function staticRange(params: usize, range: usize, pack: usize): void {
  const m = load<i32>(params, P_M);
  const n = load<i32>(params, P_N);
  const k = load<i32>(params, P_K);
  const aBase = load<u32>(params, P_A) as usize;
  const aBs = load<u32>(params, P_A_BS) as usize;
  const transA = load<i32>(params, P_TRANS_A);
  const bBase = load<u32>(params, P_B) as usize;
  const bBs = load<u32>(params, P_B_BS) as usize;
  const transB = load<i32>(params, P_TRANS_B);
  const cBase = load<u32>(params, P_C) as usize;
  const mcMax = load<i32>(params, P_MC);
  const ncMax = load<i32>(params, P_NC);
  const kcMax = load<i32>(params, P_KC);
  const b0 = load<i32>(range, 0);
  const b1 = load<i32>(range, 4);
  const m0 = load<i32>(range, 8);
  const m1 = load<i32>(range, 12);
  const n0 = load<i32>(range, 16);
  const n1 = load<i32>(range, 20);

  // Packing area: A block (mcMax × kcMax), B block (ncMax × kcMax), one C tile.
  const ap = pack;
  const bp = ap + ((mcMax * kcMax) << 2);
  const tile = bp + ((ncMax * kcMax) << 2);
  const ldc = (n as usize) << 2;

  for (let bi = b0; bi < b1; bi++) {
    const a = aBase + (bi as usize) * aBs;
    const b = bBase + (bi as usize) * bBs;
    const c = cBase + (bi as usize) * (m as usize) * ldc;
    for (let jc = n0; jc < n1; jc += ncMax) {
      const nc = min(ncMax, n1 - jc);
      for (let pc = 0; pc < k; pc += kcMax) {
        const kc = min(kcMax, k - pc);
        if (transB) packBT(b, k, pc, kc, jc, nc, bp);
        else packBN(b, n, pc, kc, jc, nc, bp);
        for (let ic = m0; ic < m1; ic += mcMax) {
          const mc = min(mcMax, m1 - ic);
          if (transA) packAT(a, m, pc, kc, ic, mc, ap);
          else packAN(a, k, pc, kc, ic, mc, ap);
          macro(ap, bp, mc, nc, kc, c + (ic as usize) * ldc + ((jc as usize) << 2), ldc, pc > 0, tile);
        }
      }
    }
  }
}

// C[mc × nc] (+)= packed A block · packed B block.
function macro(ap: usize, bp: usize, mc: i32, nc: i32, kc: i32, c: usize, ldc: usize, acc: bool, tile: usize): void {
  const aPanel = (MR * kc) << 2;
  const bPanel = (NR * kc) << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const bpp = bp + ((jr / NR) as usize) * bPanel;
    const cj = c + ((jr as usize) << 2);
    let app = ap;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      const cij = cj + (ir as usize) * ldc;
      if (mr == MR && nr == NR) {
        kernel(app, bpp, kc, cij, ldc, acc);
      } else {
        kernel(app, bpp, kc, tile, NR << 2, false);
        for (let i = 0; i < mr; i++) {
          const src = tile + ((i * NR) << 2);
          const dst = cij + (i as usize) * ldc;
          for (let j = 0; j < nr; j++) {
            const off = (j as usize) << 2;
            const v = load<f32>(src + off);
            store<f32>(dst + off, acc ? load<f32>(dst + off) + v : v);
          }
        }
      }
      app += aPanel;
    }
  }
}

// The 4×8 micro-kernel: C tile (+)= sum over kc of (4 A values) ⊗ (8 B values).
// a: kc groups of MR floats; b: kc groups of NR floats; c: row-major tile with row stride ldc bytes.
function kernel(a: usize, b: usize, kc: i32, c: usize, ldc: usize, acc: bool): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  let p = kc;
  while (p > 0) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const a0 = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    a += 16;
    b += 32;
    p--;
  }
  const c1 = c + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  if (acc) {
    c00 = f32x4.add(c00, v128.load(c));
    c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c1));
    c11 = f32x4.add(c11, v128.load(c1, 16));
    c20 = f32x4.add(c20, v128.load(c2));
    c21 = f32x4.add(c21, v128.load(c2, 16));
    c30 = f32x4.add(c30, v128.load(c3));
    c31 = f32x4.add(c31, v128.load(c3, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c1, c10);
  v128.store(c1, c11, 16);
  v128.store(c2, c20);
  v128.store(c2, c21, 16);
  v128.store(c3, c30);
  v128.store(c3, c31, 16);
}

// Pack A[ic:ic+mc, pc:pc+kc] (A row-major [m, k], row stride k) into MR-tall micro-panels:
// panel r holds, for each p, the MR values A[ic+r*MR .. +MR, pc+p]; rows past mc are zero.
function packAN(a: usize, k: i32, pc: i32, kc: i32, ic: i32, mc: i32, dst: usize): void {
  const lda = (k as usize) << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const r0 = a + ((ic + ir) as usize) * lda + ((pc as usize) << 2);
    if (mc - ir >= MR) {
      const r1 = r0 + lda;
      const r2 = r1 + lda;
      const r3 = r2 + lda;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const off = (p as usize) << 2;
        const x0 = v128.load(r0 + off);
        const x1 = v128.load(r1 + off);
        const x2 = v128.load(r2 + off);
        const x3 = v128.load(r3 + off);
        const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
        const t1 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
        const t2 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
        const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
        v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
        v128.store(dst, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 16);
        v128.store(dst, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 32);
        v128.store(dst, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 48);
        dst += 64;
      }
      for (; p < kc; p++) {
        const off = (p as usize) << 2;
        store<f32>(dst, load<f32>(r0 + off));
        store<f32>(dst, load<f32>(r1 + off), 4);
        store<f32>(dst, load<f32>(r2 + off), 8);
        store<f32>(dst, load<f32>(r3 + off), 12);
        dst += 16;
      }
    } else {
      const rows = mc - ir;
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          const v: f32 = r < rows ? load<f32>(r0 + (r as usize) * lda + ((p as usize) << 2)) : 0;
          store<f32>(dst + ((r as usize) << 2), v);
        }
        dst += 16;
      }
    }
  }
}

// Same panels from A stored transposed ([k, m], row stride m): each k step is 4 contiguous values.
function packAT(a: usize, m: i32, pc: i32, kc: i32, ic: i32, mc: i32, dst: usize): void {
  const lda = (m as usize) << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    let src = a + (pc as usize) * lda + (((ic + ir) as usize) << 2);
    if (mc - ir >= MR) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        src += lda;
        dst += 16;
      }
    } else {
      const rows = mc - ir;
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          const v: f32 = r < rows ? load<f32>(src + ((r as usize) << 2)) : 0;
          store<f32>(dst + ((r as usize) << 2), v);
        }
        src += lda;
        dst += 16;
      }
    }
  }
}

// Pack B[pc:pc+kc, jc:jc+nc] (B row-major [k, n], row stride n) into NR-wide micro-panels:
// panel j holds, for each p, the NR values B[pc+p, jc+j*NR .. +NR]; columns past nc are zero.
function packBN(b: usize, n: i32, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  const ldb = (n as usize) << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    let src = b + (pc as usize) * ldb + (((jc + jr) as usize) << 2);
    if (nc - jr >= NR) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += ldb;
        dst += 32;
      }
    } else {
      const cols = nc - jr;
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < NR; j++) {
          const v: f32 = j < cols ? load<f32>(src + ((j as usize) << 2)) : 0;
          store<f32>(dst + ((j as usize) << 2), v);
        }
        src += ldb;
        dst += 32;
      }
    }
  }
}

// Same panels from B stored transposed ([n, k], row stride k): transpose 4×4 blocks of two row quads.
function packBT(b: usize, k: i32, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  const ldb = (k as usize) << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const r0 = b + ((jc + jr) as usize) * ldb + ((pc as usize) << 2);
    if (nc - jr >= NR) {
      const r1 = r0 + ldb;
      const r2 = r1 + ldb;
      const r3 = r2 + ldb;
      const r4 = r3 + ldb;
      const r5 = r4 + ldb;
      const r6 = r5 + ldb;
      const r7 = r6 + ldb;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const off = (p as usize) << 2;
        let x0 = v128.load(r0 + off);
        let x1 = v128.load(r1 + off);
        let x2 = v128.load(r2 + off);
        let x3 = v128.load(r3 + off);
        let t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
        let t1 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
        let t2 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
        let t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
        v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
        v128.store(dst, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 32);
        v128.store(dst, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 64);
        v128.store(dst, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 96);
        x0 = v128.load(r4 + off);
        x1 = v128.load(r5 + off);
        x2 = v128.load(r6 + off);
        x3 = v128.load(r7 + off);
        t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
        t1 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
        t2 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
        t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
        v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5), 16);
        v128.store(dst, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 48);
        v128.store(dst, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 80);
        v128.store(dst, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 112);
        dst += 128;
      }
      for (; p < kc; p++) {
        const off = (p as usize) << 2;
        for (let j = 0; j < NR; j++) {
          store<f32>(dst + ((j as usize) << 2), load<f32>(r0 + (j as usize) * ldb + off));
        }
        dst += 32;
      }
    } else {
      const cols = nc - jr;
      for (let p = 0; p < kc; p++) {
        const off = (p as usize) << 2;
        for (let j = 0; j < NR; j++) {
          const v: f32 = j < cols ? load<f32>(r0 + (j as usize) * ldb + off) : 0;
          store<f32>(dst + ((j as usize) << 2), v);
        }
        dst += 32;
      }
    }
  }
}

// ---- GEMV: products with at most 4 rows (decoding one token, the LM head on the last position) ----
//
// No packing: each thread reads its own range of B's columns straight from B, once, at the speed memory
// delivers it. A is [m, k] row-major (not transposed), m ≤ 4, and stays in L1.
//   transB (B stored [n, k], x·Wᵀ): C[i, j] = dot(A[i, :], B[j, :]), rows of B read contiguously.
//   else   (B stored [k, n], GPT-2's Conv1D weights): C[i, j0:j1] += A[i, p]·B[p, j0:j1] over p, four rows of B
//          at a time, the C chunk (at most CHUNK floats per row) held in L1 between them.
const CHUNK: i32 = 1024;

function gemvRange(params: usize, range: usize): void {
  const m = load<i32>(params, P_M);
  const n = load<i32>(params, P_N);
  const k = load<i32>(params, P_K);
  const aBase = load<u32>(params, P_A) as usize;
  const aBs = load<u32>(params, P_A_BS) as usize;
  const bBase = load<u32>(params, P_B) as usize;
  const bBs = load<u32>(params, P_B_BS) as usize;
  const transB = load<i32>(params, P_TRANS_B);
  const cBase = load<u32>(params, P_C) as usize;
  const b0 = load<i32>(range, 0);
  const b1 = load<i32>(range, 4);
  const n0 = load<i32>(range, 16);
  const n1 = load<i32>(range, 20);
  for (let bi = b0; bi < b1; bi++) {
    const a = aBase + (bi as usize) * aBs;
    const b = bBase + (bi as usize) * bBs;
    const c = cBase + (bi as usize) * ((m * n) as usize) * 4;
    if (transB) {
      if (m == 1) gemvT1(a, b, c, k, n0, n1);
      else gemvT(a, b, c, m, n, k, n0, n1);
    } else {
      for (let j0 = n0; j0 < n1; j0 += CHUNK) gemvN(a, b, c, m, n, k, j0, min(n1, j0 + CHUNK));
    }
  }
}

// @ts-ignore: decorator
@inline
function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// One row of A against rows n0..n1 of B [n, k]: four accumulators over k for the adder's latency.
function gemvT1(a: usize, b: usize, c: usize, k: i32, n0: i32, n1: i32): void {
  const ldb = (k as usize) << 2;
  const k16 = k & ~15;
  const k4 = k & ~3;
  for (let j = n0; j < n1; j++) {
    const row = b + (j as usize) * ldb;
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    let p = 0;
    for (; p < k16; p += 16) {
      const o = (p as usize) << 2;
      s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(row + o)));
      s1 = f32x4.add(s1, f32x4.mul(v128.load(a + o, 16), v128.load(row + o, 16)));
      s2 = f32x4.add(s2, f32x4.mul(v128.load(a + o, 32), v128.load(row + o, 32)));
      s3 = f32x4.add(s3, f32x4.mul(v128.load(a + o, 48), v128.load(row + o, 48)));
    }
    for (; p < k4; p += 4) {
      const o = (p as usize) << 2;
      s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(row + o)));
    }
    let s = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
    for (; p < k; p++) s += load<f32>(a + ((p as usize) << 2)) * load<f32>(row + ((p as usize) << 2));
    store<f32>(c + ((j as usize) << 2), s);
  }
}

// Up to four rows of A against rows n0..n1 of B [n, k]: each row of B is read once for all of them (rows of
// A past m repeat the last one, and their sums are dropped).
function gemvT(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, n0: i32, n1: i32): void {
  const lda = (k as usize) << 2;
  const a0 = a;
  const a1 = a + (min(1, m - 1) as usize) * lda;
  const a2 = a + (min(2, m - 1) as usize) * lda;
  const a3 = a + (min(3, m - 1) as usize) * lda;
  const ldc = (n as usize) << 2;
  const k4 = k & ~3;
  for (let j = n0; j < n1; j++) {
    const row = b + (j as usize) * lda;
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    let p = 0;
    for (; p < k4; p += 4) {
      const o = (p as usize) << 2;
      const x = v128.load(row + o);
      s0 = f32x4.add(s0, f32x4.mul(v128.load(a0 + o), x));
      s1 = f32x4.add(s1, f32x4.mul(v128.load(a1 + o), x));
      s2 = f32x4.add(s2, f32x4.mul(v128.load(a2 + o), x));
      s3 = f32x4.add(s3, f32x4.mul(v128.load(a3 + o), x));
    }
    let t0 = hsum(s0);
    let t1 = hsum(s1);
    let t2 = hsum(s2);
    let t3 = hsum(s3);
    for (; p < k; p++) {
      const o = (p as usize) << 2;
      const x = load<f32>(row + o);
      t0 += load<f32>(a0 + o) * x;
      t1 += load<f32>(a1 + o) * x;
      t2 += load<f32>(a2 + o) * x;
      t3 += load<f32>(a3 + o) * x;
    }
    const cj = c + ((j as usize) << 2);
    store<f32>(cj, t0);
    if (m > 1) store<f32>(cj + ldc, t1);
    if (m > 2) store<f32>(cj + 2 * ldc, t2);
    if (m > 3) store<f32>(cj + 3 * ldc, t3);
  }
}

// C[i, j0:j1] = Σ_p A[i, p]·B[p, j0:j1] for B [k, n]: four rows of B per pass over the C chunk.
function gemvN(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32): void {
  const ldb = (n as usize) << 2;
  const lda = (k as usize) << 2;
  const w = j1 - j0;
  const w4 = w & ~3;
  const col = (j0 as usize) << 2;
  for (let i = 0; i < m; i++) {
    const ci = c + (i as usize) * ldb + col;
    for (let j = 0; j < w; j++) store<f32>(ci + ((j as usize) << 2), 0);
  }
  let p = 0;
  for (; p + 4 <= k; p += 4) {
    const r0 = b + (p as usize) * ldb + col;
    const r1 = r0 + ldb;
    const r2 = r1 + ldb;
    const r3 = r2 + ldb;
    for (let i = 0; i < m; i++) {
      const ai = a + (i as usize) * lda + ((p as usize) << 2);
      const x0 = load<f32>(ai);
      const x1 = load<f32>(ai, 4);
      const x2 = load<f32>(ai, 8);
      const x3 = load<f32>(ai, 12);
      const v0 = f32x4.splat(x0);
      const v1 = f32x4.splat(x1);
      const v2 = f32x4.splat(x2);
      const v3 = f32x4.splat(x3);
      const ci = c + (i as usize) * ldb + col;
      let j = 0;
      for (; j < w4; j += 4) {
        const o = (j as usize) << 2;
        const s = f32x4.add(
          f32x4.add(f32x4.mul(v0, v128.load(r0 + o)), f32x4.mul(v1, v128.load(r1 + o))),
          f32x4.add(f32x4.mul(v2, v128.load(r2 + o)), f32x4.mul(v3, v128.load(r3 + o))),
        );
        v128.store(ci + o, f32x4.add(v128.load(ci + o), s));
      }
      for (; j < w; j++) {
        const o = (j as usize) << 2;
        const s = x0 * load<f32>(r0 + o) + x1 * load<f32>(r1 + o) + (x2 * load<f32>(r2 + o) + x3 * load<f32>(r3 + o));
        store<f32>(ci + o, load<f32>(ci + o) + s);
      }
    }
  }
  for (; p < k; p++) {
    const r0 = b + (p as usize) * ldb + col;
    for (let i = 0; i < m; i++) {
      const x0 = load<f32>(a + (i as usize) * lda + ((p as usize) << 2));
      const v0 = f32x4.splat(x0);
      const ci = c + (i as usize) * ldb + col;
      let j = 0;
      for (; j < w4; j += 4) {
        const o = (j as usize) << 2;
        v128.store(ci + o, f32x4.add(v128.load(ci + o), f32x4.mul(v0, v128.load(r0 + o))));
      }
      for (; j < w; j++) {
        const o = (j as usize) << 2;
        store<f32>(ci + o, load<f32>(ci + o) + x0 * load<f32>(r0 + o));
      }
    }
  }
}
