import { describe, expect, test } from 'vitest';
import {
  binaryCrossentropy, categoricalCrossentropy, hinge, huber, layers, meanAbsoluteError, meanSquaredError, optimizers, sequential,
  sigmoidCrossEntropy, softmaxCrossEntropy, tensor, tidy,
} from '../../src/index.js';
import { expectClose, gradcheck, randArray } from '../helpers.js';
import * as ref from '../ref.js';

function oneHotRows(rows: number, cols: number, seed: number): Float32Array {
  const t = new Float32Array(rows * cols);
  const r = randArray(rows, seed, 0, cols);
  for (let i = 0; i < rows; i++) t[i * cols + Math.floor(r[i]!)] = 1;
  return t;
}

describe('losses against float64 references', () => {
  for (const [rows, cols] of [[1, 1], [3, 4], [5, 3], [4, 17]] as const) {
    const n = rows * cols;
    test(`meanSquaredError [${rows}, ${cols}]`, () => tidy(() => {
      const p = randArray(n, 1), t = randArray(n, 2);
      expectClose(meanSquaredError(tensor(p, [rows, cols]), tensor(t, [rows, cols])).toArray(), ref.mse(Float64Array.from(p), Float64Array.from(t)));
      gradcheck((a, b) => meanSquaredError(a!, b!), (a, b) => ref.mse(a!, b!), [{ data: p, shape: [rows, cols] }, { data: t, shape: [rows, cols] }], { check: [true, false] });
    }));

    test(`meanAbsoluteError, huber and hinge [${rows}, ${cols}]`, () => tidy(() => {
      // Inputs kept away from the kinks (|p - t| = 0 or δ, t·p = 1), where central differences straddle two slopes.
      const p = randArray(n, 7, -3, 3).map((v) => (Math.abs(Math.abs(v) - 1) < 0.05 ? v + 0.2 : v));
      const t = randArray(n, 8, 0, 1).map(Math.round);
      const shape = [rows, cols];
      for (const [op, reference] of [[meanAbsoluteError, ref.mae], [huber, ref.huber], [hinge, ref.hinge]] as const) {
        expectClose(op(tensor(p, shape), tensor(t, shape)).toArray(), reference(Float64Array.from(p), Float64Array.from(t)), 1e-5, 1e-6);
        gradcheck((a, b) => op(a!, b!), (a, b) => reference(a!, b!), [{ data: p, shape }, { data: t, shape }], { check: [true, false] });
      }
    }));

    test(`categoricalCrossentropy [${rows}, ${cols}] on probabilities and fused from logits`, () => tidy(() => {
      const logits = randArray(n, 3, -3, 3), t = oneHotRows(rows, cols, 4);
      const p = Float32Array.from(ref.softmax(Float64Array.from(logits), cols));
      expectClose(categoricalCrossentropy(tensor(p, [rows, cols]), tensor(t, [rows, cols])).toArray(), ref.cce(Float64Array.from(p), Float64Array.from(t), cols), 1e-5, 1e-6);
      // With one column every probability is 1, on the clip boundary where the derivative jumps.
      if (cols > 1) gradcheck((a, b) => categoricalCrossentropy(a!, b!), (a, b) => ref.cce(a!, b!, cols), [{ data: p, shape: [rows, cols] }, { data: t, shape: [rows, cols] }], { check: [true, false] });
      const fused = softmaxCrossEntropy(tensor(logits, [rows, cols]), tensor(t, [rows, cols]));
      expectClose(fused.loss.toArray(), ref.softmaxCce(Float64Array.from(logits), Float64Array.from(t), cols), 1e-5, 1e-6);
      expectClose(fused.probs.toArray(), p, 1e-5, 1e-7);
      gradcheck((a, b) => softmaxCrossEntropy(a!, b!).loss, (a, b) => ref.softmaxCce(a!, b!, cols), [{ data: logits, shape: [rows, cols] }, { data: t, shape: [rows, cols] }], { check: [true, false] });
    }));

    test(`binaryCrossentropy [${rows}, ${cols}] on probabilities and fused from logits`, () => tidy(() => {
      const logits = randArray(n, 5, -3, 3), t = randArray(n, 6, 0, 1).map(Math.round);
      const p = Float32Array.from(ref.sigmoid(Float64Array.from(logits)));
      expectClose(binaryCrossentropy(tensor(p, [rows, cols]), tensor(t, [rows, cols])).toArray(), ref.bce(Float64Array.from(p), Float64Array.from(t)), 1e-5, 1e-6);
      gradcheck((a, b) => binaryCrossentropy(a!, b!), (a, b) => ref.bce(a!, b!), [{ data: p, shape: [rows, cols] }, { data: t, shape: [rows, cols] }], { check: [true, false] });
      const fused = sigmoidCrossEntropy(tensor(logits, [rows, cols]), tensor(t, [rows, cols]));
      expectClose(fused.loss.toArray(), ref.sigmoidBce(Float64Array.from(logits), Float64Array.from(t)), 1e-5, 1e-6);
      gradcheck((a, b) => sigmoidCrossEntropy(a!, b!).loss, (a, b) => ref.sigmoidBce(a!, b!), [{ data: logits, shape: [rows, cols] }, { data: t, shape: [rows, cols] }], { check: [true, false] });
    }));
  }

  test('fused cross-entropy stays finite on extreme logits', () => tidy(() => {
    const { loss } = softmaxCrossEntropy(tensor([[500, -500, 0]]), tensor([[0, 1, 0]]));
    expectClose(loss.toArray(), [1000], 1e-6);
    expect(Number.isFinite(sigmoidCrossEntropy(tensor([[-200]]), tensor([[1]])).loss.item())).toBe(true);
  }));

  test('a target of another shape is refused', () => tidy(() => {
    expect(() => meanSquaredError(tensor([[1, 2]]), tensor([[1], [2]]))).toThrow(/meanSquaredError: target shape \[2, 1\] must equal prediction shape \[1, 2\]/);
  }));
});

test('a linear SVM is dense(1) + hinge: it separates two clusters', async () => {
  const x: number[][] = [], y: number[][] = [];
  for (let i = 0; i < 40; i++) {
    const side = i % 2 === 0 ? 1 : -1;
    x.push([side * 2 + Math.sin(i), side * 1.5 + Math.cos(3 * i)]);
    y.push([side > 0 ? 1 : 0]); // 0/1 labels, taken as -1/1
  }
  const svm = sequential([layers.dense({ units: 1, inputShape: [2] })]);
  svm.compile({ optimizer: optimizers.sgd({ learningRate: 0.05 }), loss: 'hinge' });
  const h = await svm.fit(x, y, { epochs: 50, batchSize: 8, seed: 4, verbose: 0 });
  expect(h.history.loss!.at(-1)!).toBeLessThan(0.05);
  const scores = svm.predict(x).toArray();
  expect(Array.from(scores, (s, i) => (s > 0 ? 1 : 0) === y[i]![0])).not.toContain(false);
  svm.dispose();
});
