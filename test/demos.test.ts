// What makes deep networks train, shown rather than asserted in the abstract: each test trains a
// small network both ways and checks the difference the technique makes. The figures are printed
// (and quoted in the README and issue notes).
import { describe, expect, test } from 'vitest';
import { layers, optimizers, regularizers, sequential, type Layer } from '../src/index.js';
import { randArray, rng } from './helpers.js';

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((a, b) => a + b * b, 0));

test('batch, stochastic and mini-batch gradient descent all converge on one regression', async () => {
  const n = 64, f = 4, x = randArray(n * f, 1), noise = randArray(n, 2, -0.05, 0.05);
  const w = [1.5, -2, 0.5, 3];
  const y = Array.from({ length: n }, (_, i) => [w.reduce((s, wj, j) => s + wj * x[i * f + j]!, 0.7) + noise[i]!]);
  const runs = [
    { name: 'batch (64)', batchSize: 64, learningRate: 0.3, epochs: 300 },
    { name: 'stochastic (1)', batchSize: 1, learningRate: 0.02, epochs: 20 },
    { name: 'mini-batch (8)', batchSize: 8, learningRate: 0.1, epochs: 40 },
  ];
  const lines: string[] = [];
  for (const r of runs) {
    const model = sequential([layers.dense({ units: 1, inputShape: [f] })]);
    model.compile({ optimizer: optimizers.sgd({ learningRate: r.learningRate }), loss: 'meanSquaredError' });
    const h = await model.fit({ data: x, shape: [n, f] }, y, { epochs: r.epochs, batchSize: r.batchSize, seed: 1, verbose: 0 });
    const loss = h.history.loss!.at(-1)!, steps = r.epochs * Math.ceil(n / r.batchSize);
    lines.push(`${r.name}: ${steps} steps, loss ${loss.toExponential(2)}`);
    expect(loss).toBeLessThan(2e-3); // the noise alone gives ~8e-4
    const [kernel] = model.getWeights();
    Array.from(kernel!).forEach((v, j) => expect(v).toBeCloseTo(w[j]!, 1));
    model.dispose();
  }
  console.log(`gradient descent: ${lines.join('; ')}`);
});

