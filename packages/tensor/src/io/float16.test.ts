import { describe, expect, it } from 'vitest';
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from './float16.ts';

const f32FromBits = (bits: number): number => new Float32Array(new Uint32Array([bits]).buffer)[0]!;
const toF16 = (x: number): number => float32ToFloat16(new Float32Array([x]))[0]!;
const toBf16 = (x: number): number => float32ToBfloat16(new Float32Array([x]))[0]!;
const fromF16 = (h: number): number => float16ToFloat32(new Uint16Array([h]))[0]!;
const fromBf16 = (h: number): number => bfloat16ToFloat32(new Uint16Array([h]))[0]!;

describe('float32ToFloat16', () => {
  it.each([
    ['1', 1, 0x3c00],
    ['-2', -2, 0xc000],
    ['0.5', 0.5, 0x3800],
    ['0.1 (rounded)', 0.1, 0x2e66],
    ['+0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['65504 (max finite)', 65504, 0x7bff],
    ['65519 (rounds down to max)', 65519, 0x7bff],
    ['65520 (tie, goes to even = inf)', 65520, 0x7c00],
    ['1e6 (overflow)', 1e6, 0x7c00],
    ['-1e6 (overflow)', -1e6, 0xfc00],
    ['+inf', Number.POSITIVE_INFINITY, 0x7c00],
    ['-inf', Number.NEGATIVE_INFINITY, 0xfc00],
    ['2^-14 (min normal)', 2 ** -14, 0x0400],
    ['2^-14 - 2^-24 (max subnormal)', 2 ** -14 - 2 ** -24, 0x03ff],
    ['2^-24 (min subnormal)', 2 ** -24, 0x0001],
    ['-2^-24', -(2 ** -24), 0x8001],
    ['2^-25 (tie between 0 and 2^-24, to even 0)', 2 ** -25, 0x0000],
    ['-2^-25 (to -0)', -(2 ** -25), 0x8000],
    ['3*2^-26 (above the tie)', 3 * 2 ** -26, 0x0001],
    ['1.5*2^-24 (tie, to even 2)', 1.5 * 2 ** -24, 0x0002],
    ['2.5*2^-24 (tie, to even 2)', 2.5 * 2 ** -24, 0x0002],
    ['2^-30 (underflow)', 2 ** -30, 0x0000],
    ['1 + 2^-11 (tie, to even 0x3c00)', 1 + 2 ** -11, 0x3c00],
    ['1 + 3*2^-11 (tie, to even 0x3c02)', 1 + 3 * 2 ** -11, 0x3c02],
    ['1 + 2^-11 + 2^-20 (above the tie)', 1 + 2 ** -11 + 2 ** -20, 0x3c01],
    ['2 - 2^-12 (rounding carries into the exponent)', 2 - 2 ** -12, 0x4000],
    ['2^-14 - 2^-25 (subnormal rounding carries to min normal)', 2 ** -14 - 2 ** -25, 0x0400],
  ])('%s', (_, x, bits) => {
    expect(toF16(x)).toBe(bits);
  });

  it('NaN becomes the quiet NaN 0x7e00, sign kept', () => {
    expect(toF16(Number.NaN)).toBe(0x7e00);
    expect(toF16(f32FromBits(0xffc00001))).toBe(0xfe00);
    expect(toF16(f32FromBits(0x7f800001))).toBe(0x7e00); // signalling NaN payload in low bits
  });

  it('reads a Float32Array view with a byte offset', () => {
    const buf = new Float32Array([7, 1, -2]);
    expect([...float32ToFloat16(buf.subarray(1))]).toEqual([0x3c00, 0xc000]);
  });
});

describe('float16ToFloat32', () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0x0400, 2 ** -14],
    [0x03ff, 6.097555160522461e-5],
    [0x0001, 2 ** -24],
    [0x8001, -(2 ** -24)],
    [0x0000, 0],
    [0x7c00, Number.POSITIVE_INFINITY],
    [0xfc00, Number.NEGATIVE_INFINITY],
  ])('0x%s', (bits, x) => {
    expect(fromF16(bits)).toBe(x);
  });

  it('keeps -0 and NaN', () => {
    expect(Object.is(fromF16(0x8000), -0)).toBe(true);
    expect(fromF16(0x7e00)).toBeNaN();
    expect(fromF16(0xfc01)).toBeNaN();
  });

  it('every non-NaN half survives half -> float32 -> half', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = float32ToFloat16(float16ToFloat32(all));
    for (let i = 0; i < 65536; i++) {
      const nan = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (!nan && back[i] !== i)
        throw new Error(`0x${i.toString(16)} came back as 0x${back[i]!.toString(16)}`);
    }
  });
});

describe('float32ToBfloat16', () => {
  it.each([
    ['1', 1, 0x3f80],
    ['-2', -2, 0xc000],
    ['pi (rounds down)', Math.PI, 0x4049],
    ['+0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['+inf', Number.POSITIVE_INFINITY, 0x7f80],
    ['-inf', Number.NEGATIVE_INFINITY, 0xff80],
    ['max float32 (rounds to inf)', f32FromBits(0x7f7fffff), 0x7f80],
    ['1 + 2^-8 (tie, to even 0x3f80)', f32FromBits(0x3f808000), 0x3f80],
    ['tie 0x3f818000 (to even 0x3f82)', f32FromBits(0x3f818000), 0x3f82],
    ['0x3f808001 (above the tie)', f32FromBits(0x3f808001), 0x3f81],
    ['0x3f807fff (below the tie)', f32FromBits(0x3f807fff), 0x3f80],
    ['min float32 subnormal', f32FromBits(0x00000001), 0x0000],
    ['subnormal tie 0x00018000 (to even 0x0002)', f32FromBits(0x00018000), 0x0002],
  ])('%s', (_, x, bits) => {
    expect(toBf16(x)).toBe(bits);
  });

  it('NaN becomes 0x7fc0 (as torch)', () => {
    expect(toBf16(Number.NaN)).toBe(0x7fc0);
    expect(toBf16(f32FromBits(0xff800001))).toBe(0x7fc0);
  });
});

describe('bfloat16ToFloat32', () => {
  it.each([
    [0x3f80, 1],
    [0xc000, -2],
    [0x4049, 3.140625],
    [0x7f80, Number.POSITIVE_INFINITY],
    [0xff80, Number.NEGATIVE_INFINITY],
    [0x0001, 2 ** -133],
    [0x7f7f, 3.3895313892515355e38],
  ])('0x%s', (bits, x) => {
    expect(fromBf16(bits)).toBe(x);
  });

  it('keeps -0 and NaN', () => {
    expect(Object.is(fromBf16(0x8000), -0)).toBe(true);
    expect(fromBf16(0x7fc0)).toBeNaN();
  });
});
