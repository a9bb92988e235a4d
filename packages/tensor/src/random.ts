/**
 * Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): value = f(key, counter). Every backend can
 * compute the same stream bit for bit, so one seed gives the same dropout masks on a CPU and a GPU, and a stream
 * can be cut anywhere (element i of a draw depends only on seed, offset and i).
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/**
 * High 32 bits of the 64-bit product of two uint32, exactly: the low word is exact from Math.imul, and the
 * double product is within 2^12 of the true one, so rounding (product − low) / 2^32 gives the high word.
 */
function mulhi(a: number, b: number, lo: number): number {
  return Math.round((a * b - lo) / 4294967296) >>> 0;
}

/** One Philox4x32-10 block: 4 uint32 outputs for counter (c0, c1, c2, c3) and key (k0, k1). */
export function philox4x32(
  c0: number,
  c1: number,
  k0: number,
  k1: number,
  out: Uint32Array,
  c2 = 0,
  c3 = 0,
): void {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let r = 0; r < 10; r++) {
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi0 = mulhi(M0, x0, lo0);
    const lo1 = Math.imul(M1, x2) >>> 0;
    const hi1 = mulhi(M1, x2, lo1);
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

function splitSeed(seed: number): [number, number] {
  const s = Math.floor(Math.abs(seed));
  return [s >>> 0, Math.floor(s / 4294967296) >>> 0];
}

/** Fills `out` with uint32 words `offset*4 + i` of the stream of `seed`. */
export function philoxWords(seed: number, offset: number, out: Uint32Array): void {
  const [k0, k1] = splitSeed(seed);
  const block = new Uint32Array(4);
  const n = out.length;
  for (let i = 0; i < n; i += 4) {
    const c = offset + i / 4;
    philox4x32(c >>> 0, Math.floor(c / 4294967296) >>> 0, k0, k1, block);
    for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = block[j]!;
  }
}

const INV_2_24 = 1 / 16777216;

/** Uniform floats in [0, 1): the top 24 bits of each word, so every value is exact in float32. */
export function uniformFromWords(words: Uint32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = (words[i]! >>> 8) * INV_2_24;
}

/** Standard normals by Box–Muller over consecutive word pairs. */
export function normalFromWords(words: Uint32Array, out: Float32Array): void {
  const n = out.length;
  for (let i = 0; i < n; i += 2) {
    const u1 = ((words[i]! >>> 8) + 0.5) * INV_2_24; // (0, 1): never log(0)
    const u2 = ((words[i + 1]! >>> 8) + 0.5) * INV_2_24;
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
}

/**
 * A seeded stream. Each draw of n values takes the next ceil(n/4) counters, so the sequence of draws, not
 * wall time or call order elsewhere, decides every value. `state()`/`setState()` let a training run resume.
 */
export class Generator {
  seed: number;
  offset: number;

  constructor(seed = 0, offset = 0) {
    this.seed = seed;
    this.offset = offset;
  }

  /** Reserves counters for `n` values and returns the offset to pass to a kernel. */
  take(n: number): number {
    const start = this.offset;
    this.offset += Math.ceil(Math.max(n, 1) / 4);
    return start;
  }

  /** n uniform floats in [0, 1) (as plain numbers), for sampling and shuffling in JavaScript. */
  uniform(n: number): Float32Array {
    const words = new Uint32Array(n + ((4 - (n % 4)) % 4));
    philoxWords(this.seed, this.take(n), words);
    const out = new Float32Array(n);
    uniformFromWords(words.subarray(0, n), out);
    return out;
  }

  /** One uniform float in [0, 1). */
  random(): number {
    return this.uniform(1)[0]!;
  }

  /** A uniform integer in [0, n). */
  randint(n: number): number {
    return Math.min(n - 1, Math.floor(this.random() * n));
  }

  state(): { seed: number; offset: number } {
    return { seed: this.seed, offset: this.offset };
  }

  setState(state: { seed: number; offset: number }): void {
    this.seed = state.seed;
    this.offset = state.offset;
  }
}

let defaultGenerator = new Generator(0);

/** The generator ops use when none is given. */
export function getDefaultGenerator(): Generator {
  return defaultGenerator;
}

/** Reseeds the default generator, like torch.manual_seed. */
export function manualSeed(seed: number): Generator {
  defaultGenerator = new Generator(seed);
  return defaultGenerator;
}