describe('initialization', () => {
  test('vanishing gradients: 10 sigmoid layers get first-layer gradients orders of magnitude below ReLU + He', async () => {
    const n = 64, f = 16, x = randArray(n * f, 3), y = randArray(n, 4);
    const firstLayerGradNorm = async (activation: 'sigmoid' | 'relu', kernelInitializer: 'glorotUniform' | 'heNormal') => {
      const stack: Layer[] = [layers.dense({ units: 32, activation, kernelInitializer, inputShape: [f] })];
      for (let i = 1; i < 10; i++) stack.push(layers.dense({ units: 32, activation, kernelInitializer }));
      stack.push(layers.dense({ units: 1 }));
      const model = sequential(stack);
      model.compile({ optimizer: optimizers.sgd({ learningRate: 1e-12 }), loss: 'meanSquaredError' });
      await model.fit({ data: x, shape: [n, f] }, { data: y, shape: [n] }, { epochs: 1, batchSize: n, seed: 5, verbose: 0 });
      const first = norm(model.layers[0]!.weights[0]!.grad!.toArray()), last = norm(model.layers[10]!.weights[0]!.grad!.toArray());
      model.dispose();
      return { first, last };
    };
    const sig = await firstLayerGradNorm('sigmoid', 'glorotUniform'), relu = await firstLayerGradNorm('relu', 'heNormal');
    const ratio = relu.first / sig.first;
    console.log(`vanishing gradients: first-layer gradient norm sigmoid ${sig.first.toExponential(2)} (last layer ${sig.last.toExponential(2)}), ReLU + He ${relu.first.toExponential(2)} (last ${relu.last.toExponential(2)}): ratio ${ratio.toExponential(2)}`);
    expect(ratio).toBeGreaterThan(1e3);
    expect(sig.first / sig.last).toBeLessThan(1e-3);
  });

  test('all-zero initialization never breaks the symmetry: hidden units stay identical', async () => {
    const n = 32, x = randArray(n * 3, 6), y = Array.from({ length: n }, (_, i) => [Math.sin(3 * x[i * 3]!) + x[i * 3 + 1]! * x[i * 3 + 2]!]);
    const train = async (kernelInitializer: 'zeros' | 'glorotUniform') => {
      const model = sequential([layers.dense({ units: 8, activation: 'sigmoid', kernelInitializer, inputShape: [3] }), layers.dense({ units: 1, kernelInitializer })]);
      model.compile({ optimizer: optimizers.sgd({ learningRate: 0.5 }), loss: 'meanSquaredError' });
      const h = await model.fit({ data: x, shape: [n, 3] }, y, { epochs: 200, batchSize: 8, seed: 1, verbose: 0 });
      const k = model.getWeights()[0]!; // [3, 8]
      // Largest difference between any hidden unit's incoming weights and unit 0's.
      let spread = 0;
      for (let i = 0; i < 3; i++) for (let u = 1; u < 8; u++) spread = Math.max(spread, Math.abs(k[i * 8 + u]! - k[i * 8]!));
      model.dispose();
      return { spread, moved: norm(k), loss: h.history.loss!.at(-1)! };
    };
    const zeros = await train('zeros'), glorot = await train('glorotUniform');
    console.log(`symmetry: zeros init spread ${zeros.spread.toExponential(2)} (weights moved to norm ${zeros.moved.toFixed(3)}, loss ${zeros.loss.toFixed(4)}); glorot spread ${glorot.spread.toFixed(3)} (loss ${glorot.loss.toFixed(4)})`);
    expect(zeros.moved).toBeGreaterThan(0.01);
    expect(zeros.spread).toBeLessThan(1e-6 * zeros.moved);
    expect(glorot.spread).toBeGreaterThan(0.1);
  });
});

