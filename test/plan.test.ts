// Replayed training steps (src/engine/plan.ts): a small model's trainOnBatch is traced once and
// replayed. Every replayed step must give the bits an eager step gives (compile({ runEagerly: true })),
// free its memory with the model, and follow new weights, new shapes and shared layers.
import { describe, expect, test, vi } from 'vitest';
import { WasmgradError, type Optimizer, input, layers, memory, model, optimizers, regularizers, sequential, setSeed, type Model, type SymbolicTensor } from '../src/index.js';
import type { LossSpec } from '../src/losses.js';
import { MAX_BYTES, StepPlan } from '../src/engine/plan.js';
import { rng } from './helpers.js';

type Build = () => { m: Model; loss: LossSpec | LossSpec[]; metrics?: string[]; y: (n: number, r: () => number) => Float32Array[] };

const binary = (n: number, r: () => number) => [Float32Array.from({ length: n }, () => (r() < 0.5 ? 0 : 1))];
const oneHot = (n: number, r: () => number, k: number) => {
  const y = new Float32Array(n * k);
  for (let i = 0; i < n; i++) y[i * k + Math.floor(r() * k)] = 1;
  return [y];
};

function mlp(hidden: number[], activation: string, out: { units: number; activation: string }): Model {
  const x = input({ shape: [2] });
  let h: SymbolicTensor = x;
  for (const u of hidden) h = layers.dense({ units: u, activation: activation as 'tanh' }).apply(h) as SymbolicTensor;
  return model({ inputs: x, outputs: layers.dense({ units: out.units, activation: out.activation as 'sigmoid' }).apply(h) as SymbolicTensor });
}

// Models whose steps replay (replays: true) and models whose steps cannot (an op that is not traced): both must equal eager steps.
const CASES: { name: string; replays: boolean; optimizer: () => Optimizer; build: Build }[] = [
  { name: 'the playground 2-4-2-1 tanh net, binary cross-entropy, SGD', replays: true, optimizer: () => optimizers.sgd({ learningRate: 0.03 }),
    build: () => ({ m: mlp([4, 2], 'tanh', { units: 1, activation: 'sigmoid' }), loss: 'binaryCrossentropy', metrics: ['accuracy'], y: binary }) },
  { name: '6 layers of 8 relu, Adam', replays: true, optimizer: () => optimizers.adam({ learningRate: 0.01 }),
    build: () => ({ m: mlp([8, 8, 8, 8, 8, 8], 'relu', { units: 1, activation: 'sigmoid' }), loss: 'binaryCrossentropy', y: binary }) },
  { name: 'gelu, elu, swish, softplus, softmax and categorical cross-entropy, momentum', replays: true, optimizer: () => optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }),
    build: () => {
      const x = input({ shape: [2] });
      let h: SymbolicTensor = x;
      for (const a of ['gelu', 'elu', 'swish', 'softplus', 'linear', 'leakyRelu'] as const) h = layers.dense({ units: 5, activation: a }).apply(h) as SymbolicTensor;
      return { m: model({ inputs: x, outputs: layers.dense({ units: 3, activation: 'softmax' }).apply(h) as SymbolicTensor }), loss: 'categoricalCrossentropy', metrics: ['accuracy'], y: (n, r) => oneHot(n, r, 3) };
    } },
  { name: 'regression: mean squared error, RMSprop', replays: true, optimizer: () => optimizers.rmsprop({ learningRate: 0.01 }),
    build: () => ({ m: mlp([8], 'sigmoid', { units: 2, activation: 'linear' }), loss: 'meanSquaredError', metrics: ['mae'], y: (n, r) => [Float32Array.from({ length: 2 * n }, () => r() * 2 - 1)] }) },
  { name: 'two outputs with loss weights, a merge layer, a sigmoid and a softmax head', replays: true, optimizer: () => optimizers.adam({ learningRate: 0.01 }),
    build: () => {
      const x = input({ shape: [2] });
      const a = layers.dense({ units: 6, activation: 'tanh' }).apply(x) as SymbolicTensor;
      const b = layers.dense({ units: 6, activation: 'relu' }).apply(x) as SymbolicTensor;
      const h = layers.add().apply([a, b]) as SymbolicTensor;
      const m = model({ inputs: x, outputs: [layers.dense({ units: 1, activation: 'sigmoid', name: 'p' }).apply(h) as SymbolicTensor, layers.dense({ units: 3, activation: 'softmax', name: 'c' }).apply(h) as SymbolicTensor] });
      return { m, loss: ['binaryCrossentropy', 'categoricalCrossentropy'], y: (n, r) => [...binary(n, r), ...oneHot(n, r, 3)] };
    } },
  { name: 'an L2 penalty (not traced: eager steps)', replays: false, optimizer: () => optimizers.sgd({ learningRate: 0.03 }),
    build: () => ({ m: sequential([layers.dense({ units: 4, activation: 'tanh', inputShape: [2], kernelRegularizer: regularizers.l2(0.01) }), layers.dense({ units: 1, activation: 'sigmoid' })]), loss: 'binaryCrossentropy', y: binary }) },
  { name: 'dropout (random draws: eager steps)', replays: false, optimizer: () => optimizers.sgd({ learningRate: 0.03 }),
    build: () => ({ m: sequential([layers.dense({ units: 8, activation: 'relu', inputShape: [2] }), layers.dropout({ rate: 0.3 }), layers.dense({ units: 1, activation: 'sigmoid' })]), loss: 'binaryCrossentropy', y: binary }) },
  { name: 'batch normalization (moving statistics: eager steps)', replays: false, optimizer: () => optimizers.sgd({ learningRate: 0.03 }),
    build: () => ({ m: sequential([layers.dense({ units: 8, inputShape: [2] }), layers.batchNormalization(), layers.dense({ units: 1, activation: 'sigmoid' })]), loss: 'binaryCrossentropy', y: binary }) },
];

