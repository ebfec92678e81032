// Scalers against float64 references, train/test splits, fit on host data larger than the arena
// budget (copied a batch at a time), and scalers saved with a model.
import { describe, expect, test } from 'vitest';
import {
  Tensor, WasmgradError, data, fromArtifacts, layers, memory, optimizers, preprocessing, sequential, tensor,
} from '../src/index.js';
import { heap } from '../src/wasm.js';
import { expectClose, randArray } from './helpers.js';

function columns(x: Float32Array, cols: number): number[][] {
  return Array.from({ length: cols }, (_, c) => Array.from({ length: x.length / cols }, (_, r) => x[r * cols + c]!));
}

describe('preprocessing.standardScaler', () => {
  for (const cols of [1, 3, 4, 5, 8, 17]) {
    test(`learns population mean and std, transforms and inverts, ${cols} features`, () => {
      const rows = 23, x = randArray(rows * cols, cols, -5, 20);
      const s = preprocessing.standardScaler().fit({ data: x, shape: [rows, cols] });
      const { center, scale } = s.getState();
      const ref = columns(x, cols).map((v) => {
        const m = v.reduce((a, b) => a + b, 0) / v.length;
        return { m, sd: Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length) };
      });
      expectClose(center, ref.map((r) => r.m), 1e-6, 1e-6);
      expectClose(scale, ref.map((r) => r.sd), 1e-6, 1e-6);
      const t = s.transform({ data: x, shape: [rows, cols] });
      expectClose(t.toArray(), Array.from(x, (v, i) => (v - ref[i % cols]!.m) / ref[i % cols]!.sd), 1e-5, 1e-5);
      const back = s.inverseTransform(t);
      expectClose(back.toArray(), x, 1e-5, 1e-4);
      t.dispose();
      back.dispose();
    });
  }

  test('a constant feature is only centered; the state is JSON that restores the scaler', () => {
    const x = [[1, 5], [2, 5], [3, 5]];
    const s = preprocessing.standardScaler().fit(x);
    const restored = preprocessing.fromState(JSON.parse(JSON.stringify(s.getState())));
    const t = restored.transform(x);
    expectClose(t.toArray(), [-1.2247449, 0, 0, 0, 1.2247449, 0], 1e-6, 1e-6);
    t.dispose();
  });

  test('clear errors: not fitted, wrong feature count, bad state; nothing leaks', () => {
    const before = memory();
    expect(() => preprocessing.standardScaler().transform([[1]])).toThrow(/call fit\(x\) first/);
    const s = preprocessing.standardScaler().fit([[1, 2], [3, 4]]);
    expect(() => s.transform([[1, 2, 3]])).toThrow(WasmgradError);
    expect(() => s.transform([[1, 2, 3]])).toThrow(/3 features .* fit on 2/);
    expect(() => preprocessing.fromState({ kind: 'standardScaler', center: [0], scale: [0] })).toThrow(/scale nonzero/);
    expect(() => s.fit([[1, NaN]])).toThrow(/NaN/);
    expect(memory().bytes).toBe(before.bytes);
    expect(memory().tensors).toBe(before.tensors);
  });
});

describe('preprocessing.minMaxScaler', () => {
  test('maps each feature onto featureRange and back', () => {
    const rows = 31, cols = 5, x = randArray(rows * cols, 3, -7, 9);
    const s = preprocessing.minMaxScaler({ featureRange: [-1, 1] }).fit({ data: x, shape: [rows, cols] });
    const t = s.transform({ data: x, shape: [rows, cols] });
    const ref = columns(x, cols).map((v) => ({ lo: Math.min(...v), hi: Math.max(...v) }));
    expectClose(t.toArray(), Array.from(x, (v, i) => -1 + 2 * (v - ref[i % cols]!.lo) / (ref[i % cols]!.hi - ref[i % cols]!.lo)), 1e-5, 1e-5);
    for (const col of columns(t.toArray(), cols)) {
      expect(Math.min(...col)).toBeCloseTo(-1, 5);
      expect(Math.max(...col)).toBeCloseTo(1, 5);
    }
    const back = s.inverseTransform(t);
    expectClose(back.toArray(), x, 1e-5, 1e-4);
    t.dispose();
    back.dispose();
    expect(() => preprocessing.minMaxScaler({ featureRange: [1, 1] })).toThrow(/min < max/);
  });
});