test('dropout narrows the gap between training and validation loss on a small overfitting task', async () => {
  // 40 training points of a disc in 2 of 10 dimensions, learned by a 128-128 ReLU net.
  const f = 10;
  const make = (count: number, seed: number) => {
    const x = randArray(count * f, seed);
    const y = Array.from({ length: count }, (_, i) => [x[i * f]! ** 2 + x[i * f + 1]! ** 2 < 0.5 ? 1 : 0]);
    return { x: { data: x, shape: [count, f] }, y };
  };
  const tr = make(40, 10), va = make(400, 11);
  const gap = async (inputRate: number, rate: number) => {
    const model = sequential([
      layers.dropout({ rate: inputRate, inputShape: [f] }),
      layers.dense({ units: 128, activation: 'relu' }),
      layers.dropout({ rate }),
      layers.dense({ units: 128, activation: 'relu' }),
      layers.dropout({ rate }),
      layers.dense({ units: 1, activation: 'sigmoid' }),
    ]);
    model.compile({ optimizer: optimizers.adam({ learningRate: 0.003 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    await model.fit(tr.x, tr.y, { epochs: 150, batchSize: 16, seed: 2, verbose: 0 });
    const train = model.evaluate(tr.x, tr.y), val = model.evaluate(va.x, va.y);
    model.dispose();
    return { train, val, gap: val.loss! - train.loss! };
  };
  const plain = await gap(0, 0), dropped = await gap(0.2, 0.5);
  const fmt = (r: typeof plain) => `train loss ${r.train.loss!.toFixed(3)}, val loss ${r.val.loss!.toFixed(3)} (gap ${r.gap.toFixed(3)}), val accuracy ${r.val.accuracy!.toFixed(3)}`;
  console.log(`dropout: without, ${fmt(plain)}; with 0.2 on inputs and 0.5 on hidden layers, ${fmt(dropped)}`);
  expect(dropped.gap).toBeLessThan(0.6 * plain.gap);
  expect(dropped.val.loss!).toBeLessThan(plain.val.loss!);
});

test('batch normalization trains a deep sigmoid network that does not train without it', async () => {
  const n = 256, f = 8, x = randArray(n * f, 12);
  const y = Array.from({ length: n }, (_, i) => [0, 1, 2].map((c) => (((x[i * f]! > 0 ? 1 : 0) + (x[i * f + 1]! > 0 ? 1 : 0)) === c ? 1 : 0)));
  const train = async (bn: boolean) => {
    // 8 hidden layers: dense → sigmoid, or dense → batch norm → sigmoid.
    const stack: Layer[] = [];
    for (let i = 0; i < 8; i++) {
      stack.push(layers.dense({ units: 32, ...(i === 0 ? { inputShape: [f] } : {}) }));
      if (bn) stack.push(layers.batchNormalization());
      stack.push(layers.activation({ activation: 'sigmoid' }));
    }
    stack.push(layers.dense({ units: 3, activation: 'softmax' }));
    const model = sequential(stack);
    model.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit({ data: x, shape: [n, f] }, y, { epochs: 30, batchSize: 16, seed: 3, verbose: 0 });
    model.dispose();
    return { acc: h.history.accuracy!.at(-1)!, loss: h.history.loss!.at(-1)! };
  };
  const plain = await train(false), normed = await train(true);
  console.log(`batch norm: 8 sigmoid layers, SGD 0.1, 30 epochs: without accuracy ${plain.acc.toFixed(3)} (loss ${plain.loss.toFixed(3)}), with ${normed.acc.toFixed(3)} (loss ${normed.loss.toFixed(3)})`);
  expect(plain.acc).toBeLessThan(0.55);
  expect(normed.acc).toBeGreaterThan(0.85);
});

test('AdamW decays weights decoupled from the gradient; L2 in the loss goes through Adam\'s normalization', async () => {
  // One dense unit; feature 1 is always 0, so its weight gets no gradient from the data: only decay moves it.
  const n = 16, x = Array.from({ length: n }, (_, i) => [Math.sin(i), 0]), y = x.map(([a]) => [2 * a!]);
  const lr = 0.01, decay = 0.05, steps = 50;
  const run = async (adamw: boolean) => {
    const model = sequential([layers.dense({ units: 1, inputShape: [2], useBias: false, ...(adamw ? {} : { kernelRegularizer: regularizers.l2({ l2: decay / 2 }) }) })]);
    model.setWeights([new Float32Array([0.5, 1])]);
    model.compile({ optimizer: adamw ? optimizers.adamw({ learningRate: lr, weightDecay: decay }) : optimizers.adam({ learningRate: lr }), loss: 'meanSquaredError' });
    await model.fit(x, y, { epochs: steps, batchSize: n, verbose: 0 });
    const w = model.getWeights()[0]!;
    model.dispose();
    return w[1]!;
  };
  const decoupled = await run(true), l2 = await run(false);
  console.log(`AdamW vs L2: the idle weight went 1 → ${decoupled.toFixed(5)} with AdamW (expected (1 - lr·wd)^${steps} = ${((1 - lr * decay) ** steps).toFixed(5)}), 1 → ${l2.toFixed(5)} with Adam + L2`);
  // AdamW: w ← w - lr·wd·w each step, whatever the gradient: exactly geometric.
  expect(decoupled).toBeCloseTo((1 - lr * decay) ** steps, 5);
  // Adam + L2: the penalty's gradient is normalized by its own RMS, so the weight moves ~lr per step
  // (as if the gradient were ±1) whatever the coefficient: ~20x faster here than the decoupled lr·wd·w.
  expect(1 - l2).toBeGreaterThan(0.9 * lr * steps);
  expect(1 - l2).toBeGreaterThan(10 * (1 - decoupled));
});
