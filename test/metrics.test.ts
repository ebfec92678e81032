// Metrics: precision, recall, F1 (binary and macro), mae, mse and the confusion matrix, against
// values computed here from the same predictions; evaluate and fit report them.
import { describe, expect, test } from 'vitest';
import { WasmgradError, layers, memory, metrics, sequential } from '../src/index.js';
import { randArray, rng } from './helpers.js';

// A model whose output is softmax(x) (or sigmoid(x) for one unit), so the predictions are chosen by x.
function passThrough(units: number, loss: string, names: string[]) {
  const model = sequential([layers.dense({ units, inputShape: [units], activation: units === 1 ? 'sigmoid' : 'softmax', useBias: false })]);
  model.setWeights([Float32Array.from({ length: units * units }, (_, i) => (i % (units + 1) === 0 ? 1 : 0))]);
  model.compile({ optimizer: 'sgd', loss: loss as never, metrics: names as never });
  return model;
}

// Reference per-class precision / recall / F1 from labels (0 where undefined).
function reference(truth: number[], predicted: number[], classes: number) {
  const per = Array.from({ length: classes }, (_, c) => {
    const tp = truth.filter((t, i) => t === c && predicted[i] === c).length;
    const pp = predicted.filter((p) => p === c).length, ap = truth.filter((t) => t === c).length;
    const p = pp ? tp / pp : 0, r = ap ? tp / ap : 0;
    return { p, r, f: p + r ? 2 * p * r / (p + r) : 0 };
  });
  const mean = (k: 'p' | 'r' | 'f') => per.reduce((s, x) => s + x[k], 0) / classes;
  return { per, precision: mean('p'), recall: mean('r'), f1: mean('f') };
}

describe('classification metrics', () => {
  test('categorical: macro precision, recall and F1 over 4 classes, in evaluate and fit', async () => {
    const n = 203, classes = 4, r = rng(5);
    const truth = Array.from({ length: n }, () => Math.floor(r() * classes));
    // Right about 60% of the time, and never predicting class 3 (its precision is 0 by convention).
    const predicted = truth.map((t) => (r() < 0.6 && t !== 3 ? t : Math.floor(r() * 3)));
    const x = predicted.map((p) => Array.from({ length: classes }, (_, c) => (c === p ? 3 : r())));
    const y = truth.map((t) => Array.from({ length: classes }, (_, c) => (c === t ? 1 : 0)));
    const want = reference(truth, predicted, classes);
    expect(want.per[3]!.p).toBe(0);
    const model = passThrough(classes, 'categoricalCrossentropy', ['accuracy', 'precision', 'recall', 'f1']);
    const logs = model.evaluate(x, y, { batchSize: 16 });
    expect(logs.accuracy).toBeCloseTo(truth.filter((t, i) => t === predicted[i]).length / n, 12);
    expect(logs.precision).toBeCloseTo(want.precision, 12);
    expect(logs.recall).toBeCloseTo(want.recall, 12);
    expect(logs.f1).toBeCloseTo(want.f1, 12);
    const h = await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, validationData: [x, y], seed: 1 });
    expect(Object.keys(h.history).sort()).toEqual(['accuracy', 'f1', 'loss', 'precision', 'recall', 'val_accuracy', 'val_f1', 'val_loss', 'val_precision', 'val_recall']);
    model.dispose();
  });

  test('sparse labels give the same figures as one-hot targets', () => {
    const n = 50, classes = 3, r = rng(8);
    const truth = Array.from({ length: n }, () => Math.floor(r() * classes));
    const x = truth.map(() => Array.from({ length: classes }, () => r()));
    const predicted = x.map((row) => row.indexOf(Math.max(...row)));
    const want = reference(truth, predicted, classes);
    const model = passThrough(classes, 'sparseCategoricalCrossentropy', ['precision', 'recall', 'f1']);
    const logs = model.evaluate(x, truth, { batchSize: 7 });
    expect(logs.precision).toBeCloseTo(want.precision, 12);
    expect(logs.recall).toBeCloseTo(want.recall, 12);
    expect(logs.f1).toBeCloseTo(want.f1, 12);
    model.dispose();
  });

  test('binary: precision, recall and F1 of the positive class at threshold 0.5', () => {
    const n = 97, r = rng(11);
    const truth = Array.from({ length: n }, () => (r() < 0.4 ? 1 : 0));
    const logits = truth.map((t) => (r() < 0.7 ? (t ? 1 : -1) : (r() - 0.5) * 4));
    const predicted = logits.map((z) => (1 / (1 + Math.exp(-z)) >= 0.5 ? 1 : 0));
    const want = reference(truth, predicted, 2).per[1]!;
    const model = passThrough(1, 'binaryCrossentropy', ['precision', 'recall', 'f1']);
    const logs = model.evaluate(logits.map((z) => [z]), truth, { batchSize: 10 });
    expect(logs.precision).toBeCloseTo(want.p, 12);
    expect(logs.recall).toBeCloseTo(want.r, 12);
    expect(logs.f1).toBeCloseTo(want.f, 12);
    model.dispose();
  });
});

