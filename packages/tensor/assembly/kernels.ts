// Fused elementwise and row kernels for @tsformer/tensor's CPU backend: WebAssembly SIMD (f32x4) with a
// float32 polynomial exp, so softmax, GELU and dropout cost a few cycles per element instead of a call to
// Math.exp/Math.tanh each. Each export works on one range of rows or elements given by addresses in the
// engine's memory; the JavaScript side (src/backends/cpu/kernels/wasm-kernels.ts) splits a large call into
// ranges and runs them side by side on the worker pool.
//
// Compiled by `pnpm --filter @tsformer/tensor build:wasm` (assembly/build.mjs), together with gemm.ts, into
// src/backends/cpu/generated/engine-wasm.ts; a test fails when that file is stale.

// ---- exp for f32x4 (Cephes expf: range reduction by ln 2, degree-6 polynomial, 2^n by exponent bits) ----

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_HI: f32 = 88.3762626647949;
const EXP_LO: f32 = -87.3365447504;

// @ts-ignore: decorator
@inline
function expv(x: v128): v128 {
  const under = f32x4.lt(x, f32x4.splat(EXP_LO)); // exp underflows to 0 below this
  let v = f32x4.min(x, f32x4.splat(EXP_HI));
  v = f32x4.max(v, f32x4.splat(EXP_LO));
  const n = f32x4.nearest(f32x4.mul(v, f32x4.splat(LOG2E)));
  let r = f32x4.sub(v, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1.0));
  const pow2 = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  const y = f32x4.mul(p, pow2);
  return v128.andnot(y, under);
}

// @ts-ignore: decorator
@inline
function expf(x: f32): f32 {
  return f32x4.extract_lane(expv(f32x4.splat(x)), 0);
}

// ---- softmax / log-softmax over rows ----

export function softmax(x: usize, out: usize, rows: i32, cols: i32, log: i32): void {
  const vecEnd = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>(r * cols) * 4;
    const or = out + <usize>(r * cols) * 4;
    let mv = f32x4.splat(-Infinity);
    let j = 0;
    for (; j < vecEnd; j += 4) mv = f32x4.max(mv, v128.load(xr + (<usize>j << 2)));
    let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    for (; j < cols; j++) m = max(m, load<f32>(xr + (<usize>j << 2)));
    const ms = f32x4.splat(m);
    let sv = f32x4.splat(0);
    let s: f32 = 0;
    j = 0;
    for (; j < vecEnd; j += 4) {
      const e = expv(f32x4.sub(v128.load(xr + (<usize>j << 2)), ms));
      if (!log) v128.store(or + (<usize>j << 2), e);
      sv = f32x4.add(sv, e);
    }
    for (; j < cols; j++) {
      const e = expf(load<f32>(xr + (<usize>j << 2)) - m);
      if (!log) store<f32>(or + (<usize>j << 2), e);
      s += e;
    }
    s += f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3);
    if (log) {
      // (x − max) − log Σ: both terms small, so no precision is lost against a large max
      const l: f32 = <f32>Math.log(<f64>s);
      const lv = f32x4.splat(l);
      j = 0;
      for (; j < vecEnd; j += 4) {
        v128.store(or + (<usize>j << 2), f32x4.sub(f32x4.sub(v128.load(xr + (<usize>j << 2)), ms), lv));
      }
      for (; j < cols; j++) store<f32>(or + (<usize>j << 2), load<f32>(xr + (<usize>j << 2)) - m - l);
    } else {
      const inv: f32 = 1 / s;
      const iv = f32x4.splat(inv);
      j = 0;
      for (; j < vecEnd; j += 4) v128.store(or + (<usize>j << 2), f32x4.mul(v128.load(or + (<usize>j << 2)), iv));
      for (; j < cols; j++) store<f32>(or + (<usize>j << 2), load<f32>(or + (<usize>j << 2)) * inv);
    }
  }
}

