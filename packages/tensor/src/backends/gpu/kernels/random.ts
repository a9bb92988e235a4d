import { type KernelSpec, kernel } from './common.ts';

/**
 * Philox4x32-10 (src/random.ts) in a shader, bit for bit. GLSL ES 1.00 (WebGL1 and headless-gl) has no unsigned
 * integers and gpu.js computes in float32, which is exact only to 2^24, so every 32-bit word is held as two
 * 16-bit halves (`h`, `l`), XOR works on the halves, and the 32×32→64-bit products split one factor into 8-bit
 * limbs, so each partial product (16×8 bits) and each column sum stays below 2^24.
 *
 * Element i takes word i % 4 of the block at counter offset + floor(i/4), as the CPU backend does. Uniform values
 * are exact ((w >>> 8)·2^-24); normal values use float32 log/cos/sin (Box–Muller), so they match the CPU's
 * float64 evaluation to about 1e-6, not bit for bit.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

const limbs8 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
const f = (v: number): string => `${v}.0`;

/** mod 2^8 and carry, exact: `/ 256` is a power-of-two scaling. */
function carry8(r: string, c: string): string {
  return `let ${r} = ${c} - Math.floor(${c} * 0.00390625) * 256.0;\n    ${c} = Math.floor(${c} * 0.00390625)`;
}

/** Statements computing the 64-bit product M·x as 16-bit halves `${p}lh ${p}ll` (low word) and `${p}hh ${p}hl`. */
function mul(m: number, xh: string, xl: string, p: string): string {
  const mk = limbs8(m);
  let s = `let ${p}x0 = ${xl} - Math.floor(${xl} * 0.00390625) * 256.0;
    let ${p}x1 = Math.floor(${xl} * 0.00390625);
    let ${p}x2 = ${xh} - Math.floor(${xh} * 0.00390625) * 256.0;
    let ${p}x3 = Math.floor(${xh} * 0.00390625);
    let ${p}c = 0.0;
`;
  for (let col = 0; col < 7; col++) {
    const terms: string[] = [];
    for (let k = 0; k < 4; k++) {
      const j = col - k;
      if (j >= 0 && j < 4 && mk[k] !== 0) terms.push(`${f(mk[k]!)} * ${p}x${j}`);
    }
    s += `    ${p}c = ${p}c + ${terms.length ? terms.join(' + ') : '0.0'};\n    ${carry8(`${p}r${col}`, `${p}c`)};\n`;
  }
  s += `    let ${p}r7 = ${p}c;
    let ${p}ll = ${p}r0 + ${p}r1 * 256.0;
    let ${p}lh = ${p}r2 + ${p}r3 * 256.0;
    let ${p}hl = ${p}r4 + ${p}r5 * 256.0;
    let ${p}hh = ${p}r6 + ${p}r7 * 256.0;
`;
  return s;
}

/** key += w (mod 2^32) on halves */
function addKey(k: string, w: number): string {
  const wl = w & 0xffff;
  const wh = w >>> 16;
  return `let ${k}s = ${k}l + ${f(wl)};
    let ${k}cy = Math.floor(${k}s / 65536.0);
    ${k}l = ${k}s - ${k}cy * 65536.0;
    let ${k}t = ${k}h + ${f(wh)} + ${k}cy;
    ${k}h = ${k}t - Math.floor(${k}t / 65536.0) * 65536.0;
`;
}

/** `(w >>> 8 [+ 0.5]) · 2^-24` from the word's halves */
const unit = (h: string, l: string, half: boolean): string =>
  `((${h} * 256.0 + Math.floor(${l} * 0.00390625)${half ? ' + 0.5' : ''}) / 16777216.0)`;

