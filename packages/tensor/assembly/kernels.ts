// Fused elementwise and row kernels for @tsformer/tensor's CPU backend: WebAssembly SIMD (f32x4) with a
// float32 polynomial exp, so softmax, GELU and dropout cost a few cycles per element instead of a call to
// Math.exp/Math.tanh each. Single-threaded; the JavaScript side (src/backends/cpu/kernels/wasm-kernels.ts)
// copies operands into this module's memory, calls one export, and copies the result out.
//
// Compiled by `pnpm --filter @tsformer/tensor build:wasm` (assembly/build.mjs) into
// src/backends/cpu/kernels/generated/kernels-wasm.ts; a test fails when that file is stale.

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
  // series: 2/√π · Σ (−1)^n z^(2n+1) / (n! (2n+1)), 8 terms (|z| < 0.5)
  const z2 = f32x4.mul(z, z);
  let term = z;
  let s = z;
  for (let n: i32 = 1; n < 8; n++) {
    const odd: i32 = 2 * n + 1;
    term = f32x4.mul(term, f32x4.div(f32x4.neg(z2), f32x4.splat(<f32>n)));
    s = f32x4.add(s, f32x4.div(term, f32x4.splat(<f32>odd)));
  }
  const series = f32x4.mul(s, f32x4.splat(1.1283791670955126));
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

export function dropout(x: usize, out: usize, n: i32, p: f32, k0: u32, k1: u32, offsetLo: u32, offsetHi: u32): void {
  const scale: f32 = 1 / (1 - p);
  let c0 = offsetLo;
  let c1 = offsetHi;
  for (let i = 0; i < n; i += 4) {
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