export function softmaxBackward(y: usize, dy: usize, out: usize, rows: i32, cols: i32, log: i32): void {
  const vecEnd = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const off = <usize>(r * cols) * 4;
    const yr = y + off;
    const gr = dy + off;
    const or = out + off;
    let sv = f32x4.splat(0);
    let s: f32 = 0;
    let j = 0;
    if (log) {
      for (; j < vecEnd; j += 4) sv = f32x4.add(sv, v128.load(gr + (<usize>j << 2)));
      for (; j < cols; j++) s += load<f32>(gr + (<usize>j << 2));
    } else {
      for (; j < vecEnd; j += 4) sv = f32x4.add(sv, f32x4.mul(v128.load(gr + (<usize>j << 2)), v128.load(yr + (<usize>j << 2))));
      for (; j < cols; j++) s += load<f32>(gr + (<usize>j << 2)) * load<f32>(yr + (<usize>j << 2));
    }
    s += f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3);
    const ss = f32x4.splat(s);
    j = 0;
    if (log) {
      // dx = dy − exp(y)·Σdy
      for (; j < vecEnd; j += 4) {
        const p = expv(v128.load(yr + (<usize>j << 2)));
        v128.store(or + (<usize>j << 2), f32x4.sub(v128.load(gr + (<usize>j << 2)), f32x4.mul(p, ss)));
      }
      for (; j < cols; j++) store<f32>(or + (<usize>j << 2), load<f32>(gr + (<usize>j << 2)) - expf(load<f32>(yr + (<usize>j << 2))) * s);
    } else {
      // dx = y·(dy − Σ dy·y)
      for (; j < vecEnd; j += 4) {
        const yv = v128.load(yr + (<usize>j << 2));
        v128.store(or + (<usize>j << 2), f32x4.mul(yv, f32x4.sub(v128.load(gr + (<usize>j << 2)), ss)));
      }
      for (; j < cols; j++) {
        const yv = load<f32>(yr + (<usize>j << 2));
        store<f32>(or + (<usize>j << 2), yv * (load<f32>(gr + (<usize>j << 2)) - s));
      }
    }
  }
}

// ---- GELU ----

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_C: f32 = 0.044715;
const SQRT1_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

// tanh(u) = 1 − 2/(exp(2u) + 1): exact limits ±1, and GELU only needs it to absolute precision
// @ts-ignore: decorator
@inline
function tanhv(u: v128): v128 {
  const e = expv(f32x4.add(u, u));
  return f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
}

// erf to ~1e-7: Taylor series for |z| < 0.5, the Numerical Recipes erfc fit elsewhere; both computed, one kept
// @ts-ignore: decorator
@inline
function erfv(z: v128): v128 {
  const a = f32x4.abs(z);
  // series: 2/√π · Σ (−1)^n z^(2n+1) / (n! (2n+1)), 8 terms (|z| < 0.5), as z·P(z²) by Horner (no divisions)
  const z2 = f32x4.mul(z, z);
  let q = f32x4.splat(-1.4925650358406252e-5);
  q = f32x4.add(f32x4.mul(q, z2), f32x4.splat(1.2055332981789665e-4));
  q = f32x4.add(f32x4.mul(q, z2), f32x4.splat(-8.548327023450853e-4));
  q = f32x4.add(f32x4.mul(q, z2), f32x4.splat(5.223977625442188e-3));
  q = f32x4.add(f32x4.mul(q, z2), f32x4.splat(-2.6866170645131252e-2));
  q = f32x4.add(f32x4.mul(q, z2), f32x4.splat(1.1283791670955128e-1));
  q = f32x4.add(f32x4.mul(q, z2), f32x4.splat(-3.7612638903183754e-1));
  q = f32x4.add(f32x4.mul(q, z2), f32x4.splat(1.1283791670955126));
  const series = f32x4.mul(z, q);
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(0.5), a)));
  let p = f32x4.splat(0.17087277);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.82215223));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.48851587));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.13520398));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.27886807));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.18628806));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.09678418));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.37409196));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.00002368));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.26551223));
  const erfc = f32x4.mul(t, expv(f32x4.sub(p, f32x4.mul(a, a))));
  const far = f32x4.sub(f32x4.splat(1), erfc);
  // restore the sign of z on the erfc branch
  const signed = v128.or(far, v128.and(z, i32x4.splat(0x80000000)));
  return v128.bitselect(series, signed, f32x4.lt(a, f32x4.splat(0.5)));
}

