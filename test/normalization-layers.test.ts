// batchNormalization and layerNormalization in models: moving statistics, inference, parameters
// the optimizer leaves alone, saving, and no arena growth with every regularizer on.
import { describe, expect, test } from 'vitest';
import { Tensor, fromArtifacts, layers, memory, optimizers, sequential } from '../src/index.js';
import { expectClose, randArray } from './helpers.js';

/** summary()'s printFn that prints nothing. */
const quiet = { printFn: () => {} };

describe('layers.batchNormalization', () => {
  test('fit updates the moving statistics; predict normalizes with them; the optimizer never touches them', async () => {
    const n = 64, f = 3;
    const x = randArray(n * f, 1, 2, 6); // mean 4, variance 4/3
    const y = randArray(n * f, 2);
    const model = sequential([layers.batchNormalization({ inputShape: [f], momentum: 0.5 })]);
    model.compile({ optimizer: optimizers.adamw({ learningRate: 0.01, weightDecay: 0.5 }), loss: 'meanSquaredError' });
    expect(model.countParams()).toBe(12);
    expect(model.countTrainableParams()).toBe(6);
    expect(model.summary(quiet)).toContain('Non-trainable params: 6');
    await model.fit({ data: x, shape: [n, f] }, { data: y, shape: [n, f] }, { epochs: 10, batchSize: n, shuffle: false, verbose: 0 });
    const [gamma, beta, movingMean, movingVar] = model.getWeights() as [Float32Array, Float32Array, Float32Array, Float32Array];
    for (let c = 0; c < f; c++) {
      const col = Array.from({ length: n }, (_, r) => x[r * f + c]!);
      const m = col.reduce((a, b) => a + b, 0) / n, v = col.reduce((a, b) => a + (b - m) ** 2, 0) / n;
      // Ten updates with momentum 0.5 from (0, 1): moving = batch·(1 - 0.5^10) + start·0.5^10.
      expect(movingMean[c]).toBeCloseTo(m * (1 - 0.5 ** 10), 4);
      expect(movingVar[c]).toBeCloseTo(v * (1 - 0.5 ** 10) + 0.5 ** 10, 4);
    }
    const pred = model.predict({ data: x, shape: [n, f] });
    expectClose(pred.toArray(), Array.from(x, (v, i) => gamma[i % f]! * (v - movingMean[i % f]!) / Math.sqrt(movingVar[i % f]! + 1e-3) + beta[i % f]!), 1e-5, 1e-5);
    pred.dispose();
    const loaded = fromArtifacts(model.toArtifacts({ includeOptimizer: true }));
    expect(loaded.getWeights()).toEqual(model.getWeights());
    model.dispose();
    loaded.dispose();
  });

  test('after conv2d it normalizes each channel over batch, height and width', async () => {
    const model = sequential([
      layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [6, 6, 2] }),
      layers.batchNormalization(),
      layers.flatten(),
      layers.dense({ units: 2, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const n = 32, x = randArray(n * 72, 3), y = Array.from({ length: n }, (_, i) => (x[i * 72]! > 0 ? [1, 0] : [0, 1]));
    const h = await model.fit({ data: x, shape: [n, 6, 6, 2] }, y, { epochs: 30, batchSize: 8, seed: 1, verbose: 0 });
    expect(h.history.loss!.at(-1)!).toBeLessThan(h.history.loss![0]! / 2);
    expect(model.getWeights()[3]!.length).toBe(4);
    model.dispose();
  });
});

describe('layers.layerNormalization', () => {
  test('in an MLP it trains, saves and loads', async () => {
    const model = sequential([
      layers.dense({ units: 16, inputShape: [4] }),
      layers.layerNormalization(),
      layers.dense({ units: 8, activation: 'tanh' }),
      layers.dense({ units: 1, activation: 'sigmoid' }),
    ]);
    model.compile({ optimizer: optimizers.adam({ learningRate: 0.02 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const n = 64, x = randArray(n * 4, 7), y = Array.from({ length: n }, (_, i) => (x[i * 4]! * x[i * 4 + 1]! > 0 ? 1 : 0));
    const h = await model.fit({ data: x, shape: [n, 4] }, y, { epochs: 150, batchSize: 16, seed: 2, verbose: 0 });
    expect(h.history.accuracy!.at(-1)!).toBeGreaterThan(0.9);
    const loaded = fromArtifacts(model.toArtifacts());
    const a = model.predict({ data: x, shape: [n, 4] }), b = loaded.predict({ data: x, shape: [n, 4] }) as Tensor;
    expect(b.toArray()).toEqual(a.toArray());
    a.dispose();
    b.dispose();
    model.dispose();
    loaded.dispose();
  });
});

test('no arena growth over 1,000 steps with dropout, batch norm, AdamW and clipping all on', async () => {
  const model = sequential([
    layers.dense({ units: 32, inputShape: [8], activation: 'relu', kernelRegularizer: { l1: 0, l2: 1e-4 } }),
    layers.batchNormalization(),
    layers.dropout({ rate: 0.3 }),
    layers.dense({ units: 16, activation: 'relu' }),
    layers.layerNormalization(),
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: optimizers.adamw({ learningRate: 0.003, weightDecay: 0.01, globalClipNorm: 1 }), loss: 'categoricalCrossentropy', metrics: ['accuracy', 'f1'] });
  const n = 100, x = randArray(n * 8, 9), y = Array.from({ length: n }, (_, i) => [0, 1, 2].map((c) => (Math.floor((x[i * 8]! + 1) * 1.5) === c ? 1 : 0)));
  const seen: { step: number; tensors: number; bytes: number; arena: number }[] = [];
  let step = 0;
  await model.fit({ data: x, shape: [n, 8] }, y, {
    epochs: 125, batchSize: 10, seed: 4, verbose: 0, validationSplit: 0.2, checkNumerics: false,
    callbacks: { onBatchEnd: () => {
      step++;
      if (step === 10 || step === 1000) {
        const m = memory();
        seen.push({ step, tensors: m.tensors, bytes: m.bytes, arena: m.arenaBytes });
      }
    } },
  });
  expect(step).toBe(1000);
  expect(seen[1]!.tensors).toBe(seen[0]!.tensors);
  expect(seen[1]!.bytes).toBe(seen[0]!.bytes);
  expect(seen[1]!.arena).toBe(seen[0]!.arena);
  model.dispose();
});
