import { expect, test } from 'vitest';
import { Tensor, tidy } from '../src/index.js';
import { Rng } from '../src/random.js';
import { heap } from '../src/wasm.js';

function draw(seed: number, fill: (r: Rng, t: Tensor) => void, n = 10000): Float32Array {
  const r = new Rng(seed);
  try {
    return tidy(() => {
      const t = Tensor.empty([n]);
      fill(r, t);
      return t.toArray();
    });
  } finally {
    r.dispose();
  }
}

function stats(a: Float32Array): { mean: number; std: number; min: number; max: number } {
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  return { mean, std, min: Math.min(...a), max: Math.max(...a) };
}

test('same seed, same numbers; seed 0 is a seed like any other', () => {
  for (const seed of [0, 1, 2 ** 40, -5]) {
    expect(draw(seed, (r, t) => r.uniform(t, 0, 1))).toEqual(draw(seed, (r, t) => r.uniform(t, 0, 1)));
  }
  expect(draw(0, (r, t) => r.uniform(t, 0, 1))).not.toEqual(draw(1, (r, t) => r.uniform(t, 0, 1)));
  expect(() => new Rng(0.5)).toThrow(/seed: expected a safe integer, got 0.5/);
});

test('uniform, normal and truncated normal have the documented moments (n = 10000, 4σ bounds)', () => {
  const u = stats(draw(3, (r, t) => r.uniform(t, -2, 2)));
  expect(u.min).toBeGreaterThanOrEqual(-2);
  expect(u.max).toBeLessThan(2);
  expect(Math.abs(u.mean)).toBeLessThan(4 * (4 / Math.sqrt(12)) / 100);
  expect(Math.abs(u.std - 4 / Math.sqrt(12))).toBeLessThan(0.03);
  const n = stats(draw(4, (r, t) => r.normal(t, 1, 2)));
  expect(Math.abs(n.mean - 1)).toBeLessThan(4 * 2 / 100);
  expect(Math.abs(n.std - 2)).toBeLessThan(0.06);
  const tn = stats(draw(5, (r, t) => r.truncatedNormal(t, 0, 1)));
  expect(tn.min).toBeGreaterThanOrEqual(-2);
  expect(tn.max).toBeLessThanOrEqual(2);
  expect(Math.abs(tn.std - 0.8796)).toBeLessThan(0.03);
});

test('shuffle gives a permutation, different per seed', () => {
  const perm = (seed: number) => {
    const r = new Rng(seed);
    const p = heap().alloc(1000 * 4);
    r.shuffle(p, 1000);
    const out = new Int32Array(heap().memory.buffer, p, 1000).slice();
    heap().free(p, 4000);
    r.dispose();
    return out;
  };
  const a = perm(7);
  expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  expect(a).toEqual(perm(7));
  expect(a).not.toEqual(perm(8));
});