const cached = (m: Model) => (m as unknown as { trainingCache: unknown }).trainingCache !== null;
const bitsOf = (m: Model) => m.getWeights().map((w) => Array.from(new Uint32Array(w.buffer, w.byteOffset, w.length)));

// Trains a fresh model of `c` on the same seeded batches; sizes gives each step's batch size.
function run(c: (typeof CASES)[number], runEagerly: boolean, sizes: number[]) {
  setSeed(7);
  const { m, loss, metrics, y } = c.build();
  m.compile({ optimizer: c.optimizer(), loss, metrics: metrics as never, runEagerly });
  const r = rng(11);
  const logs = sizes.map((n) => {
    const x = Float32Array.from({ length: 2 * n }, () => r() * 4 - 2);
    const ys = y(n, r);
    return m.trainOnBatch({ data: x, shape: [n, 2] }, ys.length === 1 ? { data: ys[0]!, shape: [n, ys[0]!.length / n] } : ys.map((v) => ({ data: v, shape: [n, v.length / n] })));
  });
  return { m, logs };
}

describe('replayed training steps', () => {
  for (const c of CASES) {
    test(`${c.name}: the same bits as eager steps${c.replays ? '' : ' (and not replayed)'}`, () => {
      const sizes = [10, 10, 10, 10, 7, 7, 10, 10, 1, 10, ...new Array(20).fill(10)];
      const eager = run(c, true, sizes), replayed = run(c, false, sizes);
      expect(cached(eager.m)).toBe(false);
      expect(cached(replayed.m)).toBe(c.replays);
      expect(replayed.logs).toEqual(eager.logs);
      expect(bitsOf(replayed.m)).toEqual(bitsOf(eager.m));
      eager.m.dispose();
      replayed.m.dispose();
    });
  }

  test('a convolutional net (the one-channel, in-place, im2col and 1×1 convolutions, both poolings, flatten): the same bits as eager steps', () => {
    const runConv = (runEagerly: boolean) => {
      setSeed(7);
      const L = layers;
      const m = sequential([
        L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [9, 9, 1] }), // one channel: direct kernels
        L.maxPooling2d({ poolSize: 2, strides: 1 }),
        L.conv2d({ filters: 5, kernelSize: 3, activation: 'relu' }), // stride 1, valid: windows read in place
        L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }), // im2col
        L.conv2d({ filters: 6, kernelSize: 1 }), // 1×1
        L.averagePooling2d({ poolSize: 2 }),
        L.flatten(),
        L.dense({ units: 3, activation: 'softmax' }),
      ]);
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', runEagerly });
      const r = rng(11), live: number[] = [];
      const logs = [6, 6, 6, 4, 6, 6].map((n) => {
        const l = m.trainOnBatch({ data: Float32Array.from({ length: n * 81 }, () => r() * 2 - 1), shape: [n, 9, 9, 1] }, { data: oneHot(n, r, 3)[0]!, shape: [n, 3] });
        live.push(memory().bytes);
        return l;
      });
      return { m, logs, live };
    };
    const eager = runConv(true), replayed = runConv(false);
    // Replayed steps allocate nothing that stays (a workspace made again at each replay would show here).
    expect(replayed.live[2]).toBe(replayed.live[1]);
    expect(replayed.live[5]).toBe(replayed.live[4]);
    expect(cached(eager.m)).toBe(false);
    expect(cached(replayed.m)).toBe(true);
    expect(replayed.logs).toEqual(eager.logs);
    expect(bitsOf(replayed.m)).toEqual(bitsOf(eager.m));
    eager.m.dispose();
    replayed.m.dispose();
  });

  // fit() replays its full batches too (a last, smaller batch runs eagerly and keeps the plan).
  async function fitRun(c: (typeof CASES)[number], runEagerly: boolean, checkNumerics = false) {
    setSeed(7);
    const { m, loss, metrics, y } = c.build();
    m.compile({ optimizer: c.optimizer(), loss, metrics: metrics as never, runEagerly });
    const r = rng(11), n = 47;
    const x = Float32Array.from({ length: 2 * n }, () => r() * 4 - 2), ys = y(n, r);
    const batches: number[] = [];
    let during = false; // whether a step was kept while fit() ran
    const target = ys.length === 1 ? { data: ys[0]!, shape: [n, ys[0]!.length / n] } : ys.map((v) => ({ data: v, shape: [n, v.length / n] }));
    const h = await m.fit({ data: x, shape: [n, 2] }, target, { epochs: 3, batchSize: 10, seed: 5, checkNumerics, verbose: 0, callbacks: { onBatchEnd: (b) => { batches.push(b); during = cached(m); } } });
    return { m, history: h.history, batches, during };
  }
  for (const c of CASES) {
    test(`fit(), ${c.name}: the same bits and history as eager steps`, async () => {
      const eager = await fitRun(c, true), replayed = await fitRun(c, false);
      expect(eager.during).toBe(false);
      expect(replayed.during).toBe(c.replays);
      expect(cached(replayed.m)).toBe(c.replays); // a seeded fit keeps a step that drew from no generator
      expect(replayed.batches).toEqual(eager.batches);
      expect(replayed.history).toEqual(eager.history);
      expect(bitsOf(replayed.m)).toEqual(bitsOf(eager.m));
      eager.m.dispose();
      replayed.m.dispose();
    });
  }

  test('a seeded fit replaying the step an earlier fit kept gives the bits and history of eager fits', async () => {
    const twoFits = async (runEagerly: boolean) => {
      setSeed(7);
      const { m, y: targets } = CASES[4]!.build();
      m.compile({ optimizer: CASES[4]!.optimizer(), loss: ['binaryCrossentropy', 'categoricalCrossentropy'], runEagerly });
      const r = rng(5), n = 40, x = { data: Float32Array.from({ length: 2 * n }, () => r() * 4 - 2), shape: [n, 2] };
      const [b, c] = targets(n, r);
      const y = [{ data: b!, shape: [n, 1] }, { data: c!, shape: [n, 3] }];
      await m.fit(x, y, { epochs: 1, batchSize: 8, seed: 1, verbose: 0 });
      const kept = (m as unknown as { trainingCache: unknown }).trainingCache;
      const h = await m.fit(x, y, { epochs: 2, batchSize: 8, seed: 2, verbose: 0 });
      return { m, kept, same: kept === (m as unknown as { trainingCache: unknown }).trainingCache, history: h.history };
    };
    const eager = await twoFits(true), replayed = await twoFits(false);
    expect(replayed.kept).not.toBeNull();
    expect(replayed.same).toBe(true); // the second fit replayed the first one's step
    expect(replayed.history).toEqual(eager.history);
    expect(bitsOf(replayed.m)).toEqual(bitsOf(eager.m));
    eager.m.dispose();
    replayed.m.dispose();
  });

  test('fit() keeps its step for the next fit, seeded or not, and traces a step too big to keep only once', async () => {
    const traces = vi.spyOn(StepPlan, 'bytes');
    const before = memory().bytes;
    setSeed(7);
    const { m } = CASES[1]!.build();
    m.compile({ optimizer: CASES[1]!.optimizer(), loss: 'binaryCrossentropy' });
    const x = { data: Float32Array.from({ length: 94 }, (_, i) => Math.sin(i)), shape: [47, 2] }, y = { data: Float32Array.from({ length: 47 }, (_, i) => i % 2), shape: [47, 1] };
    traces.mockClear();
    await m.fit(x, y, { epochs: 2, batchSize: 10, verbose: 0 }); // the global generator
    expect(traces).toHaveBeenCalledTimes(1); // 8 full batches: one trace, 7 replays
    const plan = (m as unknown as { trainingCache: unknown }).trainingCache, kept = memory().bytes;
    expect(plan).not.toBeNull();
    await m.fit(x, y, { epochs: 1, batchSize: 10, verbose: 0 });
    expect(traces).toHaveBeenCalledTimes(1); // replayed from the kept step
    expect((m as unknown as { trainingCache: unknown }).trainingCache).toBe(plan);
    expect(memory().bytes).toBe(kept);
    // A seeded fit shuffles with its own generator; the kept step drew from none, so it replays too.
    await m.fit(x, y, { epochs: 1, batchSize: 10, seed: 3, verbose: 0 });
    expect(traces).toHaveBeenCalledTimes(1);
    expect((m as unknown as { trainingCache: unknown }).trainingCache).toBe(plan);
    expect(memory().bytes).toBe(kept);
    // Fewer samples than batchSize: every batch is full, and replays.
    await m.fit({ data: x.data.subarray(0, 16), shape: [8, 2] }, { data: y.data.subarray(0, 8), shape: [8, 1] }, { epochs: 3, verbose: 0 });
    expect(traces).toHaveBeenCalledTimes(2);
    expect(cached(m)).toBe(true);
    m.dispose();
    expect(memory().bytes).toBe(before);
    // A step over MAX_BYTES is not kept, and batches as large are not traced again.
    setSeed(7);
    const big = sequential([layers.dense({ units: 256, activation: 'relu', inputShape: [2] }), layers.dense({ units: 1, activation: 'sigmoid' })]);
    big.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const n = 8192 * 3;
    traces.mockClear();
    await big.fit({ data: new Float32Array(2 * n).fill(0.5), shape: [n, 2] }, { data: new Float32Array(n).fill(1), shape: [n, 1] }, { epochs: 2, batchSize: 8192, verbose: 0 });
    expect(traces).toHaveBeenCalledTimes(1);
    expect(traces.mock.results[0]!.value).toBeGreaterThan(MAX_BYTES);
    expect(cached(big)).toBe(false);
    big.dispose();
    traces.mockRestore();
  });

  for (const hook of ['onBatchBegin', 'onBatchEnd'] as const) {
    test(`a model disposed by ${hook} mid-fit stops the fit with DISPOSED and keeps nothing`, async () => {
      const before = memory().bytes;
      setSeed(7);
      const { m } = CASES[1]!.build();
      m.compile({ optimizer: CASES[1]!.optimizer(), loss: 'binaryCrossentropy' });
      const x = { data: new Float32Array(94).fill(0.5), shape: [47, 2] }, y = { data: new Float32Array(47).fill(1), shape: [47, 1] };
      await m.fit(x, y, { batchSize: 10, verbose: 0 }); // a kept step to replay
      expect(cached(m)).toBe(true);
      const run = m.fit(x, y, { batchSize: 10, verbose: 0, callbacks: { [hook]: (b: number) => { if (b === 2) m.dispose(); } } });
      await expect(run).rejects.toThrow(/fit: .*disposed/);
      expect(memory().bytes).toBe(before);
    });
  }

  test('fit() with checkNumerics runs eagerly, with the bits of a replayed fit', async () => {
    const before = memory().bytes;
    const checked = await fitRun(CASES[1]!, false, true), b = await fitRun(CASES[1]!, false);
    expect(checked.during).toBe(false);
    expect(cached(checked.m)).toBe(false);
    expect(b.during).toBe(true);
    expect(bitsOf(checked.m)).toEqual(bitsOf(b.m));
    for (const model of [b.m, checked.m]) model.dispose();
    expect(memory().bytes).toBe(before);
  });

  test('the kept step lives in memory() and goes with dispose() and compile()', () => {
    const before = memory().bytes;
    const { m } = run(CASES[0]!, false, [10]);
    const kept = memory().bytes;
    expect(kept).toBeGreaterThan(before);
    for (let i = 0; i < 100; i++) m.trainOnBatch({ data: new Float32Array(20).fill(0.5), shape: [10, 2] }, { data: new Float32Array(10).fill(1), shape: [10, 1] });
    expect(memory().bytes).toBe(kept);
    m.compile({ optimizer: optimizers.sgd({ learningRate: 0.03 }), loss: 'binaryCrossentropy' });
    expect(cached(m)).toBe(false);
    m.trainOnBatch({ data: new Float32Array(20).fill(0.5), shape: [10, 2] }, { data: new Float32Array(10).fill(1), shape: [10, 1] });
    expect(cached(m)).toBe(true);
    m.dispose();
    expect(memory().bytes).toBe(before);
  });

  test('a replayed step follows setWeights and a layer shared with another model', () => {
    const build = (runEagerly: boolean) => {
      setSeed(3);
      const shared = layers.dense({ units: 4, activation: 'tanh' });
      const x1 = input({ shape: [2] }), x2 = input({ shape: [2] });
      const a = model({ inputs: x1, outputs: layers.dense({ units: 1, activation: 'sigmoid' }).apply(shared.apply(x1) as SymbolicTensor) as SymbolicTensor });
      const b = model({ inputs: x2, outputs: layers.dense({ units: 2, activation: 'linear' }).apply(shared.apply(x2) as SymbolicTensor) as SymbolicTensor });
      a.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'binaryCrossentropy', runEagerly });
      b.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError', runEagerly });
      const r = rng(5);
      for (let i = 0; i < 20; i++) {
        const x = { data: Float32Array.from({ length: 16 }, () => r() - 0.5), shape: [8, 2] };
        a.trainOnBatch(x, { data: Float32Array.from({ length: 8 }, () => (r() < 0.5 ? 0 : 1)), shape: [8, 1] });
        b.trainOnBatch(x, { data: Float32Array.from({ length: 16 }, () => r()), shape: [8, 2] });
        if (i === 10) a.setWeights(a.getWeights().map((w) => w.map((v) => v * 0.5)));
      }
      return [a, b];
    };
    const eager = build(true), replayed = build(false);
    expect(replayed.map(cached)).toEqual([true, true]);
    expect(replayed.map(bitsOf)).toEqual(eager.map(bitsOf));
    for (const m of [...eager, ...replayed]) m.dispose();
  });

  test('bad data at a replayed step is refused and leaves the model as it was', () => {
    const { m } = run(CASES[0]!, false, [10, 10]);
    expect(cached(m)).toBe(true);
    const weights = bitsOf(m), bytes = memory().bytes;
    const x = new Float32Array(20).fill(0.5);
    x[7] = NaN;
    const call = () => m.trainOnBatch({ data: x, shape: [10, 2] }, { data: new Float32Array(10).fill(1), shape: [10, 1] });
    expect(call).toThrow(WasmgradError);
    expect(call).toThrow(/x holds NaN at sample 3, element 1/);
    expect(() => m.trainOnBatch({ data: new Float32Array(20), shape: [10, 2] }, { data: new Float32Array(20), shape: [10, 2] })).toThrow(/must have shape \[n, 1\]/);
    expect(bitsOf(m)).toEqual(weights);
    expect(memory().bytes).toBe(bytes);
    m.dispose();
    expect(() => m.trainOnBatch({ data: new Float32Array(20), shape: [10, 2] }, { data: new Float32Array(10), shape: [10, 1] })).toThrow(/disposed/);
  });

  test('runEagerly must be a boolean', () => {
    const m = mlp([2], 'tanh', { units: 1, activation: 'sigmoid' });
    expect(() => m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', runEagerly: 1 as never })).toThrow(/compile: runEagerly must be true or false, got 1/);
    m.dispose();
  });
});
