import { describe, expect, it } from 'vitest';
import { Generator, philox4x32 } from './random.ts';

describe('Philox4x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    // kat_vectors: philox4x32 10, counter, key → output
    philox4x32(0, 0, 0, 0, out, 0, 0);
    expect([...out]).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out, 0xffffffff, 0xffffffff);
    expect([...out]).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    philox4x32(0x243f6a88, 0x85a308d3, 0xa4093822, 0x299f31d0, out, 0x13198a2e, 0x03707344);
    expect([...out]).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
  });

  it('a generator is reproducible, resumable and roughly uniform', () => {
    const a = new Generator(42);
    const first = a.uniform(1000);
    const state = a.state();
    const next = a.uniform(10);
    const b = new Generator(0);
    b.setState(state);
    expect([...b.uniform(10)]).toEqual([...next]);
    expect([...new Generator(42).uniform(1000)]).toEqual([...first]);
    const mean = first.reduce((s, v) => s + v, 0) / first.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
    expect(first.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
