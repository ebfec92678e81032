// Threads: the pool init() starts, kernels split among 1 to 4 threads giving the same bits as one
// thread, the seeded digest of issue #4 at every count, errors, no arena growth, clean exits.
import { afterAll, describe, expect, test } from 'vitest';
import * as wg from '../src/index.js';
import { Pool, splitThresholds } from '../src/threads.js';
import { heap, wasm } from '../src/wasm.js';
import { trainAndDigest, trainKSplitMlp } from './fixtures/train.js';
import { RUNTIME } from './helpers.js';

const DIGEST = 'b5d88db0cf024c527dad8005257bafe4961047395e5b5e286b5f3ce7a5105961'; // test/determinism.test.ts
const isolated = RUNTIME !== 'chromium' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
const start = wg.threads();

afterAll(async () => {
  splitThresholds();
  await wg.init(undefined, { threads: start.requested });
});

test(`init chose the machine's threads where shared memory allows (${RUNTIME})`, async () => {
  expect(start.requested).toBe('auto');
  if (!isolated) {
    expect(start.count).toBe(1);
    expect(start.reason).toMatch(/^1: the page is not cross-origin isolated/);
    return;
  }
  const cores = RUNTIME === 'chromium' ? navigator.hardwareConcurrency : (await import('node:os' as string) as typeof import('node:os')).availableParallelism();
  expect(start.count).toBe(Math.min(16, Math.max(1, cores)));
  expect(start.reason).toBe(`${start.count}: the machine's parallelism`);
});

