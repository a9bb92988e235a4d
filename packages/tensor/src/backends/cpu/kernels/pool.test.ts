import { describe, expect, it } from 'vitest';
import { BufferPool, sizeClass } from './pool.ts';

describe('BufferPool', () => {
  it('size classes waste at most 12.5 % and never round down', () => {
    for (const n of [1024, 1025, 1100, 1279, 1280, 5000, 65_537, 1_000_001]) {
      const c = sizeClass(n);
      expect(c).toBeGreaterThanOrEqual(n);
      expect(c / n).toBeLessThanOrEqual(1.125);
      expect(sizeClass(c)).toBe(c);
    }
  });

  it('reuses a freed buffer for a request of a nearby size, as a view of the requested length', () => {
    const pool = new BufferPool();
    const a = pool.alloc('float32', 5000);
    expect(a.length).toBe(5000);
    a.fill(7);
    pool.put(a);
    expect(pool.held).toBe(4 * sizeClass(5000));
    const b = pool.alloc('float32', 5100); // same class as 5000
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(5100);
    expect(pool.held).toBe(0);
    const c = pool.alloc('int32', 5000); // nothing free: a new buffer
    expect(c.buffer).not.toBe(a.buffer);
    expect(c).toBeInstanceOf(Int32Array);
  });

  it('never hands one buffer out twice, and never takes back a view it did not make', () => {
    const pool = new BufferPool();
    const a = pool.alloc('float32', 4096);
    pool.put(a);
    const b = pool.alloc('float32', 4096);
    const c = pool.alloc('float32', 4096);
    expect(b.buffer).not.toBe(c.buffer);
    const foreign = new Float32Array(8192);
    pool.put(foreign.subarray(0, 4096)); // a view of someone else's array: not ours to reuse
    pool.put(foreign.subarray(4096));
    expect(pool.held).toBe(0);
    pool.put(foreign); // a whole array is its owner's to give
    expect(pool.held).toBe(8192 * 4);
    expect(pool.alloc('float32', 8192).buffer).toBe(foreign.buffer);
  });

  it('keeps no more than its byte bound', () => {
    const pool = new BufferPool(3 * 4096 * 4);
    const arrays = Array.from({ length: 5 }, () => pool.alloc('float32', 4096));
    for (const a of arrays) pool.put(a);
    expect(pool.held).toBe(3 * 4096 * 4);
  });
});
