// Test helpers: a seeded JS generator for test data, closeness checks, and the gradient check.
import { expect } from 'vitest';
import { Tensor, mul, sum, tidy, variable, tensor } from '../src/index.js';
import { mulberry32 } from './fixtures/train.js';

/** The built .wasm, as a file: URL in Node and Deno and an http: URL in a page. */
export const WASM_URL = new URL('../build/wasmgrad.wasm', import.meta.url);

/** A small seeded generator for test inputs; the library itself never uses it. */
export const rng = mulberry32;

/** n values uniform in [lo, hi), rounded to float32 so the f64 reference sees the same inputs. */
export function randArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** Asserts |actual - expected| <= atol + rtol·|expected| elementwise, naming the first bad index. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      expect.fail(`index ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

/** A float64 reference op: inputs as flat arrays → flat output. */
export type RefFn = (...inputs: Float64Array[]) => ArrayLike<number>;

/**
 * Gradient check: the library's backward against central differences of the float64 reference.
 * L = Σ w·f(x) with random w; dL/dx from backward() must match (L(x+h) - L(x-h)) / 2h computed in
 * float64 with h = 1e-6. Tolerance: |g - n| <= 1e-4 + 1e-3·|n| (float32 forward and backward).
 */
export function gradcheck(
  op: (...xs: Tensor[]) => Tensor,
  ref: RefFn,
  inputs: { data: Float32Array; shape: number[] }[],
  options: { check?: boolean[]; constant?: boolean[]; rtol?: number; atol?: number } = {},
): void {
  const rtol = options.rtol ?? 1e-3, atol = options.atol ?? 1e-4;
  const f64 = inputs.map((x) => Float64Array.from(x.data));
  const outLen = ref(...f64).length;
  const w = randArray(outLen, 99);
  const loss = (xs: Float64Array[]) => {
    const y = ref(...xs);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += w[i]! * y[i]!;
    return s;
  };
  const grads = tidy(() => {
    const xs = inputs.map((x, k) => (options.constant?.[k] ? tensor : variable)(x.data, x.shape));
    const y = op(...xs);
    sum(mul(y, tensor(w, y.shape))).backward();
    return xs.map((x) => x.grad?.toArray() ?? new Float32Array(x.size));
  });
  const h = 1e-6;
  f64.forEach((x, k) => {
    if ((options.check && !options.check[k]) || options.constant?.[k]) return;
    const numeric = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const keep = x[i]!;
      x[i] = keep + h;
      const up = loss(f64);
      x[i] = keep - h;
      const down = loss(f64);
      x[i] = keep;
      numeric[i] = (up - down) / (2 * h);
    }
    expectClose(grads[k]!, numeric, rtol, atol);
  });
}

/** Sizes around the SIMD width that every elementwise kernel is tested at. */
export const SIZES = [1, 3, 4, 5, 8, 17, 1023];

/** The runtime this test file runs in. */
export const RUNTIME: 'node' | 'deno' | 'chromium' =
  'Deno' in globalThis ? 'deno' : typeof window !== 'undefined' ? 'chromium' : 'node';

/** The bytes at a URL relative to a test file: read from disk for file: URLs, fetched otherwise. */
export async function readBytes(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    const fs = await import(/* @vite-ignore */ 'node:fs/promises' as string) as { readFile(u: URL): Promise<Uint8Array> };
    return new Uint8Array(await fs.readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetch ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Every weight of a model random (seeded), for comparisons with other engines: kernels with variance
 * 1/rows (glorot-like, so that deep models do not saturate and every weight matters), vectors in ±0.5,
 * moving variances positive.
 */
export function randomizeWeights(m: { namedWeights(): { name: string; tensor: { shape: readonly number[]; size: number } }[]; setWeights(a: Float32Array[]): void }, seed: number): void {
  const r = rng(seed);
  m.setWeights(m.namedWeights().map(({ name, tensor: t }) => {
    const rows = t.shape.length > 1 ? t.size / t.shape[t.shape.length - 1]! : 0;
    const scale = rows ? 2 * Math.sqrt(3 / rows) : 1;
    return Float32Array.from({ length: t.size }, () => (name.endsWith('moving_variance') ? 0.5 + r() : (r() - 0.5) * scale));
  }));
}
