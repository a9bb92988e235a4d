// IEEE 754 half precision (float16) and bfloat16 <-> float32 conversions on raw bit patterns.
// Narrowing rounds to nearest, ties to even, as PyTorch does; NaN becomes the canonical quiet NaN PyTorch writes
// (float16: sign | 0x7e00, bfloat16: 0x7fc0).

/** float32 → float16 bit patterns, round to nearest even; overflow gives ±inf, tiny values give subnormals/±0. */
export function float32ToFloat16(x: Float32Array): Uint16Array {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToF16(bits[i]!);
  return out;
}

function f32BitsToF16(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const abs = u & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00; // NaN
  // 65520 (0x477ff000) is the tie between 65504 and 65536; ties-to-even goes up, to inf.
  if (abs >= 0x477ff000) return sign | 0x7c00;
  const e = abs >>> 23;
  if (e >= 113) {
    // Normal half: rebias the exponent (127 → 15) and round away the low 13 mantissa bits.
    let h = ((e - 112) << 10) | ((abs >>> 13) & 0x3ff);
    const rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // a carry into the exponent is correct
    return sign | h;
  }
  // Subnormal half (or zero): value = m · 2^(e-150), in units of 2^-24 that is m >> (126 - e).
  if (e < 102) return sign; // below 2^-25: rounds to ±0 (2^-25 itself is a tie that goes to even 0)
  const m = (abs & 0x7fffff) | 0x800000;
  const shift = 126 - e; // 14..24
  let q = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (q & 1) === 1)) q++; // q = 0x400 is the smallest normal: correct
  return sign | q;
}

/** float16 bit patterns → float32 (exact). */
export function float16ToFloat32(x: Uint16Array): Float32Array {
  const out = new Float32Array(x.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < x.length; i++) {
    const h = x[i]!;
    const sign = (h & 0x8000) << 16;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) {
      out[i] = m * 2 ** -24 * (sign !== 0 ? -1 : 1); // subnormal or ±0, exact in float32
    } else if (e === 31) {
      outBits[i] = (sign | 0x7f800000 | (m << 13)) >>> 0; // inf / NaN (payload kept)
    } else {
      outBits[i] = (sign | ((e + 112) << 23) | (m << 13)) >>> 0;
    }
  }
  return out;
}

/** float32 → bfloat16 bit patterns, round to nearest even (PyTorch's `round_to_nearest_even`). */
export function float32ToBfloat16(x: Float32Array): Uint16Array {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i]!;
    if ((u & 0x7fffffff) > 0x7f800000) {
      out[i] = 0x7fc0;
    } else {
      out[i] = (u + (0x7fff + ((u >>> 16) & 1))) >>> 16; // u + bias < 2^33, exact in a double
    }
  }
  return out;
}

/** bfloat16 bit patterns → float32 (exact). */
export function bfloat16ToFloat32(x: Uint16Array): Float32Array {
  const out = new Float32Array(x.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < x.length; i++) outBits[i] = (x[i]! << 16) >>> 0;
  return out;
}