describe.skipIf(!isolated)('with the threaded build', () => {
  test('the seeded digest is the same with 1, 2, 3 and 4 threads', async () => {
    for (const n of [1, 2, 3, 4]) {
      await wg.init(undefined, { threads: n });
      expect(wg.threads()).toEqual({ count: n, requested: n, reason: `${n}: asked for` });
      expect((await trainAndDigest(wg)).digest).toBe(DIGEST);
    }
  });

  // A model whose products, convolutions, pooling and updates are all large enough to split.
  async function trainConvNet(): Promise<string> {
    const L = wg.layers;
    const model = wg.sequential([
      L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [20, 20, 1] }),
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }),
      L.maxPooling2d({ poolSize: 3, strides: 1 }), // overlapping windows: an input can be the maximum of several
      L.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
      L.averagePooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 37, activation: 'sigmoid' }),
      L.dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const n = 45, x = new Float32Array(n * 400), y = new Float32Array(n * 3);
    for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 1000) / 1000 - 0.5;
    for (let i = 0; i < n; i++) y[i * 3 + (i % 3)] = 1;
    await model.fit(wg.tensor(x, [n, 20, 20, 1]), wg.tensor(y, [n, 3]), { epochs: 2, batchSize: 17, seed: 3, verbose: 0 });
    const bits = model.getWeights().map((w) => Array.from(new Uint32Array(w.buffer, w.byteOffset, w.length)).join(',')).join(';');
    model.dispose();
    return bits;
  }

  test('every split kernel gives one thread\'s bits at 2, 3 and 4 threads (odd sizes, splits forced)', async () => {
    splitThresholds(1, 1);
    try {
      await wg.init(undefined, { threads: 1 });
      const one = await trainConvNet(), mlp = await trainKSplitMlp(wg); // the MLP's first product splits along K
      const products = matmuls();
      for (const n of [2, 3, 4]) {
        await wg.init(undefined, { threads: n });
        const before = Pool.calls;
        expect(await trainConvNet()).toBe(one);
        expect(await trainKSplitMlp(wg)).toBe(mlp);
        expect(matmuls()).toEqual(products);
        expect(Pool.calls - before).toBeGreaterThan(100); // the pool really ran them
      }
    } finally {
      splitThresholds();
    }
  });

  // The four forms at sizes around the tiles (4×8) and blocks (K 256), accumulating into a start value.
  // Split along K: 9×1023 by 1023×17 and 7×784 by 784×130 (A or Aᵀ), and the gradient of B for 300×5 by 5×40.
  function matmuls(): number[][] {
    const out: number[][] = [];
    for (const [m, k, n] of [[1, 3, 5], [5, 17, 3], [17, 300, 9], [33, 8, 40], [9, 1023, 17], [64, 5, 1], [7, 784, 130], [300, 5, 40]] as const) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = wg.variable(Float32Array.from({ length: m * k }, (_, i) => Math.sin(i)), ta ? [k, m] : [m, k]);
          const b = wg.variable(Float32Array.from({ length: k * n }, (_, i) => Math.cos(i)), tb ? [n, k] : [k, n]);
          const c = wg.matmul(a, b, { transposeA: ta, transposeB: tb });
          wg.sum(wg.mul(c, c)).backward();
          out.push(Array.from(c.toArray()), Array.from(a.grad!.toArray()), Array.from(b.grad!.toArray()));
          wg.tidy(() => [a, b, c].forEach((t) => t.dispose()));
        }
      }
    }
    return out;
  }

  test('20,000 split calls back to back, of kernels with other argument counts, each right', async () => {
    splitThresholds(1, 1);
    try {
      for (const n of [2, 3, 4]) {
        await wg.init(undefined, { threads: n });
        const k = wasm(), a = heap().alloc(4096), b = heap().alloc(4096), mem = () => new Float32Array(heap().memory.buffer);
        for (let i = 0; i < 10_000; i++) {
          const size = 40 + (i % 200);
          k.fill_f32(a, size, i);
          k.scale_forward_f32(b, a, size, 0.5); // another kernel, another argument count
          const f = mem();
          if (f[a / 4 + size - 1] !== i || f[b / 4] !== i / 2 || f[b / 4 + size - 1] !== i / 2) throw new Error(`call ${i} at ${n} threads`);
        }
        heap().free(a, 4096);
        heap().free(b, 4096);
      }
    } finally {
      splitThresholds();
    }
  });

  test('the first NaN or infinity is found across the shares at 2, 3 and 4 threads (splits forced)', async () => {
    splitThresholds(1, 1);
    const size = 1001, p = heap().alloc(size * 4);
    try {
      for (const n of [2, 3, 4]) {
        await wg.init(undefined, { threads: n });
        const before = Pool.calls;
        for (const bad of [-1, 0, 15, 16, 333, 500, 501, 999, 1000]) {
          const f = new Float32Array(heap().memory.buffer, p, size);
          f.fill(1);
          if (bad >= 0) f[bad] = bad % 2 ? Infinity : NaN;
          if (bad > 0) f[size - 1 - ((bad * 7) % (size - bad))] = -Infinity; // a later one too
          expect(wasm().nonfinite_index_f32(p, size)).toBe(bad);
        }
        expect(Pool.calls - before).toBe(9);
      }
    } finally {
      heap().free(p, size * 4);
      splitThresholds();
    }
  });

  test('no arena growth over 60 threaded training steps', async () => {
    await wg.init(undefined, { threads: 2 });
    const model = wg.sequential([wg.layers.dense({ units: 256, activation: 'relu', inputShape: [300] }), wg.layers.dense({ units: 10, activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const x = wg.tensor(Float32Array.from({ length: 64 * 300 }, (_, i) => (i % 13) / 13), [64, 300]);
    const y = wg.data.oneHot(Int32Array.from({ length: 64 }, (_, i) => i % 10), 10);
    const before = Pool.calls;
    await model.trainOnBatch(x, y);
    const live = wg.memory().bytes, size = wg.memory().arenaBytes;
    for (let i = 0; i < 60; i++) await model.trainOnBatch(x, y);
    expect(Pool.calls - before).toBeGreaterThan(60);
    expect(wg.memory().bytes).toBe(live);
    expect(wg.memory().arenaBytes).toBe(size);
    model.dispose(); x.dispose(); y.dispose();
  });

  test('a trap in a split kernel throws, and the pool and arena keep working', async () => {
    await wg.init(undefined, { threads: 2 });
    const k = wasm(), bytes = k.gemm_workspace_bytes(512, 512, 512);
    const work = heap().alloc(bytes);
    // Addresses past the end of memory: every share traps (the first call also sizes the pool's workspaces).
    const trap = () => k.gemm_tile_f32(0xfff00000, 0xfff00000, 0xfff00000, 0, 512, 512, 512, 0, work, 0, 512, 0, 512);
    expect(trap).toThrow(WebAssembly.RuntimeError);
    const live = wg.memory().bytes;
    expect(trap).toThrow(WebAssembly.RuntimeError);
    expect(wg.memory().bytes).toBe(live);
    heap().free(work, bytes);
    expect((await trainAndDigest(wg)).digest).toBe(DIGEST);
  });

  test('a trap in a K-split product\'s first share lets the share waiting on it go: it throws, no hang', async () => {
    await wg.init(undefined, { threads: 2 });
    const k = wasm(), m = 64, n = 128, kk = 784, bytes = (m * n + m * kk + kk * n) * 4 + k.gemm_workspace_bytes(m, n, kk);
    const at = heap().alloc(bytes), a = at + m * n * 4, b = a + m * kk * 4, work = b + kk * n * 4;
    const product = (out: number) => k.gemm_tile_f32(out, a, b, 0, m, n, kk, 0, work, 0, m, 0, n);
    for (let i = 0; i < 20; i++) {
      product(at); // the worker is awake for the next call
      const calls = Pool.calls;
      // out past the end of memory: share 0 packs its rows of B, then traps writing its first chunk;
      // share 1 (on the worker) packs its rows, then waits for share 0's word, set only by the failure path.
      expect(() => product(0xfff00000)).toThrow(WebAssembly.RuntimeError);
      expect(Pool.calls).toBe(calls + 1);
    }
    heap().free(at, bytes);
    expect((await trainAndDigest(wg)).digest).toBe(DIGEST);
  });
});

test.skipIf(RUNTIME !== 'node')('a program that trains on threads exits by itself, in Node and in Deno', async () => {
  const { spawnSync } = await import('node:child_process' as string) as typeof import('node:child_process');
  const script = new URL('./fixtures/threads-exit.mjs', import.meta.url).pathname;
  for (const [cmd, args] of [[process.execPath, [script]], ['node_modules/.bin/deno', ['run', '-A', script]]] as const) {
    const t0 = performance.now();
    const child = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
    expect(child.error, `${cmd}: ${child.error?.message}`).toBeUndefined();
    expect(child.status, `${cmd} exited ${child.status}: ${child.stderr}`).toBe(0);
    expect(child.stdout.trim()).toBe(`threads 2 digest ${DIGEST}`);
    expect(performance.now() - t0).toBeLessThan(30_000);
  }
});

test('given the single-thread build, init runs one thread and says why, whatever count is asked later', async () => {
  // A fresh copy of the built bundle: its own init.
  const fresh = await import('../build/index.js?single-thread' as string) as typeof wg;
  await fresh.init(new URL('../build/wasmgrad.wasm', import.meta.url));
  const expected = isolated ? '1: init() was given the single-thread build' : start.reason;
  expect(fresh.threads()).toEqual({ count: 1, requested: 'auto', reason: expected });
  await fresh.init(undefined, { threads: 3 });
  expect(fresh.threads()).toEqual({ count: 1, requested: 3, reason: isolated ? expected : start.reason });
  await fresh.init(undefined, { threads: 1 });
  expect(fresh.threads()).toEqual({ count: 1, requested: 1, reason: isolated ? '1: asked for' : start.reason });
});

test('init checks threads', async () => {
  const before = wg.threads();
  for (const bad of [0, 17, 1.5, -1, 'many', NaN]) {
    await expect(wg.init(undefined, { threads: bad as number })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('init: threads') });
  }
  expect(wg.threads()).toEqual(before);
});