export function gelu(kind: i32, x: usize, out: usize, n: i32): void {
  // n is padded to a multiple of 4 by the caller (the padding lanes are ignored)
  for (let i = 0; i < n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    let y: v128;
    if (kind == 0) {
      y = f32x4.mul(f32x4.mul(v, f32x4.splat(0.5)), f32x4.add(f32x4.splat(1), erfv(f32x4.mul(v, f32x4.splat(SQRT1_2)))));
    } else {
      const u = f32x4.mul(f32x4.splat(SQRT_2_OVER_PI), f32x4.add(v, f32x4.mul(f32x4.splat(GELU_C), f32x4.mul(v, f32x4.mul(v, v)))));
      y = f32x4.mul(f32x4.mul(v, f32x4.splat(0.5)), f32x4.add(f32x4.splat(1), tanhv(u)));
    }
    v128.store(out + (<usize>i << 2), y);
  }
}

export function geluBackward(kind: i32, x: usize, dy: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const g = v128.load(dy + (<usize>i << 2));
    let d: v128;
    if (kind == 0) {
      // Φ(x) + x·φ(x)
      const cdf = f32x4.mul(f32x4.splat(0.5), f32x4.add(f32x4.splat(1), erfv(f32x4.mul(v, f32x4.splat(SQRT1_2)))));
      const pdf = f32x4.mul(f32x4.splat(INV_SQRT_2PI), expv(f32x4.mul(f32x4.splat(-0.5), f32x4.mul(v, v))));
      d = f32x4.add(cdf, f32x4.mul(v, pdf));
    } else {
      const v2 = f32x4.mul(v, v);
      const u = f32x4.mul(f32x4.splat(SQRT_2_OVER_PI), f32x4.add(v, f32x4.mul(f32x4.splat(GELU_C), f32x4.mul(v, v2))));
      const t = tanhv(u);
      const du = f32x4.mul(f32x4.splat(SQRT_2_OVER_PI), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(3 * GELU_C), v2)));
      const left = f32x4.mul(f32x4.splat(0.5), f32x4.add(f32x4.splat(1), t));
      const right = f32x4.mul(f32x4.mul(f32x4.splat(0.5), v), f32x4.mul(f32x4.sub(f32x4.splat(1), f32x4.mul(t, t)), du));
      d = f32x4.add(left, right);
    }
    v128.store(out + (<usize>i << 2), f32x4.mul(g, d));
  }
}

// ---- dropout with Philox4x32-10 (the same stream as src/random.ts) ----

// @ts-ignore: decorator
@inline
function mulhilo(a: u32, b: u32): u64 {
  return <u64>a * <u64>b;
}

// Four Philox blocks at once, one per lane: 32×32→64-bit products with i64x2.extmul, the same rounds as the
// scalar loop below, then a 4×4 transpose so that each vector holds one block's four words (elements 4b…4b+3).
// @ts-ignore: decorator
@inline
function mulhiv(a: v128, m: v128): v128 {
  const lo = i64x2.extmul_low_i32x4_u(a, m);
  const hi = i64x2.extmul_high_i32x4_u(a, m);
  return i32x4.shuffle(lo, hi, 1, 3, 5, 7);
}
// @ts-ignore: decorator
@inline
function mullov(a: v128, m: v128): v128 {
  return i32x4.mul(a, m);
}

// @ts-ignore: decorator
@inline
function dropoutBlock(x: usize, out: usize, w: v128, pv: v128, sv: v128): void {
  const u = f32x4.mul(f32x4.convert_i32x4_u(i32x4.shr_u(w, 8)), f32x4.splat(<f32>(1.0 / 16777216.0)));
  const keep = f32x4.ge(u, pv);
  v128.store(out, v128.and(f32x4.mul(v128.load(x), sv), keep));
}

