// The opt-in relaxed-SIMD build (build/wasmgrad-relaxed.wasm): init(..., { simd: 'relaxed' }) loads it
// where the engine has relaxed SIMD and falls back to the baseline build, with a reason, where it has
// not; on one machine its training run gives one digest in Node 24, Deno and Chromium.
import { expect, test } from 'vitest';
import { wasmStats } from '../scripts/wasm-stats.js';
import { trainAndDigest, trainKSplitMlp } from './fixtures/train.js';
import { RUNTIME, readBytes } from './helpers.js';

type Bundle = typeof import('../build/index.js');
// The fixture is typed against the sources; the built bundle has the same API (minus internals).
type Wasmgrad = Parameters<typeof trainAndDigest>[0];

const BASELINE_URL = new URL('../build/wasmgrad.wasm', import.meta.url);
const RELAXED_URL = new URL('../build/wasmgrad-relaxed.wasm', import.meta.url);

// test/determinism.test.ts' digest: the baseline build's, identical on every engine and CPU.
const BASELINE_DIGEST = 'b5d88db0cf024c527dad8005257bafe4961047395e5b5e286b5f3ce7a5105961';
// The relaxed build's digest where relaxed_madd is one fused multiply-add (x86-64 with FMA3, as this
// machine, and ARM64). Where the engine runs it as a multiply then an add, the relaxed build computes
// exactly what the baseline build does, and its digest is BASELINE_DIGEST.
const FUSED_DIGEST = '4eba452992039ae52e742eba94b8b4771c85719b9218880fa5653bde01bd0c42';

// A 59-byte module exporting f(a, b, c) = lane 0 of f32x4.relaxed_madd(splat a, splat b, splat c).
const MADD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0,
  1, 8, 1, 0x60, 3, 0x7d, 0x7d, 0x7d, 1, 0x7d, // type: (f32, f32, f32) -> f32
  3, 2, 1, 0, // one function of that type
  7, 5, 1, 1, 0x66, 0, 0, // export it as "f"
  10, 22, 1, 20, 0, 0x20, 0, 0xfd, 0x13, 0x20, 1, 0xfd, 0x13, 0x20, 2, 0xfd, 0x13, 0xfd, 0x85, 2, 0xfd, 0x1f, 0, 0x0b]);

/** Whether this engine's relaxed_madd rounds once (fused): (1+2⁻¹²)² − (1+2⁻¹¹) is 2⁻²⁴ fused, 0 unfused. */
async function maddFuses(): Promise<boolean> {
  const { instance } = await WebAssembly.instantiate(MADD_PROBE as BufferSource) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
  const f = instance.exports.f as (a: number, b: number, c: number) => number;
  const a = 1 + 2 ** -12, r = f(a, a, -(1 + 2 ** -11));
  expect([0, 2 ** -24]).toContain(r);
  return r !== 0;
}

/** Which engines have relaxed SIMD on by default: all this suite runs in but Node 20 (flag). */
function expectRelaxed(): boolean {
  if (RUNTIME !== 'node') return true;
  const p = (globalThis as unknown as { process: { versions: { node: string }; execArgv: string[] } }).process;
  return Number(p.versions.node.split('.')[0]) >= 22 || p.execArgv.includes('--experimental-wasm-relaxed-simd');
}

test(`relaxed SIMD is detected where the engine has it (${RUNTIME})`, async () => {
  const lib = await import('../build/index.js?detect' as string) as Bundle;
  expect(lib.relaxedSimdSupported()).toBe(expectRelaxed());
});

test('the relaxed build differs from the baseline only by relaxed_madd in the GEMM and convolution loops', async () => {
  const [base, relaxed] = [wasmStats(await readBytes(BASELINE_URL)), wasmStats(await readBytes(RELAXED_URL))];
  expect(relaxed.imports).toBe(0);
  expect(base.relaxedMadd).toBe(0);
  expect(relaxed.relaxedMadd).toBeGreaterThanOrEqual(40); // the micro-kernels' unrolled multiply-adds
  expect(relaxed.exports).toEqual(base.exports);
});

