// The opt-in relaxed-SIMD build (build/wasmgrad-relaxed.wasm): init(..., { simd: 'relaxed' }) loads it
// where the engine has relaxed SIMD and falls back to the baseline build, with a reason, where it has
// not; on one machine its training run gives one digest in Node 24, Deno and Chromium.
import { expect, test } from 'vitest';
import { wasmStats } from '../scripts/wasm-stats.js';
import { trainAndDigest } from './fixtures/train.js';
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
  // That ran on the machine's threads (the threaded relaxed build where shared memory allows); one thread gives the same bits.
  const threads = lib.threads().count;
  await lib.init(undefined, { simd: 'relaxed', threads: 1 });
  expect(lib.threads().count).toBe(1);
  expect((await trainAndDigest(lib as unknown as Wasmgrad)).digest).toBe(result.digest);
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

// The relaxed build's products run 6×8 tiles on packed strips of 6 rows, with 4×8 tiles at the edges;
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
  for (const [m, n, k] of [[1, 40, 3], [5, 33, 17], [6, 40, 8], [7, 64, 300], [13, 41, 5], [17, 72, 259], [134, 48, 9]] as const) {
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
