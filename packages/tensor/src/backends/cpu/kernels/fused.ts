import type { AdamWHyper, FusedKernels, Storage } from '../../../backend.ts';
import { philox4x32 } from '../../../random.ts';
import { erf } from './erf.ts';
import type { Alloc } from './pool.ts';

const f32 = (s: Storage): Float32Array => s as Float32Array;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const INV_2_24 = 1 / 16777216;

/** The CPU backend's fused kernels: one pass each over rows, instead of a chain of elementwise ops. */
export function createCpuFused(alloc: Alloc = (_dtype, size) => new Float32Array(size)): FusedKernels {
  const f = (n: number): Float32Array => alloc('float32', n) as Float32Array;
  return {
    softmax(x, rows, cols, log) {
      const a = f32(x);
      const out = f(rows * cols);
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let m = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < cols; j++) if (a[o + j]! > m) m = a[o + j]!;
        let s = 0;
        if (log) {
          for (let j = 0; j < cols; j++) s += Math.exp(a[o + j]! - m);
          const l = Math.log(s);
          for (let j = 0; j < cols; j++) out[o + j] = a[o + j]! - m - l;
        } else {
          for (let j = 0; j < cols; j++) {
            const e = Math.exp(a[o + j]! - m);
            out[o + j] = e;
            s += e;
          }
          const inv = 1 / s;
          for (let j = 0; j < cols; j++) out[o + j]! *= inv;
        }
      }
      return out;
    },

    softmaxBackward(y, dy, rows, cols, log) {
      const ya = f32(y);
      const g = f32(dy);
      const out = f(rows * cols);
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let s = 0;
        if (log) {
          // y = log softmax: dx = dy − softmax · Σ dy
          for (let j = 0; j < cols; j++) s += g[o + j]!;
          for (let j = 0; j < cols; j++) out[o + j] = g[o + j]! - Math.exp(ya[o + j]!) * s;
        } else {
          // y = softmax: dx = y · (dy − Σ dy·y)
          for (let j = 0; j < cols; j++) s += g[o + j]! * ya[o + j]!;
          for (let j = 0; j < cols; j++) out[o + j] = ya[o + j]! * (g[o + j]! - s);
        }
      }
      return out;
    },

    layerNorm(x, weight, bias, rows, cols, eps) {
      const a = f32(x);
      const w = weight ? f32(weight) : null;
      const b = bias ? f32(bias) : null;
      const y = f(rows * cols);
      const mean = f(rows);
      const rstd = f(rows);
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let s = 0;
        for (let j = 0; j < cols; j++) s += a[o + j]!;
        const mu = s / cols;
        let v = 0;
        for (let j = 0; j < cols; j++) {
          const d = a[o + j]! - mu;
          v += d * d;
        }
        const rs = 1 / Math.sqrt(v / cols + eps);
        mean[r] = mu;
        rstd[r] = rs;
        for (let j = 0; j < cols; j++) {
          let z = (a[o + j]! - mu) * rs;
          if (w) z *= w[j]!;
          if (b) z += b[j]!;
          y[o + j] = z;
        }
      }
      return { y, mean, rstd };
    },

    layerNormBackward(dy, x, weight, mean, rstd, rows, cols) {
      const g = f32(dy);
      const a = f32(x);
      const w = weight ? f32(weight) : null;
      const mu = f32(mean);
      const rs = f32(rstd);
      const dx = f(rows * cols);
      const dw = new Float64Array(cols);
      const db = new Float64Array(cols);
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        const m = mu[r]!;
        const s = rs[r]!;
        // dx = rstd · (dxhat − mean(dxhat) − xhat · mean(dxhat · xhat)), dxhat = dy · w
        let sum1 = 0;
        let sum2 = 0;
        for (let j = 0; j < cols; j++) {
          const xhat = (a[o + j]! - m) * s;
          const gj = g[o + j]!;
          const dxhat = w ? gj * w[j]! : gj;
          sum1 += dxhat;
          sum2 += dxhat * xhat;
          dw[j]! += gj * xhat;
          db[j]! += gj;
        }
        const m1 = sum1 / cols;
        const m2 = sum2 / cols;
        for (let j = 0; j < cols; j++) {
          const xhat = (a[o + j]! - m) * s;
          const dxhat = w ? g[o + j]! * w[j]! : g[o + j]!;
          dx[o + j] = s * (dxhat - m1 - xhat * m2);
        }
      }
      return { dx, dWeight: Float32Array.from(dw), dBias: Float32Array.from(db) };
    },

    gelu(kind, x, size) {
      const a = f32(x);
      const out = f(size);
      if (kind === 'erf')
        for (let i = 0; i < size; i++) out[i] = 0.5 * a[i]! * (1 + erf(a[i]! * Math.SQRT1_2));
      else {
        for (let i = 0; i < size; i++) {
          const v = a[i]!;
          out[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
        }
      }
      return out;
    },

    geluBackward(kind, x, dy, size) {
      const a = f32(x);
      const g = f32(dy);
      const out = f(size);
      if (kind === 'erf') {
        // d/dx x·Φ(x) = Φ(x) + x·φ(x)
        for (let i = 0; i < size; i++) {
          const v = a[i]!;
          out[i] = g[i]! * (0.5 * (1 + erf(v * Math.SQRT1_2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
        }
      } else {
        for (let i = 0; i < size; i++) {
          const v = a[i]!;
          const t = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
          const du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
          out[i] = g[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du);
        }
      }
      return out;
    },

    dropout(x, size, p, seed, offset) {
      const a = f32(x);
      const out = f(size);
      // float32 arithmetic throughout, so every backend keeps and scales exactly the same elements
      const pf = Math.fround(p);
      const scale = Math.fround(1 / Math.fround(1 - pf));
      const k0 = Math.floor(Math.abs(seed)) >>> 0;
      const k1 = Math.floor(Math.abs(seed) / 4294967296) >>> 0;
      const block = new Uint32Array(4);
      for (let i = 0; i < size; i += 4) {
        const c = offset + i / 4;
        philox4x32(c >>> 0, Math.floor(c / 4294967296) >>> 0, k0, k1, block);
        const n = Math.min(4, size - i);
        for (let j = 0; j < n; j++) {
          const u = (block[j]! >>> 8) * INV_2_24;
          out[i + j] = u >= pf ? a[i + j]! * scale : 0;
        }
      }
      return out;
    },

    adamw(p, grad, m, v, size, h: AdamWHyper) {
      const pa = f32(p);
      const g = f32(grad);
      const ma = f32(m);
      const va = f32(v);
      const decay = 1 - h.lr * h.weightDecay;
      const stepSize = h.lr / h.biasCorrection1;
      const b1 = h.beta1;
      const b2 = h.beta2;
      for (let i = 0; i < size; i++) {
        const gi = g[i]!;
        const mi = b1 * ma[i]! + (1 - b1) * gi;
        const vi = b2 * va[i]! + (1 - b2) * gi * gi;
        ma[i] = mi;
        va[i] = vi;
        pa[i] = pa[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) / h.biasCorrection2Sqrt + h.eps);
      }
    },
  };
}

/** Fused kernels allocating fresh arrays (the reference for the WebAssembly ones). */
export const cpuFused: FusedKernels = createCpuFused();