test(`init({ simd: 'relaxed' }) trains with the relaxed build: one digest on this machine (${RUNTIME})`, async () => {
  const lib = await import('../build/index.js?relaxed' as string) as Bundle;
  await lib.init(undefined, { simd: 'relaxed' });
  const info = lib.simd();
  expect(info.requested).toBe('relaxed');
  const result = await trainAndDigest(lib as unknown as Wasmgrad);
  expect(result.steps).toBe(200);
  if (!expectRelaxed()) {
    expect(info).toEqual({ build: 'baseline', requested: 'relaxed', reason: expect.stringMatching(/does not support it/) });
    expect(result.digest).toBe(BASELINE_DIGEST);
    return;
  }
  expect(info).toEqual({ build: 'relaxed', requested: 'relaxed', reason: 'relaxed SIMD requested and supported by this engine' });
  const fused = await maddFuses();
  console.log(`relaxed build (${RUNTIME}): relaxed_madd ${fused ? 'fused' : 'unfused'}, digest ${result.digest}`);
  expect(result.digest).toBe(fused ? FUSED_DIGEST : BASELINE_DIGEST);
  expect(result.loss).toBeLessThan(Math.log(3));
  // That ran on the machine's threads (the threaded relaxed build where shared memory allows); one thread gives the same bits,
  // also for a first layer whose product (17×785 by 785×40) is split along K on 2 or more threads (6-row chunks here).
  const threads = lib.threads().count;
  const mlp = await trainKSplitMlp(lib as unknown as Wasmgrad);
  await lib.init(undefined, { simd: 'relaxed', threads: 1 });
  expect(lib.threads().count).toBe(1);
  expect((await trainAndDigest(lib as unknown as Wasmgrad)).digest).toBe(result.digest);
  expect(await trainKSplitMlp(lib as unknown as Wasmgrad)).toBe(mlp);
  console.log(`relaxed build (${RUNTIME}): the same digest on ${threads} threads and on 1`);
});

test('the default stays the baseline build, and says so', async () => {
  const lib = await import('../build/index.js?default' as string) as Bundle;
  await lib.init();
  expect(lib.simd()).toEqual({ build: 'baseline', requested: 'baseline', reason: 'baseline requested (the default)' });
  expect((await trainAndDigest(lib as unknown as Wasmgrad)).digest).toBe(BASELINE_DIGEST);
});

test('init picks the build from { baseline, relaxed } sources and from a folder URL', async () => {
  const [baseBytes, relaxedBytes] = [await readBytes(BASELINE_URL), await readBytes(RELAXED_URL)];
  const a = await import('../build/index.js?sources' as string) as Bundle;
  await a.init({ baseline: baseBytes, relaxed: relaxedBytes }, { simd: 'relaxed' });
  expect(a.simd().build).toBe(expectRelaxed() ? 'relaxed' : 'baseline');
  const b = await import('../build/index.js?folder' as string) as Bundle;
  await b.init(new URL('./', BASELINE_URL), { simd: 'relaxed' }); // the folder both files are in
  expect(b.simd().build).toBe(expectRelaxed() ? 'relaxed' : 'baseline');
  const c = await import('../build/index.js?nosource' as string) as Bundle;
  await c.init({ baseline: baseBytes }, { simd: 'relaxed' });
  expect(c.simd()).toMatchObject({ build: 'baseline', reason: expectRelaxed() ? expect.stringMatching(/no relaxed source/) : expect.stringMatching(/does not support/) });
  if (expectRelaxed()) {
    const d = await import('../build/index.js?given' as string) as Bundle;
    await d.init(baseBytes, { simd: 'relaxed' });
    expect(d.simd()).toMatchObject({ build: 'baseline', reason: expect.stringMatching(/given the baseline module itself/) });
  }
});

test('a bad simd option, or a different one after loading, is refused by name', async () => {
  const lib = await import('../build/index.js?bad' as string) as Bundle;
  await expect(lib.init(undefined, { simd: 'fast' as 'relaxed' })).rejects.toThrow(/init: simd must be 'baseline' or 'relaxed', got "fast"/);
  await expect(lib.init(undefined, { smid: 'relaxed' } as object)).rejects.toThrow(/smid.*simd/);
  await lib.init();
  await lib.init(undefined, { simd: 'baseline' }); // the same build: a no-op
  await expect(lib.init(undefined, { simd: 'relaxed' })).rejects.toThrow(/cannot change once loaded/);
  expect(lib.simd().build).toBe('baseline');
});

// The relaxed build's products run 6×8 tiles on strips of 6 rows (packed or read in place), with 4×8 tiles at the edges;
// every element is the same chain of fused multiply-adds either way. So a product's rows must be the
// bits of the same rows computed alone (a 1-row product: edge tiles only), in all four forms, at sizes
// around the strip height and the SIMD width, and near a float64 reference.
test(`relaxed products: each row the bits of that row alone, near float64 (${RUNTIME})`, async () => {
  const lib = await import('../build/index.js?relaxed-gemm' as string) as Bundle;
  await lib.init(undefined, { simd: 'relaxed', threads: 1 });
  expect(lib.simd().build).toBe(expectRelaxed() ? 'relaxed' : 'baseline');
  if (!expectRelaxed()) return; // no relaxed SIMD here (Node 20 without its flag): nothing to check
  let seed = 3;
  const r = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const bits = (t: { toArray(): Float32Array }) => Array.from(new Uint32Array(t.toArray().buffer));
  // Packed A (N ≥ 32) and A read in place (N < 32), each with full and edge tiles.
  for (const [m, n, k] of [[1, 40, 3], [5, 33, 17], [6, 40, 8], [7, 64, 300], [13, 41, 5], [17, 72, 259], [134, 48, 9],
    [6, 8, 5], [7, 5, 9], [12, 16, 40], [19, 31, 7], [23, 24, 300], [140, 17, 3]] as const) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const A = Float32Array.from({ length: m * k }, r), B = Float32Array.from({ length: k * n }, r);
      const a = lib.tensor(A, ta ? [k, m] : [m, k]), b = lib.tensor(B, tb ? [n, k] : [k, n]);
      const c = lib.matmul(a, b, { transposeA: ta, transposeB: tb }), got = c.toArray(), all = bits(c);
      for (let i = 0; i < m; i++) {
        // Row i of op(A) alone, stored as op(A) expects.
        const row = Float32Array.from({ length: k }, (_, p) => (ta ? A[p * m + i]! : A[i * k + p]!));
        const one = lib.matmul(lib.tensor(row, ta ? [k, 1] : [1, k]), b, { transposeA: ta, transposeB: tb });
        expect(bits(one), `${m}×${n}×${k} ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'} row ${i}`).toEqual(all.slice(i * n, (i + 1) * n));
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += row[p]! * (tb ? B[j * k + p]! : B[p * n + j]!);
          expect(Math.abs(got[i * n + j]! - s)).toBeLessThanOrEqual(1e-5 * k);
        }
      }
    }
  }
});

