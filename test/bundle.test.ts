// The built package: the .wasm has no imports and real SIMD code; the bundle loads the .wasm
// beside it with a bare init() and trains.
import { expect, test } from 'vitest';
import { wasmStats } from '../scripts/wasm-stats.js';
import { readBytes } from './helpers.js';

type Bundle = typeof import('../build/index.js');

const WASM_URL = new URL('../build/wasmgrad.wasm', import.meta.url);

test('build/wasmgrad.wasm imports nothing and holds SIMD kernels', async () => {
  const stats = wasmStats(await readBytes(WASM_URL));
  expect(stats.imports).toBe(0);
  expect(stats.simdInstructions).toBeGreaterThan(100);
});

test('build/index.js: init() finds the .wasm beside it, and a model trains', async () => {
  const lib = await import('../build/index.js');
  await lib.init();
  await lib.init(); // a second call is a no-op
  const model = lib.sequential([lib.layers.dense({ units: 4, activation: 'relu', inputShape: [2] }), lib.layers.dense({ units: 1 })]);
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  const h = await model.fit([[0, 1], [1, 0]], [[1], [-1]], { epochs: 50, seed: 5, verbose: 0 });
  expect(h.history.loss!.at(-1)!).toBeLessThan(h.history.loss![0]!);
  model.dispose();
});

test('init accepts bytes and a compiled module', async () => {
  const bytes = await readBytes(WASM_URL);
  // Each query string gives a fresh, uninitialized instance of the bundle.
  const cases = [
    [await import('../build/index.js?bytes' as string) as Bundle, bytes],
    [await import('../build/index.js?module' as string) as Bundle, new WebAssembly.Module(bytes as BufferSource)],
    [await import('../build/index.js?response' as string) as Bundle, new Response(bytes as BodyInit)],
  ] as const;
  for (const [fresh, source] of cases) {
    expect(fresh.isInitialized()).toBe(false);
    await fresh.init(source);
    expect(fresh.tensor([1, 2]).toArray()).toEqual(new Float32Array([1, 2]));
  }
});
