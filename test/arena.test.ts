import { describe, expect, test } from 'vitest';
import { Tensor, memory, tensor, tidy } from '../src/index.js';
import { heap } from '../src/wasm.js';

describe('arena', () => {
  test('blocks are 16-byte aligned and freed blocks are reused', () => {
    const arena = heap();
    const a = arena.alloc(4), b = arena.alloc(100), c = arena.alloc(64);
    for (const p of [a, b, c]) expect(p % 16).toBe(0);
    arena.free(b, 100);
    const d = arena.alloc(96); // fits in b's 112-byte block
    expect(d).toBe(b);
    for (const [p, n] of [[a, 4], [c, 64], [d, 96]] as const) arena.free(p, n);
  });

  test('neighbouring free blocks merge', () => {
    const arena = heap();
    const a = arena.alloc(64), b = arena.alloc(64), c = arena.alloc(64), guard = arena.alloc(16);
    arena.free(a, 64);
    arena.free(c, 64);
    arena.free(b, 64);
    expect(arena.alloc(192)).toBe(a);
    arena.free(a, 192);
    arena.free(guard, 16);
  });

  test('a loop of fixed shapes reaches zero growth', () => {
    const step = () => tidy(() => {
      const x = Tensor.filled([64, 100], 1);
      const y = Tensor.filled([100, 10], 2);
      return Tensor.filled([x.size + y.size], 0).size;
    });
    step();
    const before = memory();
    for (let i = 0; i < 50; i++) step();
    const after = memory();
    expect(after.bytes).toBe(before.bytes);
    expect(after.tensors).toBe(before.tensors);
    expect(after.arenaBytes).toBe(before.arenaBytes);
  });

  test('memory grows past the first pages and tensors stay readable after growth', () => {
    const t = tensor([1, 2, 3]);
    const pagesBefore = memory().arenaBytes;
    const big = Tensor.filled([4 * 1024 * 1024], 7); // 16 MiB forces memory.grow
    expect(memory().arenaBytes).toBeGreaterThan(pagesBefore);
    expect(Array.from(t.toArray())).toEqual([1, 2, 3]);
    expect(big.toArray()[4 * 1024 * 1024 - 1]).toBe(7);
    big.dispose();
    t.dispose();
  });

  test('past the limit: a RangeError naming requested and available bytes, and nothing corrupted', () => {
    const arena = heap();
    const keep = tensor([4, 5, 6]);
    const live = memory();
    arena.setLimit(memory().arenaBytes + 1024 * 1024);
    try {
      expect(() => Tensor.empty([64 * 1024 * 1024])).toThrow(RangeError);
      expect(() => Tensor.empty([64 * 1024 * 1024])).toThrow(/cannot allocate 268435456 bytes: \d+ bytes available/);
    } finally {
      arena.setLimit(2 ** 31);
    }
    expect(memory().bytes).toBe(live.bytes);
    expect(memory().tensors).toBe(live.tensors);
    expect(Array.from(keep.toArray())).toEqual([4, 5, 6]);
    keep.dispose();
  });

  test('memory() reports tensors, bytes and peak', () => {
    const before = memory();
    const t = Tensor.empty([1000]);
    const during = memory();
    expect(during.tensors).toBe(before.tensors + 1);
    expect(during.bytes).toBe(before.bytes + 4000);
    expect(during.peakBytes).toBeGreaterThanOrEqual(during.bytes);
    t.dispose();
    expect(memory().bytes).toBe(before.bytes);
  });
});