describe('regression metrics', () => {
  test('mae and mse are the means over every output', () => {
    const n = 41, units = 3;
    const x = randArray(n * units, 1, -3, 3), y = randArray(n * units, 2, -3, 3);
    const model = sequential([layers.dense({ units, inputShape: [units], useBias: false })]);
    model.setWeights([Float32Array.from({ length: 9 }, (_, i) => (i % 4 === 0 ? 1 : 0))]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mae', 'mse'] });
    const logs = model.evaluate({ data: x, shape: [n, units] }, { data: y, shape: [n, units] }, { batchSize: 8 });
    let a = 0, s = 0;
    for (let i = 0; i < x.length; i++) { a += Math.abs(x[i]! - y[i]!); s += (x[i]! - y[i]!) ** 2; }
    expect(logs.mae).toBeCloseTo(a / x.length, 6);
    expect(logs.mse).toBeCloseTo(s / x.length, 6);
    expect(logs.loss).toBeCloseTo(s / x.length, 5);
    model.dispose();
  });

  test('mae with sparse labels is refused with a clear error', () => {
    const model = sequential([layers.dense({ units: 3, inputShape: [2] })]);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['mae'] })).toThrow(/same shape/);
    model.dispose();
  });
});

describe('metrics.confusionMatrix', () => {
  test('from labels, one-hot rows or scores; rows are the true class', () => {
    expect(metrics.confusionMatrix([0, 1, 2, 2, 1], [0, 2, 2, 2, 1])).toEqual([[1, 0, 0], [0, 1, 1], [0, 0, 2]]);
    const scores = [[0.9, 0.1, 0], [0.2, 0.3, 0.5], [0, 0, 1], [0.1, 0.8, 0.1], [0.3, 0.4, 0.3]];
    const oneHot = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [0, 1, 0]];
    expect(metrics.confusionMatrix(oneHot, scores)).toEqual([[1, 0, 0], [0, 1, 1], [0, 1, 1]]);
    expect(metrics.confusionMatrix([0, 1], [1, 1], 4)).toEqual([[0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
  });

  test('rejects labels out of range and mismatched lengths, and frees what it made', () => {
    const before = memory();
    expect(() => metrics.confusionMatrix([0, 3], [0, 1], 3)).toThrow(WasmgradError);
    expect(() => metrics.confusionMatrix([0, 3], [0, 1], 3)).toThrow(/yTrue\[1\] is 3/);
    expect(() => metrics.confusionMatrix([0, 1.5], [0, 1])).toThrow(/integers/);
    expect(() => metrics.confusionMatrix([0, 1, 1], [0, 1])).toThrow(/3 samples but yPred has 2/);
    const after = memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });
});