describe('data.trainTestSplit', () => {
  test('splits ⌈testSize·n⌉ samples off, keeps x and y rows paired, and is fixed by the seed', () => {
    const n = 50;
    const x = Array.from({ length: n }, (_, i) => [i, -i]), y = Array.from({ length: n }, (_, i) => i * 10);
    const a = data.trainTestSplit(x, y, { testSize: 0.3, seed: 7 });
    expect(a.xTrain.shape).toEqual([35, 2]);
    expect(a.xTest.shape).toEqual([15, 2]);
    expect(a.yTest.shape).toEqual([15]);
    const xs = [...a.xTrain.toArray(), ...a.xTest.toArray()], ys = [...a.yTrain.toArray(), ...a.yTest.toArray()];
    for (let i = 0; i < n; i++) {
      expect(xs[2 * i + 1]).toBe(-xs[2 * i]!);
      expect(ys[i]).toBe(xs[2 * i]! * 10);
    }
    expect([...ys].sort((p, q) => p - q)).toEqual(y);
    expect(ys).not.toEqual(y); // shuffled
    const b = data.trainTestSplit(x, y, { testSize: 0.3, seed: 7 });
    expect(b.yTest.toArray()).toEqual(a.yTest.toArray());
    const c = data.trainTestSplit(x, y, { testSize: 10, shuffle: false });
    expect(Array.from(c.yTest.toArray())).toEqual(y.slice(40));
    for (const t of [a, b, c].flatMap((s) => Object.values(s) as Tensor[])) t.dispose();
    expect(() => data.trainTestSplit(x, y, { testSize: 0 })).toThrow(/testSize 0/);
    expect(() => data.trainTestSplit(x, y.slice(1))).toThrow(/50 samples but y has 49/);
  });
});

describe('fit on host data larger than the arena budget', () => {
  test('copies one batch at a time, and trains exactly as from a tensor', async () => {
    const n = 4096, features = 1024; // 16 MiB of x
    const x = randArray(n * features, 21), w = randArray(features, 22);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < features; j++) s += x[i * features + j]! * w[j]!; y[i] = s > 0 ? 1 : 0; }
    const make = () => {
      const m = sequential([layers.dense({ units: 1, inputShape: [features], activation: 'sigmoid' })]);
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const arena = heap();
    const limit = (arena as unknown as { limit: number }).limit;
    const streamed = make();
    let fromTensor: ReturnType<typeof make> | null = null;
    try {
      // Allow the arena only 8 MiB more than it has now: x cannot go in, batches can.
      arena.setLimit(memory().arenaBytes + 8 * 2 ** 20);
      expect(() => tensor(x, [n, features])).toThrow(RangeError);
      const h = await streamed.fit({ data: x, shape: [n, features] }, { data: y, shape: [n] }, { epochs: 2, batchSize: 64, seed: 3, verbose: 0, validationSplit: 0.25 });
      expect(h.history.accuracy!.at(-1)).toBeGreaterThan(0.8);
      const ev = streamed.evaluate({ data: x, shape: [n, features] }, { data: y, shape: [n] }, { batchSize: 256 });
      expect(ev.loss).toBeLessThan(h.history.loss![0]!);
    } finally {
      arena.setLimit(limit);
    }
    fromTensor = make();
    const xt = tensor(x, [n, features]), yt = tensor(y, [n]);
    const h2 = await fromTensor.fit(xt, yt, { epochs: 2, batchSize: 64, seed: 3, verbose: 0, validationSplit: 0.25 });
    expect(fromTensor.getWeights()).toEqual(streamed.getWeights());
    expect(h2.history.val_loss).toBeDefined();
    xt.dispose();
    yt.dispose();
    streamed.dispose();
    fromTensor.dispose();
  });

  test('finds a bad value or label anywhere in host data before the first step', async () => {
    const n = 3000, x = randArray(n * 200, 5), y = new Float32Array(n);
    x[2999 * 200 + 7] = NaN;
    const m = sequential([layers.dense({ units: 3, inputShape: [200], activation: 'softmax' })]);
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(m.fit({ data: x, shape: [n, 200] }, { data: y, shape: [n] }, { verbose: 0 })).rejects.toThrow(/sample 2999, element 7/);
    x[2999 * 200 + 7] = 0;
    y[2500] = 3;
    await expect(m.fit({ data: x, shape: [n, 200] }, { data: y, shape: [n] }, { verbose: 0 })).rejects.toThrow(/holds 3 at sample 2500/);
    m.dispose();
  });
});

describe('scalers saved with the model', () => {
  test('model.scalers go into the topology and come back from loadModel', () => {
    const m = sequential([layers.dense({ units: 2, inputShape: [3] })]);
    m.scalers.x = preprocessing.standardScaler().fit([[1, 2, 3], [3, 6, 9], [5, 1, 0]]);
    const loaded = fromArtifacts(m.toArtifacts());
    expect(loaded.scalers.x!.getState()).toEqual(m.scalers.x.getState());
    const bad = m.toArtifacts();
    bad.topology = bad.topology.replace('"standardScaler"', '"robustScaler"');
    expect(() => fromArtifacts(bad)).toThrow(/scalers.x/);
    m.dispose();
    loaded.dispose();
  });
});