export function dropout(x: usize, out: usize, n: i32, p: f32, k0: u32, k1: u32, offsetLo: u32, offsetHi: u32): void {
  const scale: f32 = 1 / (1 - p);
  let c0 = offsetLo;
  let c1 = offsetHi;
  const pv = f32x4.splat(p);
  const sv = f32x4.splat(scale);
  const m0 = i32x4.splat(0xd2511f53);
  const m1 = i32x4.splat(0xcd9e8d57);
  const lanes = i32x4(0, 1, 2, 3);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    // counters (c0 + b, carry into c1) for the four blocks
    const base = i32x4.splat(c0);
    let x0 = i32x4.add(base, lanes);
    let x1 = i32x4.sub(i32x4.splat(c1), i32x4.lt_u(x0, base)); // lt_u is -1 where c0 + b wrapped
    let x2 = i32x4.splat(0);
    let x3 = i32x4.splat(0);
    let key0 = k0;
    let key1 = k1;
    for (let r = 0; r < 10; r++) {
      const hi0 = mulhiv(x0, m0);
      const lo0 = mullov(x0, m0);
      const hi1 = mulhiv(x2, m1);
      const lo1 = mullov(x2, m1);
      x0 = v128.xor(v128.xor(hi1, x1), i32x4.splat(key0));
      x1 = lo1;
      x2 = v128.xor(v128.xor(hi0, x3), i32x4.splat(key1));
      x3 = lo0;
      key0 += 0x9e3779b9;
      key1 += 0xbb67ae85;
    }
    // transpose: block b's words (x0[b], x1[b], x2[b], x3[b])
    const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
    const t1 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
    const t2 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
    const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
    const off = <usize>i << 2;
    dropoutBlock(x + off, out + off, i32x4.shuffle(t0, t2, 0, 1, 4, 5), pv, sv);
    dropoutBlock(x + off + 16, out + off + 16, i32x4.shuffle(t0, t2, 2, 3, 6, 7), pv, sv);
    dropoutBlock(x + off + 32, out + off + 32, i32x4.shuffle(t1, t3, 0, 1, 4, 5), pv, sv);
    dropoutBlock(x + off + 48, out + off + 48, i32x4.shuffle(t1, t3, 2, 3, 6, 7), pv, sv);
    const next = c0 + 4;
    if (next < c0) c1++;
    c0 = next;
  }
  for (; i < n; i += 4) {
    let x0 = c0;
    let x1 = c1;
    let x2: u32 = 0;
    let x3: u32 = 0;
    let key0 = k0;
    let key1 = k1;
    for (let r = 0; r < 10; r++) {
      const p0 = mulhilo(0xd2511f53, x0);
      const p1 = mulhilo(0xcd9e8d57, x2);
      const hi0 = <u32>(p0 >> 32);
      const lo0 = <u32>p0;
      const hi1 = <u32>(p1 >> 32);
      const lo1 = <u32>p1;
      x0 = hi1 ^ x1 ^ key0;
      x1 = lo1;
      x2 = hi0 ^ x3 ^ key1;
      x3 = lo0;
      key0 += 0x9e3779b9;
      key1 += 0xbb67ae85;
    }
    const u = f32x4.mul(f32x4.convert_i32x4_u(i32x4.shr_u(i32x4(x0, x1, x2, x3), 8)), f32x4.splat(<f32>(1.0 / 16777216.0)));
    const keep = f32x4.ge(u, f32x4.splat(p));
    const v = f32x4.mul(v128.load(x + (<usize>i << 2)), f32x4.splat(scale));
    v128.store(out + (<usize>i << 2), v128.and(v, keep));
    c0++;
    if (c0 == 0) c1++;
  }
}

/** The first free byte after this module's static data (lookup tables of Math.log live below it). */
export function heapBase(): usize {
  return __heap_base;
}

// ---- elementwise add / sub / mul / div (float32) ----

// @ts-ignore: decorator
@inline
function applyv(op: i32, x: v128, y: v128): v128 {
  if (op == 0) return f32x4.add(x, y);
  if (op == 1) return f32x4.sub(x, y);
  if (op == 2) return f32x4.mul(x, y);
  return f32x4.div(x, y);
}

// @ts-ignore: decorator
@inline
function apply1(op: i32, x: f32, y: f32): f32 {
  if (op == 0) return x + y;
  if (op == 1) return x - y;
  if (op == 2) return x * y;
  return x / y;
}