export function randomSpec(kind: 'uniform' | 'normal'): KernelSpec {
  const args: [string, string][] = [
    ['k0h', 'Float'],
    ['k0l', 'Float'],
    ['k1h', 'Float'],
    ['k1l', 'Float'],
    ['o0', 'Float'],
    ['o1', 'Float'],
    ['o2', 'Float'],
    ['o3', 'Float'],
  ];
  // the block q = ⌊t/4⌋ of element t as 16-bit halves, in integer arithmetic (t may exceed 2^24; common.ts)
  let s = `let lane = imod(this.thread.x, 4);
  let q1 = idiv(this.thread.x, 262144);
  let q0 = imod(idiv(this.thread.x, 4), 65536);
  let a0 = o0 + q0;
  let cy = Math.floor(a0 / 65536.0);
  let x0l = a0 - cy * 65536.0;
  let a1 = o1 + q1 + cy;
  cy = Math.floor(a1 / 65536.0);
  let x0h = a1 - cy * 65536.0;
  let a2 = o2 + cy;
  cy = Math.floor(a2 / 65536.0);
  let x1l = a2 - cy * 65536.0;
  let a3 = o3 + cy;
  let x1h = a3 - Math.floor(a3 / 65536.0) * 65536.0;
  let x2h = 0.0;
  let x2l = 0.0;
  let x3h = 0.0;
  let x3l = 0.0;
  let ah = k0h;
  let al = k0l;
  let bh = k1h;
  let bl = k1l;
  for (let round = 0; round < 10; round++) {
    ${mul(M0, 'x0h', 'x0l', 'A')}${mul(M1, 'x2h', 'x2l', 'B')}
    let n0h = (Bhh ^ x1h) ^ ah;
    let n0l = (Bhl ^ x1l) ^ al;
    let n2h = (Ahh ^ x3h) ^ bh;
    let n2l = (Ahl ^ x3l) ^ bl;
    x0h = n0h;
    x0l = n0l;
    x1h = Blh;
    x1l = Bll;
    x2h = n2h;
    x2l = n2l;
    x3h = Alh;
    x3l = All;
    ${addKey('a', W0)}${addKey('b', W1)}
  }
`;
  if (kind === 'uniform') {
    s += `  let wh = x0h;
  let wl = x0l;
  if (lane == 1.0) { wh = x1h; wl = x1l; }
  if (lane == 2.0) { wh = x2h; wl = x2l; }
  if (lane == 3.0) { wh = x3h; wl = x3l; }
  return ${unit('wh', 'wl', false)};`;
  } else {
    // Box–Muller on word pairs (0,1) and (2,3): even lanes take the cosine, odd lanes the sine
    s += `  let uh = x0h;
  let ul = x0l;
  let vh = x1h;
  let vl = x1l;
  if (lane >= 2.0) { uh = x2h; ul = x2l; vh = x3h; vl = x3l; }
  let u2 = ${unit('vh', 'vl', true)};
  // log(u1) from u1·2^24 = m·2^e with m in [1, 2) (exact halvings) and the atanh series of log(m): some
  // drivers' log, sin and cos (SwiftShader's) are only good to ~1e-4, and these are good to float32 rounding
  let m = uh * 256.0 + Math.floor(ul * 0.00390625) + 0.5;
  let e = 0.0;
  for (let h = 0; h < 24; h++) {
    if (m >= 2.0) { m = m * 0.5; e = e + 1.0; }
  }
  let z = (m - 1.0) / (m + 1.0);
  let z2 = z * z;
  let lnm = 2.0 * z * (1.0 + z2 * (0.3333333333333333 + z2 * (0.2 + z2 * (0.14285714285714285 + z2 * (0.1111111111111111 + z2 * (0.09090909090909091 + z2 * (0.07692307692307693 + z2 * 0.06666666666666667)))))));
  let lnu = lnm + (e - 24.0) * 0.6931471805599453;
  let rad = Math.sqrt(-2.0 * lnu);
  // cos/sin(2π·u2) by quadrant (an exact split of u2) and Taylor series on [0, π/2)
  let qt = u2 * 4.0;
  let quad = Math.floor(qt);
  let th = (qt - quad) * 1.5707963267948966;
  let t2 = th * th;
  let sn = th * (1.0 - t2 / 6.0 * (1.0 - t2 / 20.0 * (1.0 - t2 / 42.0 * (1.0 - t2 / 72.0 * (1.0 - t2 / 110.0 * (1.0 - t2 / 156.0))))));
  let cs = 1.0 - t2 / 2.0 * (1.0 - t2 / 12.0 * (1.0 - t2 / 30.0 * (1.0 - t2 / 56.0 * (1.0 - t2 / 90.0 * (1.0 - t2 / 132.0)))));
  let c = cs;
  let s = sn;
  if (quad == 1.0) { c = -sn; s = cs; }
  if (quad == 2.0) { c = -cs; s = -sn; }
  if (quad == 3.0) { c = sn; s = -cs; }
  let odd = lane == 1.0 || lane == 3.0;
  return odd ? rad * s : rad * c;`;
  }
  return kernel(args, s);
}

/** The kernel arguments for (seed, offset): key and counter as 16-bit halves. */
export function randomArgs(seed: number, offset: number): number[] {
  const s = Math.floor(Math.abs(seed));
  const k0 = s >>> 0;
  const k1 = Math.floor(s / 4294967296) >>> 0;
  const o = Math.floor(offset);
  const lo = o >>> 0;
  const hi = Math.floor(o / 4294967296) >>> 0;
  return [k0 >>> 16, k0 & 0xffff, k1 >>> 16, k1 & 0xffff, lo & 0xffff, lo >>> 16, hi & 0xffff, hi >>> 16];
}