// The relaxed build's first layer (one input channel, 5 or 6 filters) takes two taps of a window row
// at a time for the filter gradient and 8 outputs at a time forward; with 7 or 8 filters one tap and
// 4 outputs. Each sum is the same either way, so the filters of a 5- or 6-filter convolution get the
// bits of the same filters in an 8-filter one (its other outputs masked out of the loss), with and
// without bias and ReLU; and the filter gradient is near float64.
test(`relaxed first layer: two taps, 8 outputs at a time give the bits of one tap, 4 outputs (${RUNTIME})`, async () => {
  const lib = await import('../build/index.js?relaxed-conv1' as string) as Bundle;
  await lib.init(undefined, { simd: 'relaxed', threads: 1 });
  expect(lib.simd().build).toBe(expectRelaxed() ? 'relaxed' : 'baseline');
  let seed = 5;
  const r = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
  const cases = [[3, 11, 13, 5, 5, 'same', 6, false], [2, 9, 7, 3, 4, 'valid', 6, false], [9, 6, 6, 2, 3, 'same', 5, false],
    [2, 20, 20, 5, 5, 'valid', 6, true], [2, 16, 17, 3, 3, 'same', 5, true]] as const;
  for (const [b, h, w, kh, kw, padding, nf, biasRelu] of cases) {
    const at = `${b}×${h}×${w}, ${kh}×${kw} ${padding}, ${nf} filters${biasRelu ? ', bias and ReLU' : ''}`;
    const weight = (pixel: number, j: number) => Math.sin(pixel * 0.37 + j * 1.3); // the loss' weight of output j at a pixel
    const X = Float32Array.from({ length: b * h * w }, r), W8 = Float32Array.from({ length: kh * kw * 8 }, r), B8 = Float32Array.from({ length: 8 }, r);
    const firstOf = (a: Float32Array, n: number) => Float32Array.from({ length: (a.length / 8) * n }, (_, i) => a[Math.floor(i / n) * 8 + (i % n)]!);
    const run = (filters: number) => lib.tidy(() => {
      const f = lib.variable(filters === 8 ? W8 : firstOf(W8, filters), [kh, kw, 1, filters]);
      const bias = biasRelu ? lib.tensor(filters === 8 ? B8 : B8.subarray(0, filters), [filters]) : null;
      const y = lib.conv2d(lib.tensor(X, [b, h, w, 1]), f, { padding, bias, relu: biasRelu });
      const mask = lib.tensor(Float32Array.from({ length: y.size }, (_, i) => (i % filters < nf ? 1 : 0)), y.shape);
      const wts = lib.tensor(Float32Array.from({ length: y.size }, (_, i) => weight(Math.floor(i / filters), i % filters)), y.shape);
      lib.sum(lib.mul(lib.mul(y, mask), wts)).backward();
      const g = f.grad!.toArray(), out = y.toArray();
      f.dispose();
      return { g, out, oh: y.shape[1]!, ow: y.shape[2]! };
    });
    const few = run(nf), eight = run(8);
    expect(bits(few.g), at).toEqual(bits(firstOf(eight.g, nf)));
    expect(bits(few.out), at).toEqual(bits(firstOf(eight.out, nf)));
    if (biasRelu) continue; // the float64 check below is for the plain sum
    // float64: dW[ky][kx][j] = Σ x[n][oy + ky - pt][ox + kx - pl] · wts[n][oy][ox][j]
    const { oh, ow } = few, pt = padding === 'same' ? Math.floor((kh - 1) / 2) : 0, pl = padding === 'same' ? Math.floor((kw - 1) / 2) : 0;
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) for (let j = 0; j < nf; j++) {
      let s = 0;
      for (let n = 0; n < b; n++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
        const iy = oy + ky - pt, ix = ox + kx - pl;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
        s += X[(n * h + iy) * w + ix]! * Math.fround(weight((n * oh + oy) * ow + ox, j));
      }
      expect(Math.abs(few.g[(ky * kw + kx) * nf + j]! - s), at).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(s)));
    }
  }
});