// out = a op b for a [rows, cols]; mode 0: b [rows, cols]; 1: b [rows/group, cols], its row r/group for row r
// (group = rows: one row of b for every row); 2: b a scalar; 3: a a scalar and b [rows, cols]. op: 0 add, 1 sub, 2 mul, 3 div. Each result is the correctly rounded
// float32 one, as the JavaScript loops (float64 arithmetic rounded to float32) give for these four ops.
function binaryOp(op: i32, a: usize, b: usize, out: usize, rows: i32, cols: i32, mode: i32, group: i32): void {
  if (mode == 1) {
    const vecEnd = cols & ~3;
    for (let r = 0; r < rows; r++) {
      const off = <usize>(r * cols) << 2;
      const br = b + (<usize>((r / group) * cols) << 2);
      let j = 0;
      for (; j < vecEnd; j += 4) {
        const o = <usize>j << 2;
        v128.store(out + off + o, applyv(op, v128.load(a + off + o), v128.load(br + o)));
      }
      for (; j < cols; j++) {
        const o = <usize>j << 2;
        store<f32>(out + off + o, apply1(op, load<f32>(a + off + o), load<f32>(br + o)));
      }
    }
    return;
  }
  const n = rows * cols;
  const vecEnd = n & ~3;
  let i = 0;
  if (mode == 0) {
    for (; i < vecEnd; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, applyv(op, v128.load(a + o), v128.load(b + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, apply1(op, load<f32>(a + o), load<f32>(b + o)));
    }
  } else if (mode == 2) {
    const y = load<f32>(b);
    const yv = f32x4.splat(y);
    for (; i < vecEnd; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, applyv(op, v128.load(a + o), yv));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, apply1(op, load<f32>(a + o), y));
    }
  } else {
    const x = load<f32>(a);
    const xv = f32x4.splat(x);
    for (; i < vecEnd; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, applyv(op, xv, v128.load(b + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, apply1(op, x, load<f32>(b + o)));
    }
  }
}

// One instance per op, so that the op test leaves the inner loops.
export function binaryAdd(a: usize, b: usize, out: usize, rows: i32, cols: i32, mode: i32, group: i32): void {
  binaryOp(0, a, b, out, rows, cols, mode, group);
}
export function binarySub(a: usize, b: usize, out: usize, rows: i32, cols: i32, mode: i32, group: i32): void {
  binaryOp(1, a, b, out, rows, cols, mode, group);
}
export function binaryMul(a: usize, b: usize, out: usize, rows: i32, cols: i32, mode: i32, group: i32): void {
  binaryOp(2, a, b, out, rows, cols, mode, group);
}
export function binaryDiv(a: usize, b: usize, out: usize, rows: i32, cols: i32, mode: i32, group: i32): void {
  binaryOp(3, a, b, out, rows, cols, mode, group);
}

// ---- layer norm (float64 accumulation of the row statistics and of dweight / dbias, like fused.ts) ----

// @ts-ignore: decorator
@inline
function sum2(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

// y = (x − mean)·rstd·w + b per row; mean and rstd (float32) per row for the backward. hasW/hasB: 0 or 1.
export function layerNorm(x: usize, w: usize, b: usize, y: usize, mean: usize, rstd: usize, rows: i32, cols: i32, eps: f64, hasW: i32, hasB: i32): void {
  const vecEnd = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const off = <usize>(r * cols) << 2;
    const xr = x + off;
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let j = 0;
    for (; j < vecEnd; j += 4) {
      const v = v128.load(xr + (<usize>j << 2));
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
    }
    let s = sum2(s0) + sum2(s1);
    for (; j < cols; j++) s += <f64>load<f32>(xr + (<usize>j << 2));
    const mu = s / <f64>cols;
    const muv = f64x2.splat(mu);
    s0 = f64x2.splat(0);
    s1 = f64x2.splat(0);
    j = 0;
    for (; j < vecEnd; j += 4) {
      const v = v128.load(xr + (<usize>j << 2));
      const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), muv);
      const d1 = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), muv);
      s0 = f64x2.add(s0, f64x2.mul(d0, d0));
      s1 = f64x2.add(s1, f64x2.mul(d1, d1));
    }
    let q = sum2(s0) + sum2(s1);
    for (; j < cols; j++) {
      const d = <f64>load<f32>(xr + (<usize>j << 2)) - mu;
      q += d * d;
    }
    const rs = 1 / Math.sqrt(q / <f64>cols + eps);
    store<f32>(mean + (<usize>r << 2), <f32>mu);
    store<f32>(rstd + (<usize>r << 2), <f32>rs);
    const muf = f32x4.splat(<f32>mu);
    const rsf = f32x4.splat(<f32>rs);
    const yr = y + off;
    j = 0;
    for (; j < vecEnd; j += 4) {
      const o = <usize>j << 2;
      let z = f32x4.mul(f32x4.sub(v128.load(xr + o), muf), rsf);
      if (hasW) z = f32x4.mul(z, v128.load(w + o));
      if (hasB) z = f32x4.add(z, v128.load(b + o));
      v128.store(yr + o, z);
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      let z = (load<f32>(xr + o) - <f32>mu) * <f32>rs;
      if (hasW) z *= load<f32>(w + o);
      if (hasB) z += load<f32>(b + o);
      store<f32>(yr + o, z);
    }
  }
}

// dx = rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)) with dxhat = dy·w; dw = Σ dy·xhat, db = Σ dy over
// rows, accumulated in float64 in acc (2·cols doubles, zeroed here) and written as float32 to dw, db.
export function layerNormBackward(dy: usize, x: usize, w: usize, mean: usize, rstd: usize, dx: usize, dw: usize, db: usize, acc: usize, rows: i32, cols: i32, hasW: i32): void {
  const vecEnd = cols & ~3;
  const accW = acc;
  const accB = acc + (<usize>cols << 3);
  memory.fill(acc, 0, <usize>cols << 4);
  for (let r = 0; r < rows; r++) {
    const off = <usize>(r * cols) << 2;
    const xr = x + off;
    const gr = dy + off;
    const m = load<f32>(mean + (<usize>r << 2));
    const s = load<f32>(rstd + (<usize>r << 2));
    const mv = f32x4.splat(m);
    const sv = f32x4.splat(s);
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    let b0 = f64x2.splat(0);
    let b1 = f64x2.splat(0);
    let j = 0;
    for (; j < vecEnd; j += 4) {
      const o = <usize>j << 2;
      const xhat = f32x4.mul(f32x4.sub(v128.load(xr + o), mv), sv);
      const g = v128.load(gr + o);
      const dxhat = hasW ? f32x4.mul(g, v128.load(w + o)) : g;
      const p = f32x4.mul(dxhat, xhat);
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(dxhat));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i32x4.shuffle(dxhat, dxhat, 2, 3, 0, 1)));
      b0 = f64x2.add(b0, f64x2.promote_low_f32x4(p));
      b1 = f64x2.add(b1, f64x2.promote_low_f32x4(i32x4.shuffle(p, p, 2, 3, 0, 1)));
      const gx = f32x4.mul(g, xhat);
      const o8 = <usize>j << 3;
      v128.store(accW + o8, f64x2.add(v128.load(accW + o8), f64x2.promote_low_f32x4(gx)));
      v128.store(accW + o8 + 16, f64x2.add(v128.load(accW + o8 + 16), f64x2.promote_low_f32x4(i32x4.shuffle(gx, gx, 2, 3, 0, 1))));
      v128.store(accB + o8, f64x2.add(v128.load(accB + o8), f64x2.promote_low_f32x4(g)));
      v128.store(accB + o8 + 16, f64x2.add(v128.load(accB + o8 + 16), f64x2.promote_low_f32x4(i32x4.shuffle(g, g, 2, 3, 0, 1))));
    }
    let sum1 = sum2(a0) + sum2(a1);
    let sumx = sum2(b0) + sum2(b1);
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const xhat = (load<f32>(xr + o) - m) * s;
      const g = load<f32>(gr + o);
      const dxhat = hasW ? g * load<f32>(w + o) : g;
      sum1 += <f64>dxhat;
      sumx += <f64>(dxhat * xhat);
      const o8 = <usize>j << 3;
      store<f64>(accW + o8, load<f64>(accW + o8) + <f64>(g * xhat));
      store<f64>(accB + o8, load<f64>(accB + o8) + <f64>g);
    }
    const m1 = <f32>(sum1 / <f64>cols);
    const m2 = <f32>(sumx / <f64>cols);
    const m1v = f32x4.splat(m1);
    const m2v = f32x4.splat(m2);
    const dr = dx + off;
    j = 0;
    for (; j < vecEnd; j += 4) {
      const o = <usize>j << 2;
      const xhat = f32x4.mul(f32x4.sub(v128.load(xr + o), mv), sv);
      const g = v128.load(gr + o);
      const dxhat = hasW ? f32x4.mul(g, v128.load(w + o)) : g;
      v128.store(dr + o, f32x4.mul(sv, f32x4.sub(f32x4.sub(dxhat, m1v), f32x4.mul(xhat, m2v))));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const xhat = (load<f32>(xr + o) - m) * s;
      const g = load<f32>(gr + o);
      const dxhat = hasW ? g * load<f32>(w + o) : g;
      store<f32>(dr + o, s * (dxhat - m1 - xhat * m2));
    }
  }
  for (let j = 0; j < cols; j++) {
    store<f32>(dw + (<usize>j << 2), <f32>load<f64>(accW + (<usize>j << 3)));
    store<f32>(db + (<usize>j << 2), <f32>load<f64>(accB + (<usize>j << 3)));
  }
}

// ---- sum over the middle axis of x [outer, len, inner] (inner ≥ 2), in float64 like the JavaScript loop ----

// acc holds inner doubles (zeroed here per outer); each column is summed over len in the same order as the
// JavaScript kernel, so the float32 results are identical. out[o·inner + i] = Σ_j x[o, j, i].
export function sumMiddle(x: usize, out: usize, acc: usize, outer: i32, len: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    memory.fill(acc, 0, <usize>inner << 3);
    const base = x + (<usize>(o * len * inner) << 2);
    for (let j = 0; j < len; j++) {
      const row = base + (<usize>(j * inner) << 2);
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const v = v128.load(row + (<usize>i << 2));
        const a = acc + (<usize>i << 3);
        v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
        v128.store(a, f64x2.add(v128.load(a, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
      }
      for (; i < inner; i++) {
        const a = acc + (<usize>i << 3);
        store<f64>(a, load<f64>(a) + <f64>load<f32>(row + (<usize>i << 2)));
      }
    }
    const or = out + (<usize>(o * inner) << 2);
    for (let i = 0; i < inner; i++) store<f32>(or + (<usize>i << 2), <f32>load<f64>(acc + (<usize>i << 3)));
  }
}

// ---- AdamW (torch.optim.AdamW's arithmetic, in float64 as the TypeScript kernel computes it) ----

// In place over n elements: m = b1·m + (1−b1)·g, v = b2·v + (1−b2)·g², then
// p = p·decay − stepSize·m / (√v / bc2Sqrt + eps), with m and v unrounded in that last step (as in fused.ts), so
// the result equals the TypeScript kernel's bit for bit. Two lanes of float64 at a time.
export function adamw(p: usize, g: usize, m: usize, v: usize, n: i32, decay: f64, stepSize: f64, b1: f64, c1: f64, b2: f64, c2: f64, bc2Sqrt: f64, eps: f64): void {
  const vb1 = f64x2.splat(b1);
  const vc1 = f64x2.splat(c1);
  const vb2 = f64x2.splat(b2);
  const vc2 = f64x2.splat(c2);
  const vdecay = f64x2.splat(decay);
  const vstep = f64x2.splat(stepSize);
  const vbc2 = f64x2.splat(bc2Sqrt);
  const veps = f64x2.splat(eps);
  const n2 = n & ~1;
  let i = 0;
  for (; i < n2; i += 2) {
    const o = (i as usize) << 2;
    const gi = f64x2.promote_low_f32x4(v128.load64_zero(g + o));
    const mi = f64x2.add(f64x2.mul(vb1, f64x2.promote_low_f32x4(v128.load64_zero(m + o))), f64x2.mul(vc1, gi));
    const vi = f64x2.add(f64x2.mul(vb2, f64x2.promote_low_f32x4(v128.load64_zero(v + o))), f64x2.mul(f64x2.mul(vc2, gi), gi));
    v128.store64_lane(m + o, f32x4.demote_f64x2_zero(mi), 0);
    v128.store64_lane(v + o, f32x4.demote_f64x2_zero(vi), 0);
    const pi = f64x2.promote_low_f32x4(v128.load64_zero(p + o));
    const upd = f64x2.div(f64x2.mul(vstep, mi), f64x2.add(f64x2.div(f64x2.sqrt(vi), vbc2), veps));
    v128.store64_lane(p + o, f32x4.demote_f64x2_zero(f64x2.sub(f64x2.mul(pi, vdecay), upd)), 0);
  }
  for (; i < n; i++) {
    const o = (i as usize) << 2;
    const gi = load<f32>(g + o) as f64;
    const mi = b1 * (load<f32>(m + o) as f64) + c1 * gi;
    const vi = b2 * (load<f32>(v + o) as f64) + c2 * gi * gi;
    store<f32>(m + o, mi as f32);
    store<f32>(v + o, vi as f32);
    store<f32>(p + o, ((load<f32>(p + o) as f64) * decay - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps)) as f32);
  }
}
